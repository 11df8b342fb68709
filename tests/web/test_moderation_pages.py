"""The trust and safety pages (web/pages/moderation.py): the report control and the reporter's list,
the review queue and its filters, a queue item with its decision form, appeals, the audit log and
the author's view of decisions with the appeal form — who may open each, CSRF, hostile input shown
as text, refusals at the form, and the zh strings."""

from __future__ import annotations

from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.app import create_app
from redbridge.core import ids
from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.moderation.audit import audit
from redbridge.moderation.models import AuditEntry
from redbridge.notes.models import Note
from redbridge.safety.models import Appeal, Report
from redbridge.settings import RateLimitSettings, Settings
from tests.conftest import generous_limits, prepare_schema
from tests.factories import Factory, UserHandle
from tests.safety.helpers import HOLD, install_fake_checker, staff
from tests.web.helpers import browser, count_rows, csrf_of, find, get_ok, post_form, text_of
from tests.web.test_security import XSS, assert_clean


def shown(html: str) -> str:
    """The page's visible text as a reader sees it (entities decoded)."""
    return unescape(text_of(html))


@dataclass
class Mod:
    app: FastAPI
    services: Services
    client: TestClient
    factory: Factory
    author: UserHandle
    reporter: UserHandle
    remover: UserHandle  # a moderator
    second: UserHandle  # another moderator
    admin: UserHandle
    note: dict[str, Any]

    def tab(self, user: UserHandle | None = None) -> TestClient:
        return browser(self.app, user)


@pytest.fixture
def mod(app: FastAPI, services: Services, client: TestClient, factory: Factory) -> Mod:
    install_fake_checker(services)  # before the first write: marker words, not the shipped lists
    author = factory.user("author", display_name="Ada")
    note = factory.note(author, images=0, title="Night market " + XSS[0], body="Skewers " + XSS[1])
    return Mod(app, services, client, factory, author, factory.user("reporter"),
               staff(factory, services, "moderator"), staff(factory, services, "moderator"),
               staff(factory, services, "admin"), note)


def report_note(mod: Mod, reporter: UserHandle | None = None, **fields: str) -> Any:
    """Report ``mod.note`` through the report control on its page."""
    tab = mod.tab(reporter or mod.reporter)
    page = get_ok(tab, f"/n/{mod.note['id']}")
    form = find(page, "form", action="/report")
    assert form, "no report control on the note page"
    data = {"subject": "note", "id": mod.note["id"], "reason": "spam", "detail": "", **fields}
    return post_form(tab, "/report", data, csrf_of(page))


def queue_item_id(mod: Mod) -> str:
    html = get_ok(mod.tab(mod.remover), "/moderation")
    links = [a.attrs["href"] or "" for a in find(html, "a", class_="queue-open")]
    assert links, "the queue lists no item"
    return links[-1].rsplit("/", 1)[1]


def remove_note(mod: Mod) -> str:
    assert report_note(mod).status_code == 303
    item = queue_item_id(mod)
    tab = mod.tab(mod.remover)
    page = get_ok(tab, f"/moderation/items/{item}")
    response = post_form(tab, f"/moderation/items/{item}/decision", {"action": "remove", "reason": "spam"},
                         csrf_of(page))
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/moderation"
    return item


def note_status(mod: Mod) -> str:
    with mod.services.sessions() as session:
        return str(session.scalar(select(Note.status).where(Note.id == int(mod.note["id"]))))


def decision_id(html: str) -> str:
    forms = [f.attrs["action"] or "" for f in parse_forms(html) if (f.attrs["action"] or "").endswith("/appeal")]
    assert forms, "no appeal form"
    return forms[0].split("/")[3]


def parse_forms(html: str) -> list[Any]:
    return find(html, "form", method="post")


# ---------------------------------------------------------------------------------------- reports


