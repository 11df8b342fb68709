"""``redbridge createadmin``: makes a new administrator, or promotes an existing account (one write
transaction, the password hashed before it), and the account can then log in."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from redbridge import cli
from redbridge.settings import Settings
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import Factory

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDBRIDGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("REDBRIDGE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("REDBRIDGE_PASSWORDS__TIME_COST", str(settings.passwords.time_cost))
    monkeypatch.setenv("REDBRIDGE_PASSWORDS__MEMORY_KIB", str(settings.passwords.memory_kib))


def login(client: TestClient, username: str, password: str) -> dict[str, object]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['token']}"})
    assert me.status_code == 200, me.text
    body: dict[str, object] = me.json()
    return body


def test_createadmin_creates_an_admin(client: TestClient, cli_env: None) -> None:
    assert cli.main(["createadmin", "root_admin", "--password", PASSWORD]) == 0
    assert login(client, "root_admin", PASSWORD)["is_admin"] is True


def test_createadmin_promotes_an_existing_account_with_a_new_password(client: TestClient, factory: Factory,
                                                                       cli_env: None) -> None:
    user = factory.user()
    assert login(client, user.username, FACTORY_PASSWORD)["is_admin"] is False
    assert cli.main(["createadmin", user.username, "--password", PASSWORD]) == 0
    assert login(client, user.username, PASSWORD)["is_admin"] is True
    refused = client.post("/api/v1/auth/login", json={"username": user.username, "password": FACTORY_PASSWORD})
    assert refused.status_code == 401

