"""The rules editor's pages (docs/moderation.md, "Rules editor"): an admin lists, adds, edits,
disables and enables rules, tries a text and disables a shipped rule; moderators and users get 403,
nobody logged in the login redirect; forms need their CSRF token; hostile input comes back escaped."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.core.services import Services
from redbridge.moderation.models import AuditEntry, ModerationRule, RuleOverride
from tests.factories import Factory
from tests.rules.helpers import settle
from tests.safety.helpers import staff
from tests.web.helpers import browser, csrf_of, get_ok, post_form, text_of

MARKER = "zorblax deal"


def _rule(services: Services, pattern: str) -> ModerationRule | None:
    with services.sessions() as session:
        return session.scalar(select(ModerationRule).where(ModerationRule.pattern == pattern))


def test_admin_adds_edits_disables_and_tries(app: FastAPI, services: Services, factory: Factory) -> None:
    admin = staff(factory, services, "admin")
    tab = browser(app, admin)
    page = get_ok(tab, "/admin/rules")
    assert "No rules yet." in text_of(page)
    csrf = csrf_of(page)
    form = {"kind": "term", "pattern": MARKER, "category": "spam", "lang": "en", "action": "hold",
            "allow": "zorblax deal museum\n\n", "note": "a spam wave"}
    response = post_form(tab, "/admin/rules", form, csrf)
    assert response.status_code == 303, response.text[:300]
    row = _rule(services, MARKER)
    assert row is not None
    assert row.allow == ["zorblax deal museum"]
    assert row.created_by == admin.int_id
    listing = get_ok(tab, "/admin/rules")
    assert MARKER in listing
    assert "a spam wave" in listing
    settle(services)
    tried = post_form(tab, "/admin/rules/try", {"text": f"great {MARKER} here"}, csrf)
    assert tried.status_code == 200
    assert "Hold for review" in text_of(tried.text)
    assert "admin:" in tried.text
    # Edit: a label now.
    from redbridge.core import ids

    rule_id = ids.encode(row.id)
    edit = get_ok(tab, f"/admin/rules/{rule_id}/edit")
    assert 'value="zorblax deal"' in edit
    saved = post_form(tab, f"/admin/rules/{rule_id}/edit", {**form, "action": "label"}, csrf)
    assert saved.status_code == 303
    assert (_rule(services, MARKER) or row).action == "label"
    assert post_form(tab, f"/admin/rules/{rule_id}/disable", {}, csrf).status_code == 303
    assert (_rule(services, MARKER) or row).enabled is False
    assert "Disabled" in text_of(get_ok(tab, "/admin/rules?enabled=false"))
    assert post_form(tab, f"/admin/rules/{rule_id}/enable", {}, csrf).status_code == 303
    assert (_rule(services, MARKER) or row).enabled is True
    with services.sessions() as session:
        actions = [a for a, in session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions == ["rule.create", "rule.try", "rule.update", "rule.disable", "rule.enable"]
    # Refusals stay on the form, in the page's language.
    bad = post_form(tab, "/admin/rules", {**form, "kind": "regex", "pattern": "(a+)+$"}, csrf)
    assert bad.status_code == 422
    assert "backtrack" in text_of(bad.text)
    zh = post_form(tab, "/admin/rules?lang=zh-Hans", {**form, "kind": "regex", "pattern": "(a+)+$"}, csrf)
    assert zh.status_code == 422
    assert "回溯" in zh.text
    dup = post_form(tab, "/admin/rules", form, csrf)
    assert dup.status_code == 409
    assert "already exists" in text_of(dup.text)


def test_admin_disables_and_restores_a_shipped_rule(app: FastAPI, services: Services, factory: Factory) -> None:
    admin = staff(factory, services, "admin")
    tab = browser(app, admin)
    page = get_ok(tab, "/admin/rules/shipped?q=spam_zh:vx")
    assert "spam_zh:vx" in page
    csrf = csrf_of(page)
    assert post_form(tab, "/admin/rules/shipped/override", {"id": "spam_zh:vx", "enabled": "false"}, csrf).status_code == 303
    with services.sessions() as session:
        assert session.scalar(select(RuleOverride.enabled).where(RuleOverride.rule_id == "spam_zh:vx")) is False
    assert "Restore as shipped" in get_ok(tab, "/admin/rules/shipped?q=spam_zh:vx")
    assert post_form(tab, "/admin/rules/shipped/restore", {"id": "spam_zh:vx"}, csrf).status_code == 303
    with services.sessions() as session:
        assert session.scalar(select(RuleOverride).where(RuleOverride.rule_id == "spam_zh:vx")) is None
    missing = post_form(tab, "/admin/rules/shipped/override", {"id": "no such", "enabled": "false"}, csrf)
    assert missing.status_code == 404


def test_moderators_and_users_get_403_and_nobody_logged_in_the_login_page(app: FastAPI, services: Services,
                                                                            factory: Factory,
                                                                            client: TestClient) -> None:
    for user in (staff(factory, services, "moderator"), factory.user()):
        tab = browser(app, user)
        for url in ("/admin/rules", "/admin/rules/shipped", "/admin/rules/abc/edit"):
            assert tab.get(url).status_code == 403, url
        csrf = csrf_of(get_ok(tab, "/settings/profile"))
        response = post_form(tab, "/admin/rules", {"kind": "term", "pattern": MARKER, "category": "spam"}, csrf)
        assert response.status_code == 403
        assert post_form(tab, "/admin/rules/try", {"text": "hi"}, csrf).status_code == 403
    assert _rule(services, MARKER) is None
    anonymous = browser(app)
    response = anonymous.get("/admin/rules")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert anonymous.post("/admin/rules", data={"pattern": MARKER}).status_code in (303, 403)
    assert _rule(services, MARKER) is None


def test_forms_need_their_csrf_token(app: FastAPI, services: Services, factory: Factory) -> None:
    admin = staff(factory, services, "admin")
    tab = browser(app, admin)
    form = {"kind": "term", "pattern": MARKER, "category": "spam", "lang": "en", "action": "hold"}
    assert post_form(tab, "/admin/rules", form).status_code == 403
    assert post_form(tab, "/admin/rules", form, "forged").status_code == 403
    assert _rule(services, MARKER) is None


def test_hostile_input_is_escaped(app: FastAPI, services: Services, factory: Factory) -> None:
    admin = staff(factory, services, "admin")
    tab = browser(app, admin)
    csrf = csrf_of(get_ok(tab, "/admin/rules"))
    script = '<script>alert("x")</script>'
    form = {"kind": "term", "pattern": f"evil {script}", "category": "spam", "lang": "en", "action": "hold",
            "note": '"><img src=x onerror=alert(1)>', "allow": ""}
    assert post_form(tab, "/admin/rules", form, csrf).status_code == 303
    page = get_ok(tab, "/admin/rules")
    assert script not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page
    tried = post_form(tab, "/admin/rules/try", {"text": script}, csrf)
    assert tried.status_code == 200
    assert script not in tried.text
    refused = post_form(tab, "/admin/rules", {**form, "kind": "regex", "pattern": f"({script}+)+"}, csrf)
    assert refused.status_code == 422
    assert script not in refused.text
    for value in ("nul\x00here", "x" * 600):
        response = post_form(tab, "/admin/rules", {**form, "pattern": value}, csrf)
        assert response.status_code == 422, value[:20]
    assert tab.get("/admin/rules?category=<script>&cursor=!!").status_code in (200, 400)


def test_rules_pages_speak_chinese(app: FastAPI, services: Services, factory: Factory) -> None:
    """The codes on the rules pages (kind, category, language, action, the try verdict) are said in
    the reader's language, not as English labels."""
    admin = staff(factory, services, "admin")
    tab = browser(app, admin)
    csrf = csrf_of(get_ok(tab, "/admin/rules"))
    form = {"kind": "term", "pattern": MARKER, "category": "spam", "lang": "en", "action": "hold",
            "allow": "", "note": ""}
    assert post_form(tab, "/admin/rules", form, csrf).status_code == 303
    listing = text_of(get_ok(tab, "/admin/rules?lang=zh-Hans"))
    for english in ("Hold for review", "Term", "Regex", "Any language", "Reject", "Allow"):
        assert english not in listing
    assert "暂扣待审" in listing
    assert "词语" in listing
    settle(services)
    tried = text_of(post_form(tab, "/admin/rules/try?lang=zh-Hans", {"text": f"great {MARKER} here"}, csrf).text)
    assert "暂扣待审" in tried
    assert "Hold for review" not in tried
    shipped = text_of(get_ok(tab, "/admin/rules/shipped?lang=zh-Hans"))
    assert "Hold for review" not in shipped
    assert "Reject" not in shipped