def test_report_control_on_notes_comments_and_profiles(mod: Mod, client: TestClient) -> None:
    made = client.post(f"/api/v1/notes/{mod.note['id']}/comments", headers=mod.reporter.headers,
                       json={"body": "nice"})
    assert made.status_code == 201
    tab = mod.tab(mod.author)
    page = get_ok(tab, f"/n/{mod.note['id']}")
    # The author: no report control for the note, one for the reporter's comment.
    ids = [i.attrs.get("value") for i in find(page, "input", name="id")]
    assert ids == [made.json()["id"]]
    assert "reporter" in [i.attrs.get("value") for i in find(get_ok(tab, "/u/reporter"), "input", name="id")]
    assert not find(get_ok(tab, "/u/author"), "form", action="/report")
    assert not find(get_ok(mod.tab(), f"/n/{mod.note['id']}"), "form", action="/report")  # logged out: none
    reasons = [o.attrs["value"] for o in find(page, "input", name="reason")]
    assert {"spam", "harassment", "other"} <= set(reasons)


def test_report_is_stored_and_listed_with_its_outcome(mod: Mod) -> None:
    response = report_note(mod, detail="Selling followers " + XSS[0])
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/settings/reports#r-")
    assert count_rows(mod.services, Report) == 1
    again = report_note(mod, reason="harassment")  # merges into the first: nothing new
    assert again.status_code == 303
    assert count_rows(mod.services, Report) == 1
    html = get_ok(mod.tab(mod.reporter), "/settings/reports")
    assert_clean(html, "/settings/reports")
    assert XSS[0] in shown(html)  # shown as text
    assert "<script>alert(1)" not in html
    assert "Waiting for a moderator" in shown(html)
    remove_note(mod)
    html = get_ok(mod.tab(mod.reporter), "/settings/reports")
    assert "Outcome: Removed" in shown(html)


@pytest.mark.parametrize(("fields", "status"), [
    ({"detail": "x" * 501}, 422),
    ({"detail": "a\x00b"}, 422),
    ({"reason": "<script>"}, 422),
    ({"subject": "message"}, 422),
    ({"id": ""}, 422),
    ({"id": "9" * 30}, 404),
    ({"id": "zz"}, 404),
])
def test_report_refusals(mod: Mod, fields: dict[str, str], status: int) -> None:
    response = report_note(mod, **fields)
    assert response.status_code == status, response.text[:300]
    assert "text/html" in response.headers["content-type"]
    assert count_rows(mod.services, Report) == 0
    assert_clean(response.text, "/report")


def test_reporting_own_content_comes_back_at_the_form(mod: Mod) -> None:
    tab = mod.tab(mod.author)
    page = get_ok(tab, "/u/reporter")
    response = post_form(tab, "/report", {"subject": "note", "id": mod.note["id"], "reason": "spam",
                                          "detail": "typed"}, csrf_of(page))
    assert response.status_code == 422
    assert "You cannot report your own content." in shown(response.text)
    assert find(response.text, "input", name="detail")[0].attrs["value"] == "typed"


def test_report_needs_login_and_csrf(mod: Mod) -> None:
    data = {"subject": "note", "id": mod.note["id"], "reason": "spam"}
    anonymous = post_form(mod.tab(), "/report", data)
    assert anonymous.status_code in (303, 403)
    assert post_form(mod.tab(mod.reporter), "/report", data).status_code == 403  # no token
    assert post_form(mod.tab(mod.reporter), "/report", data, "forged").status_code == 403
    assert count_rows(mod.services, Report) == 0
    assert mod.tab().get("/settings/reports").headers["location"] == "/login?next=/settings/reports"


def test_reports_from_pages_share_the_api_rate_limit(settings: Settings) -> None:
    limits = generous_limits().model_dump()
    limits["report_per_account"] = (2, 3600)
    app = create_app(settings.model_copy(update={"rate_limits": RateLimitSettings(**limits)}), SystemClock())
    prepare_schema(app.state.services)
    try:
        with TestClient(app) as client:
            factory = Factory(client, app.state.services)
            author, reporter = factory.user(), factory.user()
            notes = [factory.note(author, images=0) for _ in range(3)]
            response = client.post("/api/v1/reports", headers=reporter.headers,
                                   json={"subject": "note", "id": notes[0]["id"], "reason": "spam"})
            assert response.status_code == 201  # one spent through the API
            tab = browser(app, reporter)
            token = csrf_of(get_ok(tab, f"/n/{notes[1]['id']}"))
            data = {"subject": "note", "reason": "spam"}
            assert post_form(tab, "/report", {**data, "id": notes[1]["id"]}, token).status_code == 303
            limited = post_form(tab, "/report", {**data, "id": notes[2]["id"]}, token)
            assert limited.status_code == 429
            assert "text/html" in limited.headers["content-type"]
            assert "retry-after" in {k.lower() for k in limited.headers}
            assert count_rows(app.state.services, Report) == 2
    finally:
        app.state.services.close()


