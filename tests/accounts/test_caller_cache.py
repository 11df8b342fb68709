"""The token → caller cache (``accounts.callers``): every write that changes what it holds retires
it before answering, on this process and — through the shared Redis cache — on every other one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from redbridge.app import create_app
from redbridge.core import changes
from redbridge.core.cache import MemoryCache, invalidate, read_through
from redbridge.core.clock import SystemClock
from redbridge.core.security import token_digest
from redbridge.core.services import Services
from redbridge.reads import callers
from redbridge.settings import Settings
from tests.conftest import prepare_schema
from tests.factories import PASSWORD, Factory, UserHandle

ME = "/api/v1/auth/me"


def cached(services: Services, token: str) -> callers.Caller | None:
    return callers.peek(services, token_digest(token))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def warm(client: TestClient, services: Services, token: str) -> None:
    """Use the token once, so its caller is cached (the point of every test below)."""
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert cached(services, token) is not None


def login(client: TestClient, user: UserHandle) -> str:
    response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def test_a_used_token_is_cached_with_what_requests_need(client: TestClient, services: Services,
                                                        factory: Factory) -> None:
    user = factory.user(ui_lang="zh-Hans", read_langs=["zh"])
    assert cached(services, user.token) is None
    warm(client, services, user.token)
    caller = cached(services, user.token)
    assert caller is not None
    assert (caller.user_id, caller.ui_lang, caller.read_langs, caller.hidden) == (user.int_id, "zh-Hans", ("zh",),
                                                                                 frozenset())
    assert cached(services, "not-a-token") is None


def test_logout_refuses_the_cached_token_at_once(client: TestClient, services: Services, factory: Factory) -> None:
    user = factory.user()
    warm(client, services, user.token)
    assert client.post("/api/v1/auth/logout", headers=user.headers).status_code == 204
    assert client.get(ME, headers=user.headers).status_code == 401
    assert client.get("/api/v1/feeds/explore", headers=user.headers).status_code == 200  # as anonymous
    assert cached(services, user.token) is None


def test_revoking_another_session_refuses_it_at_once(client: TestClient, services: Services,
                                                     factory: Factory) -> None:
    user = factory.user()
    phone = login(client, user)
    warm(client, services, phone)
    sessions = client.get("/api/v1/auth/sessions", headers=user.headers).json()
    other = next(s for s in sessions if not s["current"])
    assert client.delete(f"/api/v1/auth/sessions/{other['id']}", headers=user.headers).status_code == 204
    assert client.get(ME, headers=bearer(phone)).status_code == 401
    assert client.get(ME, headers=user.headers).status_code == 200


def test_password_change_refuses_the_other_cached_sessions(client: TestClient, services: Services,
                                                            factory: Factory) -> None:
    user = factory.user()
    phone = login(client, user)
    warm(client, services, phone)
    warm(client, services, user.token)
    response = client.post("/api/v1/auth/password", headers=user.headers,
                           json={"current_password": PASSWORD, "new_password": "another-good-one-7"})
    assert response.status_code == 204
    assert client.get(ME, headers=bearer(phone)).status_code == 401
    assert client.get(ME, headers=user.headers).status_code == 200


def test_a_profile_edit_is_seen_by_the_next_request(client: TestClient, services: Services,
                                                    factory: Factory) -> None:
    user = factory.user()
    warm(client, services, user.token)
    response = client.patch(ME, headers=user.headers, json={"ui_lang": "zh-Hans", "interests": ["food"]})
    assert response.status_code == 200
    missing = client.get("/api/v1/notes/nope", headers=user.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] != "Not found."  # the account's new language
    caller = callers.load(services, services.sessions(), token_digest(user.token))
    assert caller is not None
    assert (caller.ui_lang, caller.interests) == ("zh-Hans", ("food",))


@pytest.mark.parametrize("verb", ["block", "mute"])
def test_blocking_and_muting_update_the_cached_hidden_authors(client: TestClient, services: Services,
                                                              factory: Factory, verb: str) -> None:
    me, other = factory.user(), factory.user()
    warm(client, services, me.token)
    warm(client, services, other.token)
    assert client.post(f"/api/v1/users/{other.username}/{verb}", headers=me.headers).status_code == 204

    def hidden(user: UserHandle) -> frozenset[int]:
        with services.sessions() as session:
            caller = callers.load(services, session, token_digest(user.token))
        assert caller is not None
        return caller.hidden

    assert hidden(me) == {other.int_id}
    # A block hides each from the other; a mute only the muted from the muter.
    assert hidden(other) == ({me.int_id} if verb == "block" else frozenset())
    assert client.delete(f"/api/v1/users/{other.username}/{verb}", headers=me.headers).status_code == 204
    assert hidden(me) == hidden(other) == frozenset()


def test_a_rolled_back_write_leaves_the_cache_alone(client: TestClient, services: Services, factory: Factory) -> None:
    user = factory.user()
    warm(client, services, user.token)
    with services.sessions() as session:
        changes.account_changed(session, user.int_id)
        session.rollback()
    assert cached(services, user.token) is not None
    with services.sessions() as session:
        changes.account_changed(session, user.int_id)
        session.commit()
    assert cached(services, user.token) is None


def test_a_reader_that_loaded_before_an_invalidation_cannot_store_its_stale_value() -> None:
    cache = MemoryCache()
    loads = iter([b"old", b"new", b"newer"])
    # The reader loaded "old" from the database, then the write committed and invalidated: the
    # reader's store must be refused, and readers go to the database until the entry is rebuilt.
    invalidate(cache, "k", 30)
    assert read_through(cache, "k", 30, lambda: next(loads)) == b"old"
    assert read_through(cache, "k", 30, lambda: next(loads)) == b"new"
    cache.delete("k")  # the tombstone expired
    assert read_through(cache, "k", 30, lambda: next(loads)) == b"newer"
    assert read_through(cache, "k", 30, lambda: b"never loaded") == b"newer"


# ------------------------------------------------------------------------------------ cluster mode


@pytest.fixture
def cluster(settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, Services]]:
    """Two app processes (as far as the cache is concerned) on one database and one Redis."""
    from tests.servers import start_redis

    def run(shared: Settings) -> Iterator[tuple[TestClient, TestClient, Services]]:
        first, second = create_app(shared, SystemClock()), create_app(shared, SystemClock())
        prepare_schema(first.state.services)
        try:
            with TestClient(first) as a, TestClient(second) as b:
                yield a, b, second.state.services
        finally:
            first.state.services.close()
            second.state.services.close()

    if settings.redis_url:
        yield from run(settings)
    else:
        with start_redis(tmp_path / "redis") as server:
            yield from run(settings.model_copy(update={"redis_url": server.url}))


def test_cluster_revocation_reaches_every_process_at_once(cluster: tuple[TestClient, TestClient, Services]) -> None:
    a, b, b_services = cluster
    user = Factory(a, b_services).user()
    phone = login(a, user)
    warm(b, b_services, phone)
    warm(b, b_services, user.token)
    # Logged out on one process: the other refuses the token on its very next request.
    assert a.post("/api/v1/auth/logout", headers=bearer(phone)).status_code == 204
    assert b.get(ME, headers=bearer(phone)).status_code == 401
    assert b.get(ME, headers=user.headers).status_code == 200
    # And a profile edit made on one is what the other uses next.
    assert a.patch(ME, headers=user.headers, json={"ui_lang": "zh-Hans"}).status_code == 200
    missing = b.get("/api/v1/notes/nope", headers=user.headers)
    assert missing.json()["error"]["message"] != "Not found."
