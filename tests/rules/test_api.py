"""The rules editor's API: who may call it, validation, the checker in force after a change
(docs/moderation.md, "Rules editor")."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.core.services import Services
from redbridge.moderation.lexicon import Lexicon
from redbridge.moderation.live import live_rules
from redbridge.moderation.models import AuditEntry, ModerationRule
from redbridge.rules import actions as rules_actions
from redbridge.rules import queries as rules_queries
from redbridge.rules.schemas import RulePatch
from tests.factories import Factory, UserHandle
from tests.rules.helpers import BASE, add_rule, settle
from tests.safety.helpers import audit_rows, staff

MARKER = "zorblax deal"  # in no shipped list


@pytest.fixture
def admin(factory: Factory, services: Services) -> UserHandle:
    return staff(factory, services, "admin")


@pytest.fixture
def moderator(factory: Factory, services: Services) -> UserHandle:
    return staff(factory, services, "moderator")


def _post_note(client: TestClient, user: UserHandle, text: str, expected: int = 201) -> dict[str, object]:
    response = client.post("/api/v1/notes", headers=user.headers, json={"title": "Weekend", "body": text})
    assert response.status_code == expected, response.text
    out: dict[str, object] = response.json()
    return out


def test_anonymous_is_401_everywhere(client: TestClient) -> None:
    for method, url, body in (("GET", BASE, None), ("POST", BASE, {"pattern": "x", "category": "spam"}),
                              ("GET", f"{BASE}/shipped", None), ("POST", f"{BASE}/try", {"text": "hi"}),
                              ("PATCH", f"{BASE}/abc", {"note": "x"}), ("POST", f"{BASE}/abc/disable", None),
                              ("PUT", f"{BASE}/shipped/override?id=spam_zh:vx", {"enabled": False})):
        response = client.request(method, url, json=body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["code"] == "auth.required"


def test_users_403_moderators_read_only(client: TestClient, factory: Factory, moderator: UserHandle,
                                        admin: UserHandle) -> None:
    user = factory.user()
    rule = add_rule(client, admin, pattern=MARKER)
    assert client.get(BASE, headers=user.headers).status_code == 403
    assert client.post(f"{BASE}/try", headers=user.headers, json={"text": "hi"}).status_code == 403
    assert client.get(BASE, headers=moderator.headers).status_code == 200
    assert client.get(f"{BASE}/{rule['id']}", headers=moderator.headers).status_code == 200
    assert client.post(f"{BASE}/try", headers=moderator.headers, json={"text": "hi"}).status_code == 200
    for method, url, body in (("POST", BASE, {"pattern": "other words", "category": "spam"}),
                              ("PATCH", f"{BASE}/{rule['id']}", {"note": "x"}),
                              ("POST", f"{BASE}/{rule['id']}/disable", None),
                              ("PUT", f"{BASE}/shipped/override?id=spam_zh:vx", {"enabled": False}),
                              ("DELETE", f"{BASE}/shipped/override?id=spam_zh:vx", None)):
        response = client.request(method, url, headers=moderator.headers, json=body)
        assert response.status_code == 403, (method, url, response.text)


def test_a_new_rule_changes_the_next_post_without_a_restart(client: TestClient, services: Services,
                                                            factory: Factory, admin: UserHandle) -> None:
    author = factory.user()
    assert _post_note(client, author, f"Great {MARKER} today")["status"] == "published"
    rule = add_rule(client, admin, pattern=MARKER, note="seen in a spam wave")
    assert rule["rule_id"] == f"admin:{rule['id']}"
    assert rule["created_by"] == admin.username
    assert rule["version"] >= 1
    settle(services)
    assert _post_note(client, author, f"Great {MARKER.upper()} today")["status"] == "held"
    # The same rule as a reject: refused, nothing written.
    client.patch(f"{BASE}/{rule['id']}", headers=admin.headers, json={"action": "reject"}).raise_for_status()
    settle(services)
    refused = client.post("/api/v1/notes", headers=author.headers, json={"title": "x", "body": MARKER})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "moderation.rejected"
    # Comments go through the same checker.
    note = _post_note(client, author, "a clean note")
    response = client.post(f"/api/v1/notes/{note['id']}/comments", headers=factory.user().headers,
                           json={"body": f"{MARKER}!"})
    assert response.status_code == 422, response.text
    # Disabled: it stops firing.
    disabled = client.post(f"{BASE}/{rule['id']}/disable", headers=admin.headers)
    assert disabled.status_code == 200
    assert disabled.json()["enabled"] is False
    settle(services)
    assert _post_note(client, author, f"Great {MARKER} today")["status"] == "published"
    enabled = client.post(f"{BASE}/{rule['id']}/enable", headers=admin.headers)
    assert enabled.json()["enabled"] is True


def test_a_regex_rule_and_its_allow_list(client: TestClient, services: Services, admin: UserHandle) -> None:
    add_rule(client, admin, kind="regex", pattern=r"\bqq\s?\d{6,10}\b", category="spam", action="hold",
             allow=["qq 123456 is our shop"])
    settle(services)
    tried = client.post(f"{BASE}/try", headers=admin.headers, json={"text": "add qq 88213344 now"}).json()
    assert tried["decision"] == "hold"
    assert any(e.get("rule", "").startswith("admin:") and e["matched"] == "qq 88213344" for e in tried["evidence"])
    assert client.post(f"{BASE}/try", headers=admin.headers, json={"text": "hello there"}).json()["decision"] == "allow"


def test_a_disabled_shipped_rule_stops_firing(client: TestClient, services: Services, factory: Factory,
                                              admin: UserHandle) -> None:
    text = "加vx聊"
    before = client.post(f"{BASE}/try", headers=admin.headers, json={"text": text}).json()
    fired = sorted({e["rule"] for e in before["evidence"] if "rule" in e})
    assert before["decision"] == "hold"
    assert fired
    for rule_id in fired:
        response = client.put(f"{BASE}/shipped/override", params={"id": rule_id}, headers=admin.headers,
                              json={"enabled": False, "note": "too broad for us"})
        assert response.status_code == 200, response.text
        assert response.json()["overridden"] is True
        assert response.json()["enabled"] is False
    after = client.post(f"{BASE}/try", headers=admin.headers, json={"text": text}).json()
    assert after["decision"] == "allow", after
    author = factory.user()
    settle(services)
    assert _post_note(client, author, text)["status"] == "published"
    listed = client.get(f"{BASE}/shipped", headers=admin.headers, params={"overridden": "true"}).json()["items"]
    assert sorted(r["id"] for r in listed) == fired
    # Another action instead: a label.
    client.put(f"{BASE}/shipped/override", params={"id": fired[0]}, headers=admin.headers,
               json={"enabled": True, "action": "label"}).raise_for_status()
    assert client.post(f"{BASE}/try", headers=admin.headers, json={"text": text}).json()["decision"] == "label"
    for rule_id in fired:
        restored = client.delete(f"{BASE}/shipped/override", params={"id": rule_id}, headers=admin.headers)
        assert restored.status_code == 200
        assert restored.json()["overridden"] is False
    assert client.post(f"{BASE}/try", headers=admin.headers, json={"text": text}).json()["decision"] == "hold"
    again = client.delete(f"{BASE}/shipped/override", params={"id": fired[0]}, headers=admin.headers)
    assert again.status_code == 404
    missing = client.put(f"{BASE}/shipped/override", params={"id": "no such:rule"}, headers=admin.headers,
                         json={"enabled": False})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "rule.not_found"


def test_every_write_is_audited_in_its_transaction(client: TestClient, services: Services, admin: UserHandle) -> None:
    before = audit_rows(services)
    rule = add_rule(client, admin, pattern=MARKER)
    client.patch(f"{BASE}/{rule['id']}", headers=admin.headers, json={"lang": "en"}).raise_for_status()
    client.post(f"{BASE}/{rule['id']}/disable", headers=admin.headers).raise_for_status()
    add_rule(client, admin, expected=409, pattern=MARKER)  # refused: no row
    add_rule(client, admin, expected=422, kind="regex", pattern="(a+)+$")
    assert audit_rows(services) == before + 3
    with services.sessions() as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)))
    assert [r.action for r in rows] == ["rule.disable", "rule.update", "rule.create"]
    assert rows[1].details["changed"] == {"lang": {"from": "any", "to": "en"}}
    assert all(r.subject_kind == "rule" for r in rows)


def test_list_filters_and_pages(client: TestClient, admin: UserHandle, moderator: UserHandle) -> None:
    add_rule(client, admin, pattern="alpha words", category="spam", lang="en")
    add_rule(client, admin, pattern="beta words", category="threat", lang="en", enabled=False)
    add_rule(client, admin, pattern="伽马词语", category="spam", lang="zh", note="100% 测试_note")
    add_rule(client, admin, kind="regex", pattern=r"\bdelta\d{3}\b", category="spam")

    def listed(**params: str) -> list[str]:
        response = client.get(BASE, headers=moderator.headers, params=params)
        assert response.status_code == 200, response.text
        return [r["pattern"] for r in response.json()["items"]]

    assert listed(category="threat") == ["beta words"]
    assert listed(lang="zh") == ["伽马词语"]
    assert listed(kind="regex") == [r"\bdelta\d{3}\b"]
    assert listed(enabled="false") == ["beta words"]
    assert listed(q="words") == ["beta words", "alpha words"]
    assert listed(q="100%") == ["伽马词语"]
    assert listed(q="_") == ["伽马词语"]
    assert listed(q="%") == ["伽马词语"]
    first = client.get(BASE, headers=moderator.headers, params={"limit": "3"}).json()
    second = client.get(BASE, headers=moderator.headers, params={"limit": "3", "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 3
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    shipped = client.get(f"{BASE}/shipped", headers=moderator.headers, params={"category": "spam", "lang": "zh"}).json()
    assert shipped["items"]
    assert all(r["category"] == "spam" and r["lang"] == "zh" for r in shipped["items"])
    page2 = client.get(f"{BASE}/shipped", headers=moderator.headers,
                       params={"category": "spam", "lang": "zh", "cursor": shipped["next_cursor"]}).json()
    assert {r["id"] for r in page2["items"]}.isdisjoint({r["id"] for r in shipped["items"]})


@pytest.mark.parametrize(("body", "code"), [
    ({"kind": "regex", "pattern": "(a+)+$", "category": "spam"}, "rule.regex_backtracking"),
    ({"kind": "regex", "pattern": "(x", "category": "spam"}, "rule.regex_invalid"),
    ({"kind": "regex", "pattern": r"(a)\1", "category": "spam"}, "rule.regex_unsupported"),
    ({"kind": "regex", "pattern": "a*", "category": "spam"}, "rule.regex_matches_empty"),
    ({"kind": "regex", "pattern": "a" * 513, "category": "spam"}, "validation_failed"),
    ({"kind": "term", "pattern": "a", "category": "spam"}, "rule.term_too_short"),
    ({"kind": "term", "pattern": "\u200b\u200b\u200b", "category": "spam"}, "rule.term_too_short"),
    ({"kind": "term", "pattern": "***", "category": "spam"}, "rule.rule_empty_pattern"),
    ({"kind": "term", "pattern": "x" * 201, "category": "spam"}, "rule.term_too_long"),
    ({"kind": "term", "pattern": "two\nlines", "category": "spam"}, "rule.term_multiline"),
    ({"kind": "term", "pattern": "nul\x00here", "category": "spam"}, "validation_failed"),
    ({"kind": "term", "pattern": "bad \ud800 half", "category": "spam"}, "validation_failed"),
    ({"kind": "term", "pattern": "fine words", "category": "weather"}, "validation_failed"),
    ({"kind": "term", "pattern": "fine words", "category": "spam", "action": "delete"}, "validation_failed"),
    ({"kind": "term", "pattern": "fine words", "category": "spam", "extra": 1}, "validation_failed"),
    ({"kind": "term", "pattern": "fine words", "category": "spam", "allow": ["x"] * 21}, "validation_failed"),
    ({"kind": "term", "pattern": "fine words", "category": "spam", "allow": ["\u200b"]}, "validation_failed"),
    ({"kind": "term", "pattern": 5, "category": "spam"}, "validation_failed"),
])
def test_hostile_and_malformed_input_is_422(client: TestClient, admin: UserHandle, body: dict[str, object],
                                            code: str) -> None:
    # Sent as raw JSON so a lone surrogate reaches the server as written.
    response = client.post(BASE, headers={**admin.headers, "content-type": "application/json"},
                           content=json.dumps(body).encode())
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


def test_bad_ids_and_edits(client: TestClient, services: Services, admin: UserHandle) -> None:
    for url in (f"{BASE}/nope", f"{BASE}/0", f"{BASE}/{'9' * 40}"):
        assert client.get(url, headers=admin.headers).status_code == 404
        assert client.patch(url, headers=admin.headers, json={"note": "x"}).status_code == 404
    rule = add_rule(client, admin, pattern=MARKER)
    other = add_rule(client, admin, pattern="another phrase")
    clash = client.patch(f"{BASE}/{other['id']}", headers=admin.headers, json={"pattern": MARKER})
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "rule.exists"
    bad = client.patch(f"{BASE}/{rule['id']}", headers=admin.headers, json={"kind": "regex", "pattern": "(a|a)*b"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"]["pattern"] == "regex_backtracking"
    with services.sessions() as session:
        row = session.get(ModerationRule, ids.decode(rule["id"]))
        assert row is not None
        assert row.kind == "term"
    assert client.post(f"{BASE}/try", headers=admin.headers, json={"text": ""}).status_code == 422
    assert client.post(f"{BASE}/try", headers=admin.headers, json={"text": "x" * 5001}).status_code == 422
    assert client.get(BASE, headers=admin.headers, params={"cursor": "garbage!"}).status_code == 400
    assert client.get(f"{BASE}/shipped", headers=admin.headers, params={"cursor": "garbage!"}).status_code == 400
    assert client.get(BASE, headers=admin.headers, params={"category": "weather"}).status_code == 422


def test_the_checker_is_built_off_the_request_path(services: Services, client: TestClient, admin: UserHandle,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """While a rebuild runs the old checker keeps answering; the new one is swapped in whole."""
    live = live_rules(services)
    old, _ = live.settle()
    building, release = threading.Event(), threading.Event()
    build = Lexicon.build

    def held_build(rules: Any, **kwargs: Any) -> Lexicon:
        building.set()
        assert release.wait(30), "the test never released the rebuild"
        return build(rules, **kwargs)

    monkeypatch.setattr(Lexicon, "build", staticmethod(held_build))  # the class moderation.live builds with
    try:
        rule = add_rule(client, admin, pattern=MARKER)  # the commit hook starts the rebuild
        assert building.wait(30), "no rebuild started"
        assert live.current() is old  # the rebuild is under way: the old checker answers at once
        assert live.version < rule["version"]
    finally:
        release.set()
    new, version = live.settle()
    assert version == rule["version"]
    assert new is not old
    assert new.check(MARKER).decision == "hold"
    assert old.check(MARKER).decision == "allow"  # the old one never changed


def test_overrides_and_restores_are_audited(client: TestClient, services: Services, admin: UserHandle) -> None:
    shipped_id = "spam_zh:加vx"
    before = audit_rows(services)
    set_ = client.put(f"{BASE}/shipped/override", params={"id": shipped_id}, headers=admin.headers,
                      json={"enabled": True, "action": "label", "note": "ours"})
    assert set_.status_code == 200, set_.text
    restored = client.delete(f"{BASE}/shipped/override", params={"id": shipped_id}, headers=admin.headers)
    assert restored.status_code == 200
    assert client.delete(f"{BASE}/shipped/override", params={"id": shipped_id},
                         headers=admin.headers).status_code == 404  # refused: no row
    assert audit_rows(services) == before + 2
    with services.sessions() as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)))
    assert [r.action for r in rows] == ["rule.restore", "rule.override"]
    assert all(r.subject_kind == "shipped" and r.actor_id == admin.int_id for r in rows)
    assert rows[1].details["rule"] == shipped_id
    assert (rows[1].details["enabled"], rows[1].details["action"]) == (True, "label")
    assert rows[0].details["rule"] == shipped_id
    assert rows[0].details["version"] == restored.json()["version"] > rows[1].details["version"]


@pytest.mark.parametrize("body", [{"enabled": "nope"}, {"action": "ban"}, {"note": "x" * 501},
                                  {"enabled": False, "extra": 1}])
def test_a_bad_override_body_is_422(client: TestClient, services: Services, admin: UserHandle,
                                    body: dict[str, object]) -> None:
    before = audit_rows(services)
    response = client.put(f"{BASE}/shipped/override", params={"id": "spam_zh:加vx"}, headers=admin.headers, json=body)
    assert response.status_code == 422, response.text
    assert audit_rows(services) == before


def test_concurrent_edits_of_different_fields_both_stay(client: TestClient, services: Services, admin: UserHandle,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """BUG: an edit merged the patch onto the row read before the write lock and wrote every field
    back, so an edit committed in between (another admin, another field) was reverted."""
    rule = add_rule(client, admin, pattern=MARKER, note="first note")
    get_row = rules_queries.get_row

    def other_admin(rule_id: int) -> None:
        with services.sessions() as other:
            rules_actions.update(other, services.clock.now(), admin.int_id, rule_id,
                                 RulePatch(note="the other admin's note"))

    def read_then_another_edit_commits(session: Session, rule_id: int) -> ModerationRule:
        row = get_row(session, rule_id)
        monkeypatch.setattr("redbridge.rules.actions.get_row", get_row)  # once
        # On a thread of its own: a request holds one connection (core.db), the other admin another.
        thread = threading.Thread(target=other_admin, args=(rule_id,))
        thread.start()
        thread.join(30)
        assert not thread.is_alive()
        return row

    monkeypatch.setattr("redbridge.rules.actions.get_row", read_then_another_edit_commits)
    response = client.patch(f"{BASE}/{rule['id']}", headers=admin.headers, json={"action": "label"})
    assert response.status_code == 200, response.text
    assert (response.json()["action"], response.json()["note"]) == ("label", "the other admin's note")
    with services.sessions() as session:
        row = session.get(ModerationRule, ids.decode(rule["id"]))
        assert row is not None
        assert (row.action, row.note) == ("label", "the other admin's note")
        updates = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "rule.update")
                                       .order_by(AuditEntry.id)))
    assert [u.details["changed"] for u in updates] == [
        {"note": {"from": "first note", "to": "the other admin's note"}},
        {"action": {"from": "hold", "to": "label"}}]
