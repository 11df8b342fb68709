"""Signup, login, logout, sessions, password policy and CSRF."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from redbridge.app import create_app
from redbridge.core.clock import FrozenClock
from redbridge.core.security import PasswordHasher
from redbridge.settings import PasswordSettings, RateLimitSettings, Settings
from tests.conftest import prepare_schema
from tests.factories import PASSWORD, Factory


def signup(client: TestClient, **body: object) -> object:
    return client.post("/api/v1/auth/signup", json={"username": "mei_cd", "password": PASSWORD, **body})


def test_signup_returns_a_working_token(client: TestClient) -> None:
    response = signup(client, email="Mei@Example.com", display_name="小美", read_langs=["zh", "en"])
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "mei_cd"
    assert body["user"]["email"] == "mei@example.com"
    assert body["user"]["read_langs"] == ["en", "zh"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["display_name"] == "小美"


@pytest.mark.parametrize(
    ("password", "code"),
    [("short1", "password.too_short"), ("password", "password.common"), ("123456789", "password.common"),
     ("Mei_CD", "password.too_short"), ("qwertyuiop", "password.common")],
)
def test_signup_password_policy(client: TestClient, password: str, code: str) -> None:
    response = signup(client, password=password)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert client.get("/api/v1/users/mei_cd").status_code == 404


def test_password_equal_to_username_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/auth/signup", json={"username": "longusername1", "password": "LongUsername1"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "password.common"


@pytest.mark.parametrize(
    "body",
    [{"username": "has space"}, {"username": "ab"}, {"username": "x" * 31}, {"username": "名字名字"},
     {"username": "ok_name", "email": "not-an-email"}, {"username": "ok_name", "password": "x" * 1025},
     {"username": "ok_name", "is_admin": True}, {"username": "ok_name", "read_langs": ["fr"]},
     {"username": "ok_name", "ui_lang": "de"}],
)
def test_signup_rejects_malformed_input(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/api/v1/auth/signup", json={"password": PASSWORD, **body})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"]


def test_signup_rejects_non_json_and_oversize_bodies(client: TestClient) -> None:
    assert client.post("/api/v1/auth/signup", content=b"{nope", headers={"content-type": "application/json"}).status_code == 422
    huge = b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/auth/signup", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_usernames_are_unique_case_insensitively(client: TestClient) -> None:
    assert signup(client).status_code == 201
    again = signup(client, username="MEI_CD")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "username.taken"


def test_reserved_username(client: TestClient) -> None:
    response = signup(client, username="Admin")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "username.reserved"


def test_errors_are_in_the_callers_language(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/signup", json={"username": "mei_cd", "password": "short"}, headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "密码" in message
    english = client.post("/api/v1/auth/signup", json={"username": "mei_cd", "password": "short"})
    assert "password" in english.json()["error"]["message"].lower()


def test_account_language_wins_over_accept_language(client: TestClient, factory: Factory) -> None:
    user = factory.user(ui_lang="zh-Hans")
    response = client.post("/api/v1/users/nobody_here/follow", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["error"]["message"] != "Not found."


def test_login_with_username_or_email(client: TestClient) -> None:
    signup(client, email="mei@example.com")
    for login in ("mei_cd", "MEI_CD", "mei@example.com"):
        response = client.post("/api/v1/auth/login", json={"username": login, "password": PASSWORD})
        assert response.status_code == 200, login
        assert response.json()["user"]["username"] == "mei_cd"


def test_login_failures_look_the_same(client: TestClient) -> None:
    signup(client)
    wrong = client.post("/api/v1/auth/login", json={"username": "mei_cd", "password": "nope-nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "ghost_user", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_logout_revokes_the_token(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    assert client.post("/api/v1/auth/logout", headers=user.headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=user.headers).status_code == 401


def test_sessions_list_and_revoke(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    second = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD},
                         headers={"User-Agent": "phone"}).json()
    sessions = client.get("/api/v1/auth/sessions", headers=user.headers).json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    other = next(s for s in sessions if not s["current"])
    assert other["user_agent"] == "phone"
    assert client.delete(f"/api/v1/auth/sessions/{other['id']}", headers=user.headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second['token']}"}).status_code == 401
    assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 200


def test_cannot_revoke_someone_elses_session(client: TestClient, factory: Factory) -> None:
    alice, bob = factory.user(), factory.user()
    bob_session = client.get("/api/v1/auth/sessions", headers=bob.headers).json()[0]["id"]
    response = client.delete(f"/api/v1/auth/sessions/{bob_session}", headers=alice.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/auth/me", headers=bob.headers).status_code == 200
    for bad in ("abc", "-1", "9" * 40):
        assert client.delete(f"/api/v1/auth/sessions/{bad}", headers=alice.headers).status_code == 404


def test_endpoints_need_login(client: TestClient) -> None:
    for method, path in [("GET", "/api/v1/auth/me"), ("PATCH", "/api/v1/auth/me"), ("GET", "/api/v1/auth/sessions"),
                         ("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/auth/sessions/1"),
                         ("POST", "/api/v1/auth/password")]:
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "auth.required"
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer " + "x" * 5000}).status_code == 401


def test_password_change_ends_other_sessions(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    other = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD}).json()
    bad = client.post("/api/v1/auth/password", headers=user.headers,
                      json={"current_password": "wrong-one-here", "new_password": "another-good-one-7"})
    assert bad.status_code == 403
    weak = client.post("/api/v1/auth/password", headers=user.headers,
                       json={"current_password": PASSWORD, "new_password": "password1"})
    assert weak.status_code == 422
    ok = client.post("/api/v1/auth/password", headers=user.headers,
                     json={"current_password": PASSWORD, "new_password": "another-good-one-7"})
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 401
    login = client.post("/api/v1/auth/login", json={"username": user.username, "password": "another-good-one-7"})
    assert login.status_code == 200


def test_cookie_auth_requires_csrf_for_writes(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    client.cookies.set("rb_session", user.token)
    try:
        assert client.get("/api/v1/auth/me").status_code == 200
        forged = client.patch("/api/v1/auth/me", json={"bio": "pwned"})
        assert forged.status_code == 403
        assert forged.json()["error"]["code"] == "csrf.invalid"
        wrong = client.patch("/api/v1/auth/me", json={"bio": "pwned"}, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        ok = client.patch("/api/v1/auth/me", json={"bio": "hello"}, headers={"X-CSRF-Token": user.csrf_token})
        assert ok.status_code == 200
        assert ok.json()["bio"] == "hello"
    finally:
        client.cookies.clear()


@pytest.fixture
def frozen(settings: Settings) -> Iterator[tuple[TestClient, FrozenClock]]:
    clock = FrozenClock()
    app = create_app(settings.model_copy(update={"session_days": 1}), clock)
    prepare_schema(app.state.services)
    with TestClient(app) as test_client:
        yield test_client, clock


def test_sessions_expire(frozen: tuple[TestClient, FrozenClock]) -> None:
    client, clock = frozen
    token = signup(client).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    clock.advance(hours=23)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    clock.advance(hours=2)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    limits = RateLimitSettings(signup_per_ip=(3, 3600), login_per_ip=(100, 300), login_per_account=(3, 300))
    app = create_app(settings.model_copy(update={"rate_limits": limits}), FrozenClock())
    prepare_schema(app.state.services)
    with TestClient(app) as test_client:
        yield test_client


def test_signup_is_rate_limited_per_ip(limited: TestClient) -> None:
    codes = [signup(limited, username=f"user_{i}").status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    blocked = signup(limited, username="user_9")
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0


def test_login_is_rate_limited_per_account(limited: TestClient) -> None:
    signup(limited)
    codes = [limited.post("/api/v1/auth/login", json={"username": "mei_cd", "password": "wrong-wrong"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # The limit holds even with the right password *from this source*: it protects the account
    # from this address's guesses (the owner elsewhere is unaffected: test_login_limits.py).
    right = limited.post("/api/v1/auth/login", json={"username": "mei_cd", "password": PASSWORD})
    assert right.status_code == 429


def test_production_hash_parameters_are_argon2id_64mib() -> None:
    hasher = PasswordHasher(PasswordSettings())
    try:
        stored = hasher.hash_sync("correct horse")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
        assert hasher.verify_sync(stored, "correct horse")
        assert not hasher.verify_sync(stored, "wrong horse")
        assert not hasher.verify_sync(None, "correct horse")
    finally:
        hasher.close()


def test_hashing_runs_off_the_event_loop_with_bounded_concurrency() -> None:
    hasher = PasswordHasher(PasswordSettings(memory_kib=1024, time_cost=1, hash_workers=2))
    active = 0
    peak = 0
    threads: set[str] = set()
    lock = threading.Lock()
    original = hasher.hash_sync

    def tracking(password: str) -> str:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            threads.add(threading.current_thread().name)
        try:
            for _ in range(5):
                original(password)
            return original(password)
        finally:
            with lock:
                active -= 1

    hasher.hash_sync = tracking  # type: ignore[method-assign]

    async def burst() -> list[str]:
        loop_thread = threading.current_thread().name
        results = await asyncio.gather(*(hasher.hash(f"pw-{i}-long-enough") for i in range(8)))
        assert loop_thread not in threads
        return list(results)

    try:
        results = asyncio.run(burst())
    finally:
        hasher.close()
    assert len(set(results)) == 8
    assert peak <= 2
    assert all(name.startswith("argon2") for name in threads)