# ------------------------------------------------------------------------------------------ queue


STAFF_PAGES = ("/moderation", "/moderation/appeals")


@pytest.mark.parametrize("path", [*STAFF_PAGES, "/moderation/audit"])
def test_staff_pages_refuse_users_and_redirect_anonymous(mod: Mod, path: str) -> None:
    response = mod.tab().get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"
    refused = mod.tab(mod.reporter).get(path)
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]


def test_queue_lists_and_filters(mod: Mod) -> None:
    report_note(mod, reason="spam")
    other = mod.factory.note(mod.factory.user(), images=0, title="早餐吃什么", body="豆浆油条")
    tab = mod.tab(mod.remover)
    page = get_ok(tab, f"/n/{other['id']}")
    assert page  # a moderator reads it too
    post_form(mod.tab(mod.reporter), "/report", {"subject": "note", "id": other["id"], "reason": "harassment"},
              csrf_of(get_ok(mod.tab(mod.reporter), f"/n/{other['id']}")))
    html = get_ok(tab, "/moderation")
    assert_clean(html, "/moderation")
    assert len(find(html, "li", class_="queue-item")) == 2
    text = shown(html)
    assert "Night market " + XSS[0] in text
    assert "<script>alert" not in html
    assert "1 report" in text
    assert "Spam or scam" in text
    assert find(html, "a", href="/moderation/users/author")
    only_zh = get_ok(tab, "/moderation?content_lang=zh&category=&kind=note&older_than=")
    assert [t.text for t in find(only_zh, "strong") if "早餐" in t.text]
    assert len(find(only_zh, "li", class_="queue-item")) == 1
    assert "selected" in find(only_zh, "option", value="zh")[0].attrs
    assert len(find(get_ok(tab, "/moderation?category=spam"), "li", class_="queue-item")) == 1
    assert len(find(get_ok(tab, "/moderation?kind=comment"), "li", class_="queue-item")) == 0
    assert len(find(get_ok(tab, "/moderation?older_than=1d"), "li", class_="queue-item")) == 0
    assert "Nothing waiting for review." in shown(get_ok(tab, "/moderation?older_than=7d"))


@pytest.mark.parametrize("query", ["category=<script>", "kind=bogus", "older_than=1y", "content_lang=%00"])
def test_queue_bad_filters_are_422_with_the_form(mod: Mod, query: str) -> None:
    response = mod.tab(mod.remover).get(f"/moderation?{query}")
    assert response.status_code == 422
    assert find(response.text, "p", class_="field-error")
    assert_clean(response.text, query)


def test_queue_bad_cursor_is_not_a_500(mod: Mod) -> None:
    assert mod.tab(mod.remover).get("/moderation?cursor=%3Cscript%3E").status_code == 400


def test_moderation_link_in_the_top_bar_for_staff_only(mod: Mod) -> None:
    assert find(get_ok(mod.tab(mod.remover), "/"), "a", href="/moderation")
    assert find(get_ok(mod.tab(mod.admin), "/"), "a", href="/moderation")
    assert not find(get_ok(mod.tab(mod.reporter), "/"), "a", href="/moderation")
    assert not find(get_ok(mod.tab(), "/"), "a", href="/moderation")


# ------------------------------------------------------------------------------------- queue item


