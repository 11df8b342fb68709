"""In a real browser: sign up → onboarding → explore → a note → like, collect, comment (HTMX, no
page reload); the language switcher; reading without JavaScript; keyboard access to cards and
the carousel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, Tab, unique
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

RED, TEAL, GOLD = (214, 60, 60), (40, 150, 140), (220, 170, 40)


def mark_document(page: Page) -> None:
    """Tag the current document; ``still_same_document`` is then false after any navigation or
    reload, so it tells an in-place (HTMX) update from a full page load."""
    page.evaluate("window.__e2eMark = 'same'")


def still_same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__e2eMark === 'same'"))


def test_signup_onboarding_explore_note_like_collect_comment(tab: Tab, live_server: LiveServer) -> None:
    author = live_server.user("mei", display_name="Mei")
    photo = live_server.photo_note(author, [RED, TEAL, GOLD], title="Hand-pulled noodles in Lanzhou",
                                   body="Beef broth at dawn #noodles", place={"name": "Lanzhou"})
    live_server.photo_note(author, [TEAL], title="Tea terraces after rain", body="Green everywhere #travel")
    live_server.factory.note(author, images=0, title="早餐吃什么", body="豆浆油条，简单又好吃 #早餐")
    live_server.fresh_explore()

    page = tab.goto("/signup")
    username = unique("reader")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/onboarding"))

    page.locator("label.chip", has_text="Food").click()
    page.locator("label.chip", has_text="Travel").click()
    page.locator("label.chip", has_text="中文").click()
    expect(page.get_by_role("checkbox", name="Food")).to_be_checked()
    expect(page.get_by_role("checkbox", name="中文")).to_be_checked()
    page.get_by_role("button", name="Start exploring").click()
    page.wait_for_url(live_server.url + "/")

    cards = page.locator("article.card")
    for title in ("Hand-pulled noodles in Lanzhou", "Tea terraces after rain", "早餐吃什么"):
        expect(cards.filter(has_text=title)).to_have_count(1)
    card = cards.filter(has_text="Hand-pulled noodles in Lanzhou")
    expect(card.locator("img")).to_have_attribute("alt", "Hand-pulled noodles in Lanzhou")
    card.locator("a.card-link").click()
    page.wait_for_url(f"{live_server.url}/n/{photo['id']}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Hand-pulled noodles in Lanzhou")
    carousel = page.locator("[data-carousel]")
    expect(carousel).to_have_attribute("data-ready", "1")  # carousel.js ran
    expect(carousel.locator(".slide img")).to_have_count(3)
    expect(carousel.locator("[data-carousel-status]")).to_have_text("1 / 3")
    # The first photo really loaded (a decoded image, not a broken icon).
    assert page.locator(".slide img").first.evaluate("img => img.complete && img.naturalWidth > 0")

    mark_document(page)
    like = page.locator("#actions button[aria-pressed]")
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like.locator("[data-count=like]")).to_have_text("0")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator("[data-count=like]")).to_have_text("1")

    page.locator("details.collect summary").click()
    page.get_by_label("Or a new collection").fill("Noodle trips")
    page.locator(".collect-panel").get_by_role("button", name="Collect").click()
    expect(page.locator("details.collect summary")).to_contain_text("Collected")
    expect(page.locator("[data-count=collect]")).to_have_text("1")

    page.get_by_label("Add a comment").fill("Saving this for my trip! #noodles")
    page.get_by_role("button", name="Send").click()
    comment = page.locator("#comments .comment").filter(has_text="Saving this for my trip!")
    expect(comment).to_have_count(1)
    expect(comment.locator("a.comment-author")).to_have_attribute("href", f"/u/{username}")
    expect(comment.get_by_role("link", name="#noodles")).to_have_attribute("href", "/t/noodles")
    assert still_same_document(page), "like / collect / comment reloaded the page instead of swapping"

    # The server kept all of it: a fresh load shows the same state.
    page.reload()
    expect(page.locator("#actions button[aria-pressed]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("details.collect summary")).to_contain_text("Collected")
    expect(page.locator("#collect-into option", has_text="Noodle trips")).to_have_count(1)
    expect(page.locator("#comments .comment", has_text="Saving this for my trip!")).to_have_count(1)
    note = live_server.http.get(f"/api/v1/notes/{photo['id']}").json()
    assert (note["like_count"], note["collect_count"], note["comment_count"]) == (1, 1, 1)


def test_language_switcher_changes_the_interface(tab: Tab, live_server: LiveServer) -> None:
    page = tab.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Explore")).to_be_visible()

    page.locator("details.lang-switch summary").click()
    with page.expect_navigation():
        page.get_by_role("link", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="发现")).to_be_visible()
    expect(nav.get_by_role("link", name="关注")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Explore", exact=True)).to_have_count(0)

    # Logged in, the switcher is a form that also saves the account's language.
    user = live_server.user("lang")
    tab.login(user)
    page.locator("details.lang-switch summary").click()
    with page.expect_navigation():
        page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("link", name="發現").first).to_be_visible()
    me = live_server.http.get("/api/v1/auth/me", headers=user.headers).json()
    assert me["ui_lang"] == "zh-Hant"


def test_reading_without_javascript(nojs_tab: Tab, live_server: LiveServer) -> None:
    author = live_server.user("plain")
    note = live_server.photo_note(author, [TEAL, GOLD], title="Night market without scripts")
    live_server.fresh_explore()

    page = nojs_tab.goto("/")
    card = page.locator("article.card").filter(has_text="Night market without scripts")
    expect(card).to_have_count(1)
    card.locator("a.card-link").click()
    page.wait_for_url(f"{live_server.url}/n/{note['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Night market without scripts")
    expect(page.locator(".slide img")).to_have_count(2)
    expect(page.locator("[data-carousel]")).not_to_have_attribute("data-ready", "1")  # no script ran

    # The forms are plain posts: a like without JavaScript is a 303 back to the note.
    reader = live_server.user("plainreader")
    nojs_tab.login(reader)
    nojs_tab.goto(f"/n/{note['id']}")
    with page.expect_navigation():
        page.locator("#actions button[aria-pressed]").click()
    expect(page.locator("#actions button[aria-pressed]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-count=like]")).to_have_text("1")


def _tab_until(page: Page, selector: str, limit: int = 60) -> int:
    """Press Tab until the focused element matches ``selector``; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return presses
    raise AssertionError(f"Tab never reached {selector!r} in {limit} presses")


