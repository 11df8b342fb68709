"""Two app instances on one database (cluster mode on PostgreSQL + Redis; two processes sharing a
SQLite file on the default pass): a rule created through A applies on B, which was never told —
it notices the rules version (docs/moderation.md, "Rules editor")."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.moderation import screening
from redbridge.moderation.live import live_rules
from redbridge.settings import Settings
from tests.conftest import prepare_schema
from tests.factories import Factory
from tests.rules.helpers import BASE, add_rule
from tests.safety.helpers import staff

MARKER = "glimmerfrost offer"


@pytest.fixture
def two_apps(settings: Settings) -> Iterator[tuple[FastAPI, FastAPI]]:
    first, second = create_app(settings, SystemClock()), create_app(settings, SystemClock())
    prepare_schema(first.state.services)
    try:
        with TestClient(first), TestClient(second):
            yield first, second
    finally:
        first.state.services.close()
        second.state.services.close()


def test_a_rule_created_through_a_applies_on_b(two_apps: tuple[FastAPI, FastAPI]) -> None:
    a, b = two_apps
    client_a, client_b = TestClient(a), TestClient(b)
    factory_a = Factory(client_a, a.state.services)
    admin = staff(factory_a, a.state.services, "admin")
    author = factory_a.user()
    note = client_b.post("/api/v1/notes", headers=author.headers, json={"title": "x", "body": MARKER})
    assert note.json()["status"] == "published"  # B has built its checker: the old rules
    b_live = live_rules(b.state.services)
    old = b_live.current()

    rule = add_rule(client_a, admin, pattern=MARKER)
    # B notices by itself, on a request, within its poll interval: no settle() here, only a
    # deadline so that a bug fails instead of hanging.
    deadline = time.monotonic() + 30
    while screening.checker(b.state.services) is old:
        assert time.monotonic() < deadline, "B never noticed the new rules version"
        time.sleep(0.05)
    b_live.settle()
    assert b_live.version == rule["version"]
    held = client_b.post("/api/v1/notes", headers=author.headers, json={"title": "x", "body": f"{MARKER}!"})
    assert held.json()["status"] == "held"
    # Disabled through A: B stops applying it.
    client_a.post(f"{BASE}/{rule['id']}/disable", headers=admin.headers).raise_for_status()
    b_live.settle()
    again = client_b.post("/api/v1/notes", headers=author.headers, json={"title": "x", "body": MARKER})
    assert again.json()["status"] == "published"
    tried = client_b.post(f"{BASE}/try", headers=admin.headers, json={"text": MARKER}).json()
    assert tried["decision"] == "allow"