def test_item_page_shows_content_evidence_reports_and_history(mod: Mod) -> None:
    report_note(mod, detail="spam link " + XSS[1])
    item = queue_item_id(mod)
    html = get_ok(mod.tab(mod.remover), f"/moderation/items/{item}")
    assert_clean(html, "item")
    text = shown(html)
    assert "Skewers " + XSS[1] in text
    assert "<img src=x" not in html
    assert "spam link " + XSS[1] in text
    assert "Spam or scam: 1" in text
    assert find(html, "a", href="/moderation/users/author")
    assert find(html, "form", action=f"/moderation/items/{item}/decision")
    assert {i.attrs["value"] for i in find(html, "input", name="action")} == {"approve", "label", "remove"}
    assert mod.tab(mod.reporter).get(f"/moderation/items/{item}").status_code == 403
    assert mod.tab().get(f"/moderation/items/{item}").status_code == 303
    assert mod.tab(mod.remover).get("/moderation/items/nope").status_code == 404
    assert mod.tab(mod.remover).get("/moderation/items/99999999").status_code == 404


def test_pipeline_evidence_is_shown(mod: Mod) -> None:
    held = mod.factory.note(mod.author, images=0, title=f"{HOLD} cheap followers", body="")
    assert held["status"] == "held"
    html = get_ok(mod.tab(mod.remover), "/moderation")
    assert "Held by the filter" in shown(html)
    item = next(a.attrs["href"] for a in find(html, "a", class_="queue-open"))
    page = get_ok(mod.tab(mod.remover), item or "")
    assert find(page, "dl", class_="mod-hits")
    assert "Automatic filter" in shown(page)


def test_remove_then_decide_again_is_409_at_the_form(mod: Mod) -> None:
    before = count_rows(mod.services, AuditEntry)
    item = remove_note(mod)
    assert note_status(mod) == "removed"
    assert count_rows(mod.services, AuditEntry) == before + 1
    tab = mod.tab(mod.second)
    html = get_ok(tab, f"/moderation/items/{item}")
    assert "Decided: Removed" in shown(html)
    assert not find(html, "form", action=f"/moderation/items/{item}/decision")
    response = post_form(tab, f"/moderation/items/{item}/decision", {"action": "approve", "reason": "no_violation"},
                         csrf_of(html))
    assert response.status_code == 409
    assert "This item has already been decided." in shown(response.text)
    assert note_status(mod) == "removed"


@pytest.mark.parametrize("data", [{"action": "delete", "reason": "spam"}, {"action": "remove", "reason": ""},
                                  {"action": "remove", "reason": "<b>x</b>"}, {}])
def test_decision_bad_input_is_422(mod: Mod, data: dict[str, str]) -> None:
    report_note(mod)
    item = queue_item_id(mod)
    tab = mod.tab(mod.remover)
    response = post_form(tab, f"/moderation/items/{item}/decision", data, csrf_of(get_ok(tab, "/moderation")))
    assert response.status_code == 422
    assert find(response.text, "p", class_="field-error")
    assert note_status(mod) == "published"


def test_decision_needs_the_role_and_csrf(mod: Mod) -> None:
    report_note(mod)
    item = queue_item_id(mod)
    data = {"action": "remove", "reason": "spam"}
    url = f"/moderation/items/{item}/decision"
    assert post_form(mod.tab(mod.remover), url, data).status_code == 403
    user = mod.tab(mod.reporter)
    assert post_form(user, url, data, csrf_of(get_ok(user, "/settings/reports"))).status_code == 403
    assert post_form(mod.tab(), url, data).status_code in (303, 403)
    # A moderator's own content: 403.
    own = mod.factory.note(mod.remover, images=0, title="mine")
    post_form(mod.tab(mod.reporter), "/report", {"subject": "note", "id": own["id"], "reason": "spam"},
              csrf_of(get_ok(mod.tab(mod.reporter), "/settings/reports")))
    html = get_ok(mod.tab(mod.remover), "/moderation")
    own_item = [a.attrs["href"] or "" for a in find(html, "a", class_="queue-open")][-1].rsplit("/", 1)[1]
    tab = mod.tab(mod.remover)
    assert post_form(tab, f"/moderation/items/{own_item}/decision", data,
                     csrf_of(get_ok(tab, "/moderation"))).status_code == 403
    assert note_status(mod) == "published"


