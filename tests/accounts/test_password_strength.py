"""Password strength (zxcvbn) on top of the common-password list."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from redbridge.accounts.actions import check_password, password_strength
from redbridge.core.errors import AppError
from tests.factories import PASSWORD, Factory


def signup(client: TestClient, password: str, **extra: object) -> object:
    return client.post("/api/v1/auth/signup", json={"username": "mei_cd", "password": password, **extra})


@pytest.mark.parametrize("password", ["aaaaaaaa", " " * 8, "12121212", "abcdefgh", "mei_cd2025", "qwerty123!"])
def test_weak_passwords_are_refused_on_the_password_field(client: TestClient, password: str) -> None:
    # Proves: what the old policy accepted ("aaaaaaaa", eight spaces, the username plus a year)
    # is refused with a field error, and no account is created.
    response = signup(client, password)
    assert response.status_code == 422  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] in {"password.weak", "password.common"}
    assert "password" in error["fields"]
    assert client.get("/api/v1/users/mei_cd").status_code == 404


def test_the_email_counts_as_a_known_word(client: TestClient) -> None:
    assert password_strength("meilin.zhou88", []) >= 3
    assert password_strength("meilin.zhou88", ["mei_cd", "meilin.zhou@example.com"]) < 3
    response = signup(client, "meilin.zhou88", email="meilin.zhou@example.com")
    assert response.json()["error"] == {  # type: ignore[attr-defined]
        "code": "password.weak",
        "message": "This password is too easy to guess. Try a few unrelated words, or add length and variety.",
        "fields": {"password": "weak"},
    }


def test_the_weak_password_message_is_translated(client: TestClient) -> None:
    response = client.post("/api/v1/auth/signup", json={"username": "mei_cd", "password": "aaaaaaaaaa"},
                           headers={"Accept-Language": "zh-CN"})
    assert "太容易被猜到" in response.json()["error"]["message"]


@pytest.mark.parametrize("password", [PASSWORD, "correct horse battery", "我爱北京天安门广场", "Xk3v9qz2mw"])
def test_strong_passwords_pass(password: str) -> None:
    check_password(password, "mei_cd", "mei@example.com")


def test_very_long_passwords_are_scored_quickly(client: TestClient) -> None:
    # zxcvbn refuses more than 72 characters; the first 72 are scored.
    check_password("bridge-over-river-42" * 50, "mei_cd")
    with pytest.raises(AppError) as info:
        check_password("a" * 1024, "mei_cd")
    assert info.value.code == "password.weak"


def test_the_threshold_is_a_setting() -> None:
    check_password("mei_cd2025", "mei_cd", min_strength=1)
    with pytest.raises(AppError):
        check_password("mei_cd2025", "mei_cd", min_strength=3)


def test_changing_to_a_weak_password_is_refused(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    response = client.post("/api/v1/auth/password", headers=user.headers,
                           json={"current_password": PASSWORD, "new_password": " " * 12})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"password": "weak"}
