"""In a real browser, the whole trust and safety cycle through the pages (issue 8): a user posts a
note, another reports it from the note page, a moderator finds it in the review queue and removes
it, the author reads the removal on their settings page and appeals, a second moderator reinstates
it from the appeals page, and the note is visible to others again. Every step is a click in the
page (forms, ``<details>``), nothing through the API but the setup."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, Tab
from tests.factories import UserHandle
from tests.safety.helpers import staff

pytestmark = pytest.mark.e2e

TITLE = "Dumplings at the night market"
APPEAL = "These are my own photos of dinner, nothing for sale <b>really</b>"


def switch_to(tab: Tab, user: UserHandle) -> Page:
    """The same browser tab as another person: the cookies go, then the login form."""
    tab.context.clear_cookies()
    tab.login(user)
    return tab.page


def test_report_queue_removal_appeal_reinstatement(tab: Tab, live_server: LiveServer) -> None:
    services = live_server.app.state.services
    author = live_server.user("cook", display_name="Cook")
    reporter = live_server.user("reporter")
    remover = staff(live_server.factory, services, "moderator")
    second = staff(live_server.factory, services, "moderator")
    note = live_server.factory.note(author, images=0, title=TITLE, body="Pork and chive, twelve in a basket")
    note_path = f"/n/{note['id']}"

    # The reporter reports it from the note page: the control is a <details> with a plain form.
    page = switch_to(tab, reporter)
    tab.goto(note_path)
    control = page.locator("details.report-control").first
    control.locator("summary").click()
    control.get_by_label("Spam or scam").check()
    control.get_by_label("Details (optional)").fill("Looks like an ad to me")
    with page.expect_navigation():
        control.get_by_role("button", name="Send report").click()
    assert "/settings/reports" in page.url
    expect(page.locator("li.decision").first).to_contain_text("Waiting for a moderator")

    # A moderator: the top bar's Moderation link, the queue, the item, Remove.
    page = switch_to(tab, remover)
    tab.goto("/")
    page.locator("nav.mainnav").get_by_role("link", name="Moderation").click()
    page.wait_for_url(re.compile(r"/moderation$"))
    item = page.locator("li.queue-item", has_text=TITLE)
    expect(item).to_contain_text("1 report")
    item.locator("a.queue-open").click()
    page.wait_for_url(re.compile(r"/moderation/items/"))
    expect(page.locator(".mod-details")).to_contain_text("Looks like an ad to me")
    form = page.locator("form.decision-form")
    form.get_by_label("Remove").check()
    form.get_by_label("Reason").select_option("spam")
    with page.expect_navigation():
        form.get_by_role("button", name="Decide").click()
    assert page.url.endswith("/moderation")
    expect(page.locator("li.queue-item", has_text=TITLE)).to_have_count(0)

    # Others no longer see it.
    tab.context.clear_cookies()
    gone = page.goto(live_server.url + note_path)
    assert gone is not None
    assert gone.status == 404

    # The author: the mark on the note links to the decisions page, where the appeal form is.
    page = switch_to(tab, author)
    tab.goto(note_path)
    notice = page.locator(".review-notice")
    expect(notice).to_contain_text("Removed")
    notice.get_by_role("link", name="Why, and how to appeal").click()
    page.wait_for_url(re.compile(r"/settings/moderation$"))
    decision = page.locator("li.decision", has_text=TITLE).first
    expect(decision).to_contain_text("spam")
    decision.locator("details.appeal-control summary").click()
    decision.get_by_label("Why should this be reinstated?").fill(APPEAL)
    with page.expect_navigation():
        decision.get_by_role("button", name="Send appeal").click()
    expect(page.locator("li.decision", has_text=TITLE).first).to_contain_text("You appealed")

    # The moderator who removed it may not decide the appeal; a second one reinstates it.
    page = switch_to(tab, remover)
    tab.goto("/moderation/appeals")
    mine = page.locator("li.appeal", has_text=TITLE)
    expect(mine).to_contain_text("You made this removal")
    expect(mine.locator("form")).to_have_count(0)

    page = switch_to(tab, second)
    tab.goto("/moderation/appeals")
    appeal = page.locator("li.appeal", has_text=TITLE)
    expect(appeal.locator("blockquote")).to_have_text(APPEAL)  # the author's markup is text
    appeal.get_by_label("Reinstate").check()
    appeal.get_by_label("Reason").select_option("no_violation")
    with page.expect_navigation():
        appeal.get_by_role("button", name="Decide").click()
    expect(page.locator("li.appeal", has_text=TITLE)).to_have_count(0)

    # Visible to others again, and the author reads the outcome.
    page = switch_to(tab, reporter)
    tab.goto(note_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".review-notice")).to_have_count(0)
    tab.goto("/settings/reports")
    expect(page.locator("li.decision").first).to_contain_text("Removed")  # the report's outcome stands
    page = switch_to(tab, author)
    tab.goto("/settings/moderation")
    expect(page.locator("main")).to_contain_text("On appeal, another moderator reinstated this.")