# ---------------------------------------------------------------------------- author and appeals


def test_author_sees_the_removal_and_appeals_then_another_moderator_reinstates(mod: Mod) -> None:
    remove_note(mod)
    author = mod.tab(mod.author)
    note_page = get_ok(author, f"/n/{mod.note['id']}")
    assert "Removed" in shown(note_page)
    assert find(note_page, "a", href="/settings/moderation")
    assert mod.tab(mod.reporter).get(f"/n/{mod.note['id']}").status_code == 404

    html = get_ok(author, "/settings/moderation")
    assert_clean(html, "/settings/moderation")
    assert "it looks like spam" in shown(html)
    assert "Now: Removed" in shown(html)
    decision = decision_id(html)
    # Someone else cannot appeal it (404), an empty text is refused at the form.
    reporter = mod.tab(mod.reporter)
    assert post_form(reporter, f"/settings/moderation/{decision}/appeal", {"text": "mine"},
                     csrf_of(get_ok(reporter, "/settings/reports"))).status_code == 404
    empty = post_form(author, f"/settings/moderation/{decision}/appeal", {"text": "  \u200b "}, csrf_of(html))
    assert empty.status_code == 422
    assert find(empty.text, "p", class_="field-error")
    assert post_form(author, f"/settings/moderation/{decision}/appeal", {"text": "x"}).status_code == 403  # no CSRF
    assert count_rows(mod.services, Appeal) == 0

    response = post_form(author, f"/settings/moderation/{decision}/appeal", {"text": "Just food " + XSS[0]},
                         csrf_of(html))
    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/moderation#d-{decision}"
    html = get_ok(author, "/settings/moderation")
    assert "You appealed. Another moderator will decide." in shown(html)
    again = post_form(author, f"/settings/moderation/{decision}/appeal", {"text": "again"}, csrf_of(html))
    assert again.status_code == 409
    assert "already been appealed" in shown(again.text)

    # The moderator who removed it sees the appeal but no form, and is refused.
    remover = mod.tab(mod.remover)
    appeals = get_ok(remover, "/moderation/appeals")
    assert_clean(appeals, "/moderation/appeals")
    assert "Just food " + XSS[0] in shown(appeals)
    assert "<script>alert" not in appeals
    assert "You made this removal" in shown(appeals)
    with mod.services.sessions() as session:
        appeal_id = ids.encode(session.scalar(select(Appeal.id)))
    url = f"/moderation/appeals/{appeal_id}/decision"
    assert post_form(remover, url, {"action": "reinstate", "reason": "no_violation"},
                     csrf_of(appeals)).status_code == 403
    # The queue item the appeal reopened sends moderators to the appeals page, not the decision form.
    item_url = next(a.attrs["href"] or "" for a in find(appeals, "a") if "/moderation/items/" in (a.attrs["href"] or ""))
    item_page = get_ok(remover, item_url)
    assert find(item_page, "a", href=f"/moderation/appeals#a-{appeal_id}")
    assert not find(item_page, "form", action=item_url + "/decision")

    second = mod.tab(mod.second)
    appeals = get_ok(second, "/moderation/appeals")
    assert find(appeals, "form", action=url)
    bad = post_form(second, url, {"action": "delete", "reason": "spam"}, csrf_of(appeals))
    assert bad.status_code == 422
    assert find(bad.text, "p", class_="field-error")
    done = post_form(second, url, {"action": "reinstate", "reason": "no_violation"}, csrf_of(appeals))
    assert done.status_code == 303
    assert note_status(mod) == "published"
    assert get_ok(mod.tab(mod.reporter), f"/n/{mod.note['id']}")
    assert "No open appeals." in shown(get_ok(second, "/moderation/appeals"))
    late = post_form(second, url, {"action": "uphold", "reason": "spam"}, csrf_of(appeals))
    assert late.status_code == 409
    assert "already been decided" in shown(late.text)
    assert "On appeal, another moderator reinstated this." in shown(get_ok(author, "/settings/moderation"))


