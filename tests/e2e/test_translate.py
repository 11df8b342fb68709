"""In a real browser, with JavaScript: the translate control fetches the API, shows
"translating…" while the job runs, then the translation credited to its engine, and "Show
original" puts the page back. A live server of its own, whose chain is the fake chat server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from redbridge.app import create_app
from redbridge.settings import CapacitySettings, Settings, TranslationSettings
from tests.conftest import fast_passwords, generous_limits, prepare_schema
from tests.e2e.browser import free_socket, serve, url_of
from tests.e2e.conftest import LiveServer, OffsetClock, open_tab
from tests.translation.fakes import FakeServer
from tests.translation.fakes import serve as serve_fake

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chat_server() -> Iterator[FakeServer]:
    with serve_fake("chat") as server:
        yield server


@pytest.fixture(scope="module")
def translating_server(tmp_path_factory: pytest.TempPathFactory, pg_template: tuple[Any, str] | None,
                       chat_server: FakeServer) -> Iterator[LiveServer]:
    sock = free_socket()
    url = url_of(sock)
    values: dict[str, Any] = {
        "env": "test", "var_dir": tmp_path_factory.mktemp("e2e-tr") / "var", "jobs_mode": "embedded",
        "secret_key": "e2e-secret", "passwords": fast_passwords(), "rate_limits": generous_limits(),
        "capacity": CapacitySettings(max_inflight=8, max_queued=256, queue_timeout_s=30), "base_url": url,
        "translation": TranslationSettings(engines=[{"kind": "openai_chat", "base_url": chat_server.url,
                                                     "model": "qwen-test"}], retry_backoff_s=0),
    }
    db_name = f"e2etr{os.getpid()}"
    if pg_template is not None:
        pg, template = pg_template
        values["database_url"] = pg.create_database(db_name, template=template)
    app = create_app(Settings(**values), OffsetClock())
    prepare_schema(app.state.services)
    with serve(app, sock) as served, httpx.Client(base_url=served, timeout=30) as http:
        yield LiveServer(served, app, app.state.services.clock, http)
    if pg_template is not None:
        pg_template[0].drop_database(db_name)


def test_translate_with_javascript_polls_then_shows_the_translation(
        browser: Browser, translating_server: LiveServer, chat_server: FakeServer) -> None:
    author = translating_server.user("tr")
    note = translating_server.factory.note(author, images=0, title="成都火锅", body="我们去成都吃火锅吧！太好吃了。")
    # The job waits for the engine until the test lets it answer: "translating…" is seen first.
    gate = threading.Event()
    chat_server.on_request.append(lambda: gate.wait(10))
    opened = open_tab(browser, translating_server)
    try:
        page = opened.goto(f"/n/{note['id']}")
        control = page.locator("[data-translate]")
        control.get_by_role("link", name="Translate").click()
        expect(control.locator(".translation-pending")).to_have_text("Translating…")
        assert page.url.endswith(f"/n/{note['id']}")  # no navigation: fetched by the module
        gate.set()
        translation = control.locator("[data-translation]")
        expect(translation).to_contain_text("Translated by openai-chat:qwen-test")
        expect(translation).to_contain_text("good")
        expect(control.locator(".translation-pending")).to_have_count(0)
        control.get_by_role("button", name="Show original").click()
        expect(translation).to_have_count(0)
        expect(control.get_by_role("link", name="Translate")).to_be_visible()
    finally:
        chat_server.on_request.clear()
        gate.set()
        opened.context.close()
    opened.problems.assert_none()


def test_always_translate_polls_then_shows_the_translation_first_and_swaps_in_place(
        browser: Browser, translating_server: LiveServer, chat_server: FakeServer) -> None:
    author = translating_server.user("tra")
    note = translating_server.factory.note(author, images=0, title="麻婆豆腐", body="今晚吃麻婆豆腐，很辣。")
    reader = translating_server.user("trr", ui_lang="en")
    response = translating_server.http.patch("/api/v1/auth/me", headers=reader.headers, json={"always_translate": True})
    assert response.status_code == 200, response.text
    gate = threading.Event()
    chat_server.on_request.append(lambda: gate.wait(10))
    opened = open_tab(browser, translating_server)
    try:
        opened.login(reader)
        page = opened.goto(f"/n/{note['id']}")
        control = page.locator(f"[data-key='note:{note['id']}']")
        # Rendered while the job runs: "translating…", and the module polls without a tap.
        expect(control.locator(".translation-pending")).to_contain_text("Translating…")
        gate.set()
        translated = page.locator(f"[data-translated-of='note:{note['id']}']")
        original = page.locator(f"[data-original-of='note:{note['id']}']")
        expect(translated).to_contain_text("good")
        expect(original).to_be_hidden()
        expect(control).to_contain_text("Translated by openai-chat:qwen-test")
        control.get_by_role("button", name="Show original").click()
        expect(original).to_be_visible()
        expect(translated).to_be_hidden()
        control.get_by_role("button", name="Show translation").click()
        expect(translated).to_be_visible()
        # Stored now: the page comes translated; "Show original" is a button, not the ?translate=off link.
        page = opened.goto(f"/n/{note['id']}")
        expect(page.locator("h1#note-title")).to_contain_text("good")
        page.locator(f"[data-key='note:{note['id']}']").get_by_role("button", name="Show original").click()
        assert page.url.endswith(f"/n/{note['id']}")  # swapped in place, no navigation
        expect(page.locator(f"[data-original-of='note:{note['id']}']")).to_be_visible()
    finally:
        chat_server.on_request.clear()
        gate.set()
        opened.context.close()
    opened.problems.assert_none()
