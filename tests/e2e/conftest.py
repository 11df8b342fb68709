"""Browser tests: the real app served by uvicorn on a loopback port, driven by Playwright with
Debian's Chromium (headless). See tests/e2e/browser.py for the shared pieces.

One server and one browser per pytest worker (session scope: xdist workers are processes, each
with its own port, database and browser); every test gets a fresh browser context (cookies) and
signs up its own users, so tests do not depend on each other or on their order. ``tab`` fails the
test if its page opened a dialog, logged a CSP violation or threw a JavaScript error.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from redbridge.app import create_app
from redbridge.feeds.explore import POOL_WINDOW_S
from redbridge.settings import CapacitySettings, Settings
from tests.conftest import fast_passwords, generous_limits, prepare_schema
from tests.e2e.browser import (
    DESKTOP,
    TIMEOUT_MS,
    ChromiumMissingError,
    Problems,
    free_socket,
    launch_chromium,
    serve,
    url_of,
)
from tests.factories import PASSWORD, Factory, UserHandle, png_bytes

_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A username no other test on this worker's server has taken (3–30 of [A-Za-z0-9_])."""
    return f"{prefix}{os.getpid() % 100_000}_{next(_names)}"


class OffsetClock:
    """Wall-clock time plus an offset tests can move forward. Explore ranks a pool rebuilt at most
    once a minute; ``LiveServer.fresh_explore`` steps into the next window, so notes a test has
    just made are ranked without sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    clock: OffsetClock
    http: httpx.Client
    factory: Factory = field(init=False)

    def __post_init__(self) -> None:
        # The factories post to the API like a client would: here over real HTTP.
        self.factory = Factory(self.http, self.app.state.services)

    def user(self, prefix: str = "u", **extra: Any) -> UserHandle:
        return self.factory.user(unique(prefix), **extra)

    def photo_note(self, author: UserHandle, colors: list[tuple[int, int, int]], **fields: Any) -> dict[str, Any]:
        media = [self.factory.upload(author, png_bytes(360 + 40 * i, 480, color))["id"] for i, color in enumerate(colors)]
        return self.factory.note(author, images=0, media_ids=media, **fields)

    def fresh_explore(self) -> None:
        self.clock.advance(POOL_WINDOW_S + 1)


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, pg_template: tuple[Any, str] | None, redis_server: Any | None,
) -> Iterator[LiveServer]:
    sock = free_socket()
    url = url_of(sock)
    values: dict[str, Any] = {
        "env": "test", "var_dir": tmp_path_factory.mktemp("e2e") / "var", "jobs_mode": "immediate",
        "secret_key": "e2e-secret", "passwords": fast_passwords(), "rate_limits": generous_limits(),
        "capacity": CapacitySettings(max_inflight=8, max_queued=256, queue_timeout_s=30), "base_url": url,
    }
    db_name = f"e2e{os.getpid()}"
    if pg_template is not None:
        pg, template = pg_template
        values["database_url"] = pg.create_database(db_name, template=template)
    if redis_server is not None:
        # Database 1: the other tests on this worker flush database 0 before each test.
        values["redis_url"] = redis_server.url_for(1)
        redis_server.client(1).flushdb()
    clock = OffsetClock()
    app = create_app(Settings(**values), clock)
    prepare_schema(app.state.services)
    with serve(app, sock) as served, httpx.Client(base_url=served, timeout=30) as http:
        yield LiveServer(served, app, clock, http)
    if pg_template is not None:
        pg_template[0].drop_database(db_name)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # The sync API runs its own event loop (in a greenlet) and leaves it marked as running in this
    # thread until stop(): per module, not per session, so that the tests xdist schedules after
    # the browser tests on the same worker can still call asyncio.run().
    manager = sync_playwright().start()
    expect.set_options(timeout=TIMEOUT_MS)  # the same patience for assertions as for actions
    yield manager
    manager.stop()


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    try:
        instance = launch_chromium(playwright)
    except ChromiumMissingError as missing:
        pytest.fail(str(missing))  # a failure, never a skip: the test script installs chromium
    yield instance
    instance.close()


@dataclass
class Tab:
    """A fresh browser context (its own cookies) with one watched page, on the live server."""

    server: LiveServer
    context: BrowserContext
    page: Page
    problems: Problems

    def goto(self, path: str) -> Page:
        response = self.page.goto(self.server.url + path)
        assert response is not None, path
        assert response.ok, f"GET {path}: {response.status}"
        return self.page

    def login(self, user: UserHandle) -> None:
        """Log in through the form (the session cookie is HttpOnly: scripts cannot set it). By
        field names, not labels: the tab may be in any language."""
        page = self.goto("/login")
        form = page.locator("main form[action='/login']")
        form.locator("input[name=username]").fill(user.username)
        form.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "/login" not in page.url, "login failed"


def open_tab(browser: Browser, server: LiveServer, **options: Any) -> Tab:
    options.setdefault("viewport", DESKTOP)
    options.setdefault("locale", "en-US")
    context = browser.new_context(**options)
    problems = Problems()
    return Tab(server, context, problems.watch(context.new_page()), problems)


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


def _close(opened: Tab, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Close the tab; after a failed test first keep what the browser showed, for the report."""
    report = request.node.stash.get(_CALL_REPORT, None)
    if report is not None and report.failed:
        shot = tmp_path_factory.mktemp("e2e-failure") / f"{request.node.name}.png"
        opened.page.screenshot(path=str(shot), full_page=True)
        print(f"e2e failure: page {opened.page.url}, screenshot {shot}, recorded {opened.problems}")
    opened.context.close()
    opened.problems.assert_none()


@pytest.fixture
def tab(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    opened = open_tab(browser, live_server)
    yield opened
    _close(opened, request, tmp_path_factory)


@pytest.fixture
def nojs_tab(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    opened = open_tab(browser, live_server, java_script_enabled=False)
    yield opened
    _close(opened, request, tmp_path_factory)