def test_author_view_needs_login(mod: Mod) -> None:
    assert mod.tab().get("/settings/moderation").headers["location"] == "/login?next=/settings/moderation"
    html = get_ok(mod.tab(mod.reporter), "/settings/moderation")
    assert "No decisions about your content." in shown(html)
    assert mod.tab(mod.author).get("/settings/moderation?cursor=bad").status_code == 400
    assert post_form(mod.tab(), "/settings/moderation/1/appeal", {"text": "x"}).status_code in (303, 403)
    tab = mod.tab(mod.author)
    token = csrf_of(get_ok(tab, "/settings/reports"))
    assert post_form(tab, "/settings/moderation/nope/appeal", {"text": "x"}, token).status_code == 404
    assert post_form(tab, "/settings/moderation/99999999/appeal", {"text": "x"}, token).status_code == 404


# ------------------------------------------------------------------------------------------ audit


def test_audit_log_for_admins_paginated(mod: Mod) -> None:
    remove_note(mod)
    html = get_ok(mod.tab(mod.admin), "/moderation/audit")
    assert_clean(html, "/moderation/audit")
    assert "queue.remove" in shown(html)
    assert find(html, "a", href="/moderation/audit")  # the tab
    assert mod.tab(mod.remover).get("/moderation/audit").status_code == 403
    assert not find(get_ok(mod.tab(mod.remover), "/moderation"), "a", href="/moderation/audit")
    # More entries than a page: an "Older entries" link that leads to the rest.

    with mod.services.sessions() as session:
        now = mod.services.clock.now()
        for n in range(55):
            audit(session, now, mod.admin.int_id, "test.entry", "note", n + 1, {"n": n, "html": XSS[0]})
        session.commit()
    first = get_ok(mod.tab(mod.admin), "/moderation/audit")
    assert len(find(first, "tr")) == 51  # a header row and 50 entries
    older = [a.attrs["href"] or "" for a in find(first, "a") if "cursor=" in (a.attrs["href"] or "")]
    assert older
    rest = get_ok(mod.tab(mod.admin), older[0])
    assert len(find(rest, "tr")) == 1 + 56 - 50
    assert "<script>alert" not in first


# ------------------------------------------------------------------------------------------ zh


def test_pages_in_chinese(mod: Mod) -> None:
    assert "举报" in shown(get_ok(mod.tab(mod.reporter), f"/n/{mod.note['id']}?lang=zh-Hans"))
    remove_note(mod)
    assert "审核队列" in shown(get_ok(mod.tab(mod.remover), "/moderation?lang=zh-Hans"))
    assert "申诉" in shown(get_ok(mod.tab(mod.remover), "/moderation/appeals?lang=zh-Hans"))
    assert "审计日志" in shown(get_ok(mod.tab(mod.admin), "/moderation/audit?lang=zh-Hans"))
    mine = shown(get_ok(mod.tab(mod.author), "/settings/moderation?lang=zh-Hans"))
    assert "审核决定" in mine
    assert "垃圾" in mine  # the reason's sentence in the author's language
    assert "我的舉報" in shown(get_ok(mod.tab(mod.reporter), "/settings/reports?lang=zh-Hant"))


def test_appeal_decision_needs_the_role(mod: Mod) -> None:
    """A plain account with its own valid CSRF token is refused the appeal decision (403, the
    role's, not the token's) and the appeal stays open."""
    remove_note(mod)
    author = mod.tab(mod.author)
    html = get_ok(author, "/settings/moderation")
    assert post_form(author, f"/settings/moderation/{decision_id(html)}/appeal", {"text": "Just food"},
                     csrf_of(html)).status_code == 303
    with mod.services.sessions() as session:
        appeal_id = ids.encode(session.scalar(select(Appeal.id)))
    user = mod.tab(mod.reporter)
    refused = post_form(user, f"/moderation/appeals/{appeal_id}/decision",
                        {"action": "reinstate", "reason": "no_violation"}, csrf_of(get_ok(user, "/settings/reports")))
    assert refused.status_code == 403
    with mod.services.sessions() as session:
        assert session.scalar(select(Appeal.state)) == "open"
    assert note_status(mod) == "removed"