def test_keyboard_reaches_cards_and_moves_the_carousel(tab: Tab, live_server: LiveServer) -> None:
    author = live_server.user("keys")
    note = live_server.photo_note(author, [RED, TEAL, GOLD], title="Three photos for the keyboard")
    live_server.photo_note(author, [TEAL], title="A second card to tab to")  # whatever ran before
    live_server.fresh_explore()

    page = tab.goto("/")
    _tab_until(page, "a.card-link")
    # Tab again: the next stop is the author link of the same card, then the next card's link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('article.card') !== null")
    _tab_until(page, "a.card-link", limit=3)

    tab.goto(f"/n/{note['id']}")
    # A slow machine, on purpose: the carousel's smooth scrolls then take long enough for keys to
    # arrive mid-scroll and for the observer's reports to come late, which is when a carousel that
    # trusts every report puts its counter back on a slide already left (once a flake under load).
    tab.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 6})
    expect(page.locator("[data-carousel]")).to_have_attribute("data-ready", "1")  # its keys are wired
    status = page.locator("[data-carousel-status]")
    _tab_until(page, ".slides")
    page.keyboard.press("ArrowRight")
    expect(status).to_have_text("2 / 3")
    page.keyboard.press("ArrowRight")
    expect(status).to_have_text("3 / 3")
    page.keyboard.press("ArrowRight")  # stays on the last photo
    expect(status).to_have_text("3 / 3")
    page.keyboard.press("ArrowLeft")
    expect(status).to_have_text("2 / 3")

    previous = page.get_by_role("button", name="Previous photo")
    following = page.get_by_role("button", name="Next photo")
    previous.click()
    expect(status).to_have_text("1 / 3")
    # On the first photo "previous" is disabled (and hidden: no longer in the accessibility tree).
    expect(page.locator("[data-carousel] .arrow-prev")).to_be_disabled()
    following.focus()
    page.keyboard.press("Enter")
    expect(status).to_have_text("2 / 3")
    expect(page.locator(".dots .dot").nth(1)).to_have_attribute("aria-current", "true")