def test_the_edit_form_shows_its_refusals(app: FastAPI, services: Services, factory: Factory) -> None:
    from redbridge.core import ids

    admin = staff(factory, services, "admin")
    tab = browser(app, admin)
    csrf = csrf_of(get_ok(tab, "/admin/rules"))
    form = {"kind": "term", "pattern": MARKER, "category": "spam", "lang": "en", "action": "hold", "allow": "",
            "note": ""}
    assert post_form(tab, "/admin/rules", form, csrf).status_code == 303
    assert post_form(tab, "/admin/rules", {**form, "pattern": "another phrase"}, csrf).status_code == 303
    other = _rule(services, "another phrase")
    assert other is not None
    url = f"/admin/rules/{ids.encode(other.id)}/edit"
    clash = post_form(tab, url, {**form, "pattern": MARKER}, csrf)
    assert clash.status_code == 409
    assert "already exists" in text_of(clash.text)
    bad = post_form(tab, url, {**form, "kind": "regex", "pattern": "(a+)+$"}, csrf)
    assert bad.status_code == 422
    assert "backtrack" in text_of(bad.text)
    assert 'value="(a+)+$"' in bad.text  # the form keeps what was typed
    unknown = post_form(tab, url, {**form, "pattern": "fresh words", "category": "weather"}, csrf)
    assert unknown.status_code == 422
    row = _rule(services, "another phrase")
    assert row is not None
    assert (row.kind, row.category) == ("term", "spam")  # nothing was written
