"""Login limits that a stranger cannot turn against the account's owner, and the hashing pool's
admission bound (docs/accounts.md, "Limits")."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.accounts.flows import account_key, slowdown_delay, source_key
from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.settings import PasswordSettings, RateLimitSettings, Settings
from tests.conftest import generous_limits, prepare_schema
from tests.factories import PASSWORD

ATTACKER = ("198.51.100.7", 40000)
OWNER = ("203.0.113.20", 40000)


@contextmanager
def custom_app(settings: Settings, **changes: object) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update=changes), SystemClock())
    prepare_schema(app.state.services)
    try:
        yield app
    finally:
        app.state.services.close()


def limits(**budgets: object) -> RateLimitSettings:
    return generous_limits().model_copy(update=budgets)


def from_ip(app: FastAPI, address: tuple[str, int]) -> TestClient:
    return TestClient(app, client=address)


def login(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}).status_code


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):  # 10 s at most
        if condition():
            return
        await asyncio.sleep(0.01)


def make_user(client: TestClient, username: str = "mei_cd", email: str = "mei@example.com") -> None:
    response = client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD, "email": email})
    assert response.status_code == 201, response.text


def test_username_and_email_share_one_budget(settings: Settings) -> None:
    # Proves: the per-account budget is keyed by the account, not by what was typed (the old
    # limiter gave "mei_cd" and "mei@example.com" a budget each).
    with custom_app(settings, rate_limits=limits(login_per_account=(3, 300))) as app:
        client = from_ip(app, ATTACKER)
        make_user(client)
        codes = [login(client, name, "wrong-wrong") for name in ("mei_cd", "MEI_CD", "Mei@Example.com ")]
        assert codes == [401, 401, 401]
        limited = client.post("/api/v1/auth/login", json={"username": "mei@example.com", "password": "wrong-wrong"})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) > 0


def test_unknown_accounts_are_keyed_by_the_normalised_identifier(settings: Settings) -> None:
    with custom_app(settings, rate_limits=limits(login_per_account=(2, 300))) as app:
        client = from_ip(app, ATTACKER)
        assert [login(client, name, "wrong-wrong") for name in ("Ghost", " ghost ", "GHOST")] == [401, 401, 429]
        assert login(client, "phantom", "wrong-wrong") == 401  # another name, its own budget


def test_an_attacker_cannot_lock_the_owner_out(settings: Settings) -> None:
    # Proves: one source exhausting its budget for an account is refused (429) while the owner,
    # from another address, still logs in with the right password.
    with custom_app(settings, rate_limits=limits(login_per_account=(3, 300))) as app:
        attacker = from_ip(app, ATTACKER)
        owner = from_ip(app, OWNER)
        make_user(owner)
        codes = [login(attacker, "mei_cd", "wrong-wrong") for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        assert login(attacker, "mei_cd", PASSWORD) == 429  # that source is done for the window
        assert login(owner, "mei_cd", PASSWORD) == 200
        assert login(owner, "mei@example.com", PASSWORD) == 200


def test_many_sources_slow_the_account_down_but_never_lock_it(settings: Settings) -> None:
    # Proves: failures from many addresses (a botnet) make further attempts on the account wait,
    # growing with the failures, and the owner still gets in: slower, never 429.
    budgets = limits(login_per_account=(2, 300), login_account_slowdown=(3, 300),
                     login_slowdown_step_s=0.1, login_slowdown_max_s=0.3)
    with custom_app(settings, rate_limits=budgets) as app:
        make_user(from_ip(app, OWNER))
        for i in range(6):
            bot = from_ip(app, (f"192.0.2.{i + 1}", 40000))
            assert [login(bot, "mei_cd", "wrong-wrong") for _ in range(3)] == [401, 401, 429]
        start = time.perf_counter()
        assert login(from_ip(app, OWNER), "mei_cd", PASSWORD) == 200
        assert time.perf_counter() - start >= 0.3  # the capped delay, not a refusal


def test_slowdown_grows_and_is_capped() -> None:
    budgets = RateLimitSettings(login_account_slowdown=(5, 900), login_slowdown_step_s=0.25, login_slowdown_max_s=5)
    delays = [slowdown_delay(budgets, n) for n in range(4, 12)]
    assert delays == [0, 0.25, 0.5, 1, 2, 4, 5, 5]
    assert slowdown_delay(budgets, 10_000) == 5


def test_source_and_account_keys() -> None:
    assert source_key("198.51.100.7") == "198.51.100.7"
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert source_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert source_key("testclient") == "testclient"
    assert account_key(None, " Ｇhost ") == account_key(None, "ghost") == "n:ghost"


def test_a_hash_burst_past_the_bound_gets_503_and_the_rest_are_answered(settings: Settings) -> None:
    # Proves: with 1 worker and 2 waiting, a burst of 8 concurrent logins admits 3 to the pool and
    # answers the other 5 at once with 503 + Retry-After (the envelope); the admitted ones get
    # their right answer (200 for the right password, 401 for a wrong one) and the process keeps
    # serving afterwards.
    passwords = PasswordSettings(memory_kib=1024, time_cost=1, parallelism=1, hash_workers=1,
                                 hash_max_waiting=2, hash_retry_after_s=3)
    with custom_app(settings, passwords=passwords) as app:
        services: Services = app.state.services
        make_user(from_ip(app, OWNER))  # no ``with``: its lifespan exit would close the services
        gate = threading.Event()
        original = services.passwords.verify_sync

        def held(stored: str | None, password: str) -> bool:
            gate.wait(10)
            return original(stored, password)

        services.passwords.verify_sync = held  # type: ignore[method-assign]

        async def burst() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app, client=OWNER)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                attempts = [PASSWORD if i % 2 == 0 else "wrong-wrong" for i in range(8)]
                tasks = [asyncio.create_task(http.post("/api/v1/auth/login",
                                                       json={"username": "mei_cd", "password": pw}))
                         for pw in attempts]
                await until(lambda: sum(task.done() for task in tasks) >= 5)
                assert services.passwords.admitted == 3  # 1 hashing + 2 waiting, still held
                gate.set()
                return list(await asyncio.gather(*tasks))

        responses = asyncio.run(burst())
        busy = [r for r in responses if r.status_code == 503]
        assert len(busy) == 5
        for response in busy:
            assert response.headers["Retry-After"] == "3"
            assert response.json()["error"]["code"] == "auth.busy"
            assert "seconds" in response.json()["error"]["message"]
        answered = sorted(r.status_code for r in responses if r.status_code != 503)
        assert len(answered) == 3
        assert set(answered) <= {200, 401}
        services.passwords.verify_sync = original  # type: ignore[method-assign]
        assert services.passwords.admitted == 0
        client = from_ip(app, OWNER)
        assert login(client, "mei_cd", PASSWORD) == 200
        assert login(client, "mei_cd", "wrong-wrong") == 401


def test_hash_workers_default_to_the_cores() -> None:
    import os

    assert PasswordSettings().hash_workers == (os.cpu_count() or 1)
    assert PasswordSettings().hash_max_waiting == 32


@pytest.mark.parametrize("locale", ["zh-Hans"])
def test_busy_message_is_translated(settings: Settings, locale: str) -> None:
    passwords = PasswordSettings(memory_kib=1024, time_cost=1, hash_workers=1, hash_max_waiting=0)
    with custom_app(settings, passwords=passwords) as app:
        services: Services = app.state.services
        gate = threading.Event()
        original = services.passwords.verify_sync
        services.passwords.verify_sync = lambda s, p: gate.wait(10) and original(s, p)  # type: ignore[method-assign]

        async def two() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app, client=OWNER)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                first = asyncio.create_task(http.post("/api/v1/auth/login", json={"username": "x_y", "password": "p"}))
                await until(lambda: services.passwords.admitted >= 1)
                second = await http.post("/api/v1/auth/login", json={"username": "x_y", "password": "p"},
                                         headers={"Accept-Language": locale})
                gate.set()
                return [await first, second]

        first, second = asyncio.run(two())
        assert first.status_code == 401
        assert second.status_code == 503
        assert "秒后再试" in second.json()["error"]["message"]
