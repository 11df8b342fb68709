"""In a real browser: compose a note with two photos (uploaded as they are picked) → the note page →
the author's profile; a failed upload keeps what was typed; hostile text in a title, body,
comment, display name and bio is shown as text and runs nothing (dialogs, CSP violations and JS
errors are recorded on every page by the ``tab`` fixture)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import png_upload
from tests.e2e.conftest import LiveServer, Tab, open_tab

pytestmark = pytest.mark.e2e

TITLE_XSS = '<img src=x onerror=alert(1)>Hotpot'  # the title limit is 40
BODY_XSS = '<script>alert("body")</script> and <svg onload=alert("svg")> #hotpot'
COMMENT_XSS = '"><img src=x onerror=alert("comment")>'
NAME_XSS = "<b onmouseover=alert(1)>Eve</b>"
BIO_XSS = '<script>alert("bio")</script><img src=x onerror=alert("bio2")> 我爱火锅'


def assert_nothing_injected(page: Page) -> None:
    """None of the payloads became an element: no image pointing at ``x``, no script or svg of
    ours, no element carrying an inline handler."""
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("svg[onload], [onerror], [onmouseover]").count() == 0
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.textContent)")
    assert not any("alert" in text for text in scripts), scripts


def test_compose_two_photos_then_note_page_and_profile(tab: Tab, live_server: LiveServer) -> None:
    author = live_server.user("writer", display_name="Writer")
    tab.login(author)
    page = tab.goto("/compose")
    form = page.locator("form#composer")
    form.get_by_label("Add photos or a video").set_input_files(
        [png_upload("dumplings.png", (200, 90, 60)), png_upload("teahouse.png", (60, 140, 120))]
    )
    expect(form.locator('.upload-tile[data-state="done"]')).to_have_count(2)
    form.get_by_label("Title", exact=True).fill("Dumplings and tea in Chengdu")
    form.get_by_label("Body", exact=True).fill("Two stops on a rainy afternoon #chengdu")
    form.locator("input[name=tags]").fill("dumplings, tea")
    form.locator("input[name=place]").fill("Chengdu")
    form.get_by_role("button", name="Publish").click()

    page.wait_for_url(re.compile(r"/n/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dumplings and tea in Chengdu")
    slides = page.locator("[data-carousel] .slide img")
    expect(slides).to_have_count(2)
    for index in range(2):
        assert slides.nth(index).evaluate("img => { img.loading = 'eager'; return img.decode().then(() => img.naturalWidth) }") > 0
    expect(page.locator(".note-meta")).to_contain_text("Chengdu")
    expect(page.get_by_role("link", name="#chengdu")).to_be_visible()
    note_path = page.url.removeprefix(live_server.url)

    page.locator(".me-link").click()
    page.wait_for_url(f"{live_server.url}/u/{author.username}")
    card = page.locator("article.card").filter(has_text="Dumplings and tea in Chengdu")
    expect(card).to_have_count(1)
    expect(card.locator("a.card-link")).to_have_attribute("href", note_path)


def test_failed_upload_keeps_the_typed_text(tab: Tab, live_server: LiveServer) -> None:
    tab.login(live_server.user("oops"))
    page = tab.goto("/compose")
    form = page.locator("form#composer")
    form.get_by_label("Title", exact=True).fill("Mapo tofu, take two")
    form.get_by_label("Body", exact=True).fill("Less oil this time.\n第二次做麻婆豆腐")
    form.get_by_label("Add photos or a video").set_input_files(
        {"name": "tofu.jpg", "mimeType": "image/jpeg", "buffer": b"this is a text file, not a JPEG\n" * 20}
    )
    tile = form.locator('.upload-tile[data-state="error"]')
    expect(tile).to_have_count(1)
    expect(tile.get_by_role("alert")).to_be_visible()
    expect(tile.get_by_role("alert")).not_to_have_text("")
    expect(form.get_by_label("Title", exact=True)).to_have_value("Mapo tofu, take two")
    expect(form.get_by_label("Body", exact=True)).to_have_value("Less oil this time.\n第二次做麻婆豆腐")
    expect(form.locator('.upload-tile[data-state="done"]')).to_have_count(0)

    # A good file after the bad one still uploads, and nothing typed was lost on the way.
    form.get_by_label("Add photos or a video").set_input_files(png_upload("tofu.png", (180, 40, 30)))
    expect(form.locator('.upload-tile[data-state="done"]')).to_have_count(1)
    expect(form.get_by_label("Title", exact=True)).to_have_value("Mapo tofu, take two")


def test_hostile_text_in_note_comment_and_profile_is_shown_as_text(tab: Tab, live_server: LiveServer) -> None:
    eve = live_server.user("eve")
    response = live_server.http.patch("/api/v1/auth/me", headers=eve.headers,
                                      json={"display_name": NAME_XSS, "bio": BIO_XSS})
    assert response.status_code == 200, response.text
    note = live_server.photo_note(eve, [(120, 40, 160)], title=TITLE_XSS, body=BODY_XSS)
    commented = live_server.http.post(f"/api/v1/notes/{note['id']}/comments", headers=eve.headers,
                                      json={"body": COMMENT_XSS})
    assert commented.status_code == 201, commented.text
    live_server.fresh_explore()

    page = tab.goto(f"/n/{note['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE_XSS)
    expect(page.locator(".note-body")).to_have_text(BODY_XSS)
    expect(page.locator(".note-body a.tag")).to_have_text("#hotpot")  # markup still links the tag
    expect(page.locator("#comments .comment-body")).to_have_text(COMMENT_XSS)
    expect(page.locator(".note-author .byline-name")).to_have_text(NAME_XSS)
    expect(page.locator(".slide img")).to_have_attribute("alt", TITLE_XSS)
    assert_nothing_injected(page)

    tab.goto(f"/u/{eve.username}")
    expect(page.locator(".profile-bio")).to_have_text(BIO_XSS)
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME_XSS)
    expect(page.locator("article.card .card-title")).to_have_text(TITLE_XSS)
    assert_nothing_injected(page)

    tab.goto("/")
    expect(page.locator("article.card").filter(has_text=TITLE_XSS)).to_have_count(1)
    assert_nothing_injected(page)


def test_hostile_bio_through_the_settings_form(tab: Tab, live_server: LiveServer) -> None:
    user = live_server.user("mallory")
    tab.login(user)
    page = tab.goto("/settings/profile")
    form = page.locator("form#profile-form")
    form.get_by_label("Display name", exact=True).fill(NAME_XSS)
    form.get_by_label("Bio", exact=True).fill(BIO_XSS)
    with page.expect_navigation():
        form.get_by_role("button", name="Save").click()
    assert_nothing_injected(page)

    tab.goto(f"/u/{user.username}")
    expect(page.locator(".profile-bio")).to_have_text(BIO_XSS)
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME_XSS)
    assert_nothing_injected(page)
    me = live_server.http.get("/api/v1/auth/me", headers=user.headers).json()
    assert (me["display_name"], me["bio"]) == (NAME_XSS, BIO_XSS)  # stored exactly as typed



def _poll(page: Page, condition: Callable[[], bool]) -> bool:
    """Console and dialog events reach Python while Playwright waits; give them a moment."""
    for _ in range(100):
        if condition():
            return True
        page.wait_for_timeout(50)
    return condition()


def test_the_watchers_notice_a_blocked_and_a_running_script(browser: Browser, live_server: LiveServer) -> None:
    """The XSS checks pass because nothing was recorded, so prove the recording works: markup
    injected into one of our pages has its inline handler refused by the CSP (recorded, no
    dialog), and the same markup in a page without our CSP opens a dialog (recorded)."""
    opened = open_tab(browser, live_server)
    try:
        page, problems = opened.page, opened.problems
        opened.goto("/")
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=alert(1)>')")
        assert _poll(page, lambda: any("inline event handler" in m for m in problems.csp)), problems.csp
        assert problems.dialogs == []

        page.goto("about:blank")  # a document without our CSP
        page.set_content("<img src=x onerror=alert(2)>")
        assert _poll(page, lambda: problems.dialogs == ["alert: 2"]), problems.dialogs
    finally:
        opened.context.close()
