"""In a real browser: word help on a Chinese note — turn it on, focus a word, read its popover
(pinyin, meaning, the CC-CEDICT credit), move to the next word with the arrow key."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, Tab

pytestmark = pytest.mark.e2e
# The server loads the dictionary on its first lookup (tests do not preload it): seconds.
LOAD_MS = 90_000


def test_word_help_popover_by_keyboard(tab: Tab, live_server: LiveServer) -> None:
    author = live_server.user("wordhelp")
    note = live_server.factory.note(author, images=0, title="成都火锅", body="今天去吃火锅 #美食")
    page = tab.goto(f"/n/{note['id']}")

    toggle = page.get_by_role("button", name="Word help")
    expect(toggle).to_have_attribute("aria-pressed", "false")  # glosses.js replaced the link
    toggle.click()
    expect(page.get_by_role("button", name="Hide word help")).to_have_attribute("aria-pressed", "true",
                                                                                timeout=LOAD_MS)
    body_words = page.locator(".note-body .gloss-word")
    expect(body_words.first).to_have_text("今天")
    # The body's text is unchanged by the wrapping (the #tag link is still there).
    expect(page.locator(".note-body")).to_have_text("今天去吃火锅 #美食")
    expect(page.locator(".note-body a.tag")).to_have_text("#美食")

    first = page.locator(".note-title .gloss-word").first  # the one tab stop of the words
    expect(first).to_have_attribute("tabindex", "0")
    first.focus()
    popover = page.locator("#word-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("成都")
    expect(popover).to_contain_text("Chéng dū")
    expect(popover).to_contain_text("CC-CEDICT")
    expect(first).to_have_attribute("aria-describedby", "word-popover")

    page.keyboard.press("ArrowRight")
    second = page.locator(".note-title .gloss-word").nth(1)
    expect(second).to_be_focused()
    expect(popover).to_contain_text("huǒ guō")
    expect(popover).to_contain_text("hotpot")
    page.keyboard.press("Escape")
    expect(popover).to_be_hidden()

    page.get_by_role("button", name="Hide word help").click()
    expect(page.locator(".gloss-word")).to_have_count(0)
    expect(page.locator(".note-title")).to_have_text("成都火锅")
