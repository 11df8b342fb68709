"""Admission control, one connection per request, readiness, and the request-edge limits.

The admission tests hold requests inside the app with events, not sleeps: which request is
admitted, queued or shed follows from the counts alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from redbridge.app import create_app
from redbridge.core import events
from redbridge.core.admission import Admission, AdmissionMiddleware, RequestSlot, current_slot
from redbridge.core.clock import SystemClock
from redbridge.core.db import SecondConnectionError
from redbridge.core.middleware import LocaleMiddleware
from redbridge.core.services import Services
from redbridge.settings import CapacitySettings, Settings
from tests.conftest import prepare_schema
from tests.factories import Factory, png_bytes

# ------------------------------------------------------------------------------ admission itself


def _held_app(capacity: CapacitySettings) -> tuple[Any, Admission, asyncio.Event, list[str]]:
    release = asyncio.Event()
    entered: list[str] = []

    async def hold(request: Request) -> PlainTextResponse:
        entered.append(request.query_params.get("n", ""))
        await release.wait()
        return PlainTextResponse("done")

    async def health(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(routes=[Route("/hold", hold), Route("/healthz", health)])
    admission = Admission(capacity)
    return LocaleMiddleware(AdmissionMiddleware(inner, admission)), admission, release, entered


async def _until(predicate: Any) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never became true")


@pytest.mark.asyncio
async def test_beyond_inflight_and_queue_requests_are_shed_at_once_in_the_callers_language() -> None:
    app, admission, release, entered = _held_app(CapacitySettings(max_inflight=2, max_queued=2,
                                                                  queue_timeout_s=30, retry_after_s=7))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        held = [asyncio.create_task(client.get(f"/hold?n={i}")) for i in range(4)]
        await _until(lambda: admission.load.inflight == 2 and admission.load.queued == 2)
        assert admission.saturated
        shed_en = await client.get("/hold?n=x")
        shed_zh = await client.get("/hold?n=y", headers={"Accept-Language": "zh-CN"})
        # Health bypasses admission even now.
        assert (await client.get("/healthz")).status_code == 200
        for response in (shed_en, shed_zh):
            assert response.status_code == 503
            assert response.headers["retry-after"] == "7"
            assert response.json()["error"]["code"] == "overloaded"
        assert "busy" in shed_en.json()["error"]["message"]
        assert "忙" in shed_zh.json()["error"]["message"]
        assert sorted(entered) == ["0", "1"]  # the queued two have not started, the shed never will
        release.set()
        answers = await asyncio.gather(*held)
    assert [r.status_code for r in answers] == [200, 200, 200, 200]
    assert admission.load.inflight == 0
    assert admission.load.queued == 0
    assert admission.load.shed == 2


@pytest.mark.asyncio
async def test_a_queued_request_is_shed_when_its_wait_runs_out_and_frees_its_place() -> None:
    app, admission, release, _entered = _held_app(CapacitySettings(max_inflight=1, max_queued=1,
                                                                   queue_timeout_s=0.05))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        first = asyncio.create_task(client.get("/hold"))
        await _until(lambda: admission.load.inflight == 1)
        waited = await client.get("/hold")
        assert waited.status_code == 503
        assert "retry-after" in waited.headers
        assert admission.load.queued == 0
        release.set()
        assert (await first).status_code == 200
        assert (await client.get("/hold")).status_code == 200  # the slot came back
    assert admission.load.inflight == 0


# ---------------------------------------------------------------- one connection per request


def test_a_request_cannot_hold_two_connections(services: Services) -> None:
    token = current_slot.set(RequestSlot())
    try:
        with services.sessions() as first:
            first.execute(text("SELECT 1"))
            with services.sessions() as second, pytest.raises(SecondConnectionError):
                second.execute(text("SELECT 1"))
        slot = current_slot.get()
        assert slot is not None
        assert slot.connections == 0
        with services.sessions() as again:  # released: the next one is fine
            again.execute(text("SELECT 1"))
    finally:
        current_slot.reset(token)


def test_commit_hooks_run_after_the_connection_is_back(services: Services) -> None:
    seen: list[int] = []

    @events.on_commit("test.admission.hook")
    def _hook(hook_services: Services, _payload: dict[str, Any]) -> None:
        slot = current_slot.get()
        assert slot is not None
        seen.append(slot.connections)
        with hook_services.sessions() as session:  # what cache hooks do: would be a second connection
            session.execute(text("SELECT 1"))

    token = current_slot.set(RequestSlot())
    try:
        with services.sessions() as session:
            session.execute(text("SELECT 1"))
            events.notify(session, "test.admission.hook", {})
            session.commit()
    finally:
        current_slot.reset(token)
    assert seen == [0]


# ------------------------------------------------------------------------------------ readiness


def test_readyz_reports_load_and_is_ok_on_a_working_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["database_write"] == "ok"
    assert body["checks"]["capacity"] == "ok"
    assert set(body["load"]) >= {"inflight", "queued", "shed", "max_inflight"}


@pytest.fixture
def read_only_app(settings: Settings) -> Iterator[TestClient]:
    """An app whose database answers reads but refuses writes: a read-only SQLite file, or a
    PostgreSQL database that defaults to read-only transactions."""
    writable = create_app(settings, SystemClock())
    prepare_schema(writable.state.services)
    writable.state.services.close()
    if settings.is_sqlite:
        path = settings.resolved_database_url.removeprefix("sqlite:///")
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    else:
        url = settings.resolved_database_url
        name = url.rsplit("/", 1)[1]
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        admin.dispose()
    app = create_app(settings.model_copy(update={"database_url": url}), SystemClock())
    with TestClient(app) as client:
        yield client
    if not settings.is_sqlite:
        # Let the fixture drop the database.
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SET default_transaction_read_only = off"))  # this session only
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
        admin.dispose()


def test_readyz_fails_when_the_database_takes_no_writes(read_only_app: TestClient) -> None:
    response = read_only_app.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["database_write"] != "ok"
    assert "retry-after" in response.headers


# --------------------------------------------------------------------------- request-edge limits


def test_upload_limit_belongs_to_routes_not_path_suffixes(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    big = b"x" * (2 * 1024 * 1024)
    # A path that merely ends in /edit is not an upload route: the small limit, unread.
    response = client.patch("/api/v1/notes/edit", headers={**user.headers, "Content-Type": "application/json"},
                            content=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    # Without any credentials, an upload route also gets the small limit.
    anonymous = client.post("/api/v1/media", files={"file": ("a.png", big, "image/png")})
    assert anonymous.status_code == 413
    # With credentials the same body reaches the route (which judges the file itself).
    accepted = client.post("/api/v1/media", headers=user.headers, files={"file": ("a.png", png_bytes(), "image/png")})
    assert accepted.status_code == 201
    padded = client.post("/api/v1/media", headers=user.headers, files={"file": ("a.png", big, "image/png")})
    assert padded.status_code != 413


def test_forwarded_for_is_read_only_from_trusted_proxies_and_from_the_right(settings: Settings) -> None:
    limits = settings.rate_limits.model_copy(update={"signup_per_ip": (2, 3600)})

    runs = iter(range(10))

    def signups(trusted: list[str], forwarded: list[str]) -> list[int]:
        run = next(runs)
        app = create_app(settings.model_copy(update={"trusted_proxies": trusted, "rate_limits": limits,
                                                     "var_dir": settings.var_dir / str(run)}),
                         SystemClock())
        prepare_schema(app.state.services)
        codes = []
        with TestClient(app) as client:
            for i, value in enumerate(forwarded):
                response = client.post("/api/v1/auth/signup", headers={"X-Forwarded-For": value},
                                       json={"username": f"xff{run}_{i}", "password": "Tr0ub4dor&3-horse"})
                codes.append(response.status_code)
        app.state.services.close()
        return codes

    # The client makes up a new leftmost entry each time; the proxy appends what it saw.
    spoofed = [f"10.0.0.{i}, 203.0.113.9" for i in range(3)]
    assert signups(["testclient"], spoofed) == [201, 201, 429]
    # Each hop the proxy saw differs: each is its own client.
    distinct = [f"198.51.100.{i}" for i in range(3)]
    assert signups(["testclient"], distinct) == [201, 201, 201]
    # Not behind a trusted proxy: the header means nothing, every request is the peer's.
    assert signups([], distinct)[-1] == 429


def test_answers_to_authenticated_api_calls_are_never_stored(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    me = client.get("/api/v1/auth/me", headers=user.headers)
    assert me.status_code == 200
    assert me.headers["cache-control"] == "private, no-store"
    anonymous = client.get("/api/v1/feeds/explore")
    assert "no-store" not in anonymous.headers.get("cache-control", "")
