"""Reports, the review queue and moderators' decisions through the API (docs/moderation.md,
"Reports, queue and decisions"): merging, visibility, counters, outcomes, hostile input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.engagement.models import Comment
from redbridge.moderation.models import ModerationDecision, QueueItem
from redbridge.notes.models import Note
from redbridge.settings import RateLimitSettings, Settings
from tests.conftest import generous_limits, prepare_schema
from tests.factories import Factory
from tests.safety.helpers import HOLD, audit_rows, find_item, install_fake_checker, report, staff


@pytest.fixture(autouse=True)
def _checker(services) -> None:  # type: ignore[no-untyped-def]
    install_fake_checker(services)


def _me(client: TestClient, user) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.get("/api/v1/auth/me", headers=user.headers)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _decide(client: TestClient, moderator, item_id: str, action: str, reason: str = "spam",  # type: ignore[no-untyped-def]
            expected: int = 200) -> dict:  # type: ignore[type-arg]
    response = client.post(f"/api/v1/moderation/queue/{item_id}/decision", headers=moderator.headers,
                           json={"action": action, "reason": reason})
    assert response.status_code == expected, response.text
    return response.json()  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------- reports


def test_reports_merge_per_reporter_and_per_subject(client: TestClient, factory: Factory, services) -> None:  # type: ignore[no-untyped-def]
    author, first, second = factory.user(), factory.user(), factory.user()
    moderator = staff(factory, services, "moderator")
    note = factory.note(author, images=0)
    made = report(client, first, "note", note["id"], "spam", detail="  selling followers  ")
    assert made["merged"] is False
    assert made["status"] == "open"
    assert made["detail"] == "selling followers"
    again = report(client, first, "note", note["id"], "harassment", expected=200)
    assert again["merged"] is True
    assert again["id"] == made["id"]
    assert again["reason"] == "spam"
    report(client, second, "note", note["id"], "harassment")
    item = find_item(client, moderator, note["id"])
    assert item is not None
    assert item["report_count"] == 2
    assert item["held"] is False
    assert item["kind"] == "note"
    assert item["reports"]["reasons"] == {"spam": 1, "harassment": 1}
    assert item["reports"]["details"] == ["selling followers"]
    assert set(item["categories"]) == {"spam", "harassment"}
    assert item["content"]["title"] == note["title"]
    assert item["author"]["username"] == author.username
    with services.sessions() as session:
        assert len(list(session.scalars(select(QueueItem)))) == 1
    mine = client.get("/api/v1/reports/mine", headers=first.headers).json()
    assert [r["id"] for r in mine["items"]] == [made["id"]]
    assert client.get("/api/v1/reports/mine", headers=second.headers).json()["items"][0]["reason"] == "harassment"


def test_report_input_and_visibility(client: TestClient, factory: Factory, services) -> None:  # type: ignore[no-untyped-def]
    author, reporter, blocker = factory.user(), factory.user(), factory.user()
    note = factory.note(author, images=0)
    held = client.post("/api/v1/notes", headers=author.headers, json={"title": "x", "body": HOLD}).json()
    assert held["status"] == "held"
    comment = client.post(f"/api/v1/notes/{note['id']}/comments", headers=author.headers,
                          json={"body": "fine"}).json()
    held_comment = client.post(f"/api/v1/notes/{note['id']}/comments", headers=author.headers,
                               json={"body": f"psst {HOLD}"}).json()
    blocked_note = factory.note(blocker, images=0)
    client.post(f"/api/v1/users/{reporter.username}/block", headers=blocker.headers)
    ok = {"subject": "note", "id": note["id"], "reason": "spam"}

    assert client.post("/api/v1/reports", json=ok).status_code == 401
    assert client.get("/api/v1/reports/mine").status_code == 401
    cases = [
        ({**ok, "id": "not-an-id"}, 404), ({**ok, "id": "99999999999"}, 404), ({**ok, "id": "-1"}, 404),
        ({**ok, "id": "9" * 40}, 422), ({**ok, "id": ""}, 422), ({**ok, "subject": "message"}, 422),
        ({**ok, "reason": "ugly"}, 422), ({**ok, "reason": None}, 422), ({**ok, "detail": "x" * 501}, 422),
        ({**ok, "detail": "a\x00b"}, 422), ({**ok, "extra": 1}, 422), ({"subject": "note"}, 422),
        ({**ok, "id": held["id"]}, 404),  # held: not visible to the reporter
        ({**ok, "id": blocked_note["id"]}, 404),  # blocked either way
        ({"subject": "comment", "id": held_comment["id"], "reason": "spam"}, 404),
        ({"subject": "comment", "id": note["id"], "reason": "spam"}, 404),  # a note id is no comment
        ({"subject": "user", "id": "nobody-here", "reason": "spam"}, 404),
    ]
    for payload, expected in cases:
        response = client.post("/api/v1/reports", headers=reporter.headers, json=payload)
        assert response.status_code == expected, (payload, response.text)
        assert "error" in response.json()
    own = client.post("/api/v1/reports", headers=author.headers, json=ok)
    assert own.status_code == 422
    assert own.json()["error"]["code"] == "report.own"
    assert client.post("/api/v1/reports", headers=author.headers, json=[1, 2]).status_code == 422
    assert client.post("/api/v1/reports", headers=author.headers, content=b"{not json").status_code == 422
    report(client, reporter, "comment", comment["id"], "harassment")
    report(client, reporter, "user", author.username, "other", detail="impersonating a shop")
    assert client.get("/api/v1/reports/mine?cursor=garbage", headers=reporter.headers).status_code == 400
    assert client.get("/api/v1/reports/mine?limit=500", headers=reporter.headers).status_code == 422
    with services.sessions() as session:
        assert {i.subject_kind for i in session.scalars(select(QueueItem))} == {"note", "comment"} | {"user"}


def test_reports_are_rate_limited(settings: Settings) -> None:
    limits = generous_limits().model_dump()
    limits["report_per_account"] = (2, 3600)
    app = create_app(settings.model_copy(update={"rate_limits": RateLimitSettings(**limits)}), SystemClock())
    prepare_schema(app.state.services)
    try:
        with TestClient(app) as client:
            factory = Factory(client, app.state.services)
            author, reporter = factory.user(), factory.user()
            notes = [factory.note(author, images=0) for _ in range(3)]
            report(client, reporter, "note", notes[0]["id"])
            report(client, reporter, "note", notes[1]["id"])
            limited = client.post("/api/v1/reports", headers=reporter.headers,
                                  json={"subject": "note", "id": notes[2]["id"], "reason": "spam"})
            assert limited.status_code == 429, limited.text
            assert "retry-after" in {k.lower() for k in limited.headers}
    finally:
        app.state.services.close()


# -------------------------------------------------------------------------------------- decisions


def test_held_note_is_queued_with_evidence_and_approval_publishes_it(client: TestClient, factory: Factory,
                                                                      services) -> None:  # type: ignore[no-untyped-def]
    author, reader = factory.user(), factory.user()
    client.post(f"/api/v1/users/{author.username}/follow", headers=reader.headers)
    moderator = staff(factory, services, "moderator")
    factory.note(author, images=0)  # an earlier, clean note
    held = client.post("/api/v1/notes", headers=author.headers,
                       json={"title": "Call me", "body": f"number {HOLD}"}).json()
    assert held["status"] == "held"
    assert _me(client, author)["note_count"] == 1
    item = find_item(client, moderator, held["id"])
    assert item is not None
    assert item["held"] is True
    assert item["report_count"] == 0
    assert item["categories"] == ["personal_data"]
    assert [e["source"] for e in item["evidence"]] == ["pipeline"]
    assert item["evidence"][0]["decision"] == "hold"
    assert item["evidence"][0]["evidence"][0]["rule"] == HOLD
    assert item["content"]["status"] == "held"
    assert client.get(f"/api/v1/notes/{held['id']}", headers=reader.headers).status_code == 404

    before = audit_rows(services)
    out = _decide(client, moderator, item["id"], "approve", "no_violation")
    assert out == {"item_id": item["id"], "kind": "note", "subject_id": held["id"], "outcome": "approved",
                   "status": "published", "label": None, "reports_resolved": 0, "account_action": None}
    assert audit_rows(services) == before + 1
    inbox = client.get("/api/v1/notifications", headers=author.headers).json()["items"]
    assert [n["details"]["decision"] for n in inbox if n["kind"] == "moderation"] == ["approved"]  # told at once
    assert client.get(f"/api/v1/notes/{held['id']}", headers=reader.headers).status_code == 200
    assert _me(client, author)["note_count"] == 2
    following = client.get("/api/v1/feeds/following", headers=reader.headers).json()
    assert held["id"] in [card["id"] for card in following["items"]]
    assert find_item(client, moderator, held["id"]) is None
    _decide(client, moderator, item["id"], "remove", expected=409)
    with services.sessions() as session:
        rows = list(session.scalars(select(ModerationDecision).where(ModerationDecision.subject_id == int(held["id"]))
                                    .order_by(ModerationDecision.id)))
        assert [(r.source, r.decision) for r in rows] == [("pipeline", "hold"), ("moderator", "approve")]
        assert rows[-1].moderator_id == moderator.int_id
    # An approved note edited into a hold goes back to the queue (a new item).
    client.patch(f"/api/v1/notes/{held['id']}", headers=author.headers, json={"body": f"again {HOLD}"})
    assert find_item(client, moderator, held["id"]) is not None


def test_removal_hides_the_note_keeps_it_for_its_author_and_tells_the_reporter(client: TestClient, factory: Factory,
                                                                                services) -> None:  # type: ignore[no-untyped-def]
    author, reporter = factory.user(), factory.user(ui_lang="zh-Hans")
    moderator = staff(factory, services, "moderator")
    note = factory.note(author, images=0)
    made = report(client, reporter, "note", note["id"], "spam")
    item = find_item(client, moderator, note["id"])
    assert item is not None
    out = _decide(client, moderator, item["id"], "remove", "spam")
    assert out["status"] == "removed"
    assert out["reports_resolved"] == 1
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 404
    assert client.get(f"/api/v1/notes/{note['id']}", headers=reporter.headers).status_code == 404
    own = client.get(f"/api/v1/notes/{note['id']}", headers=author.headers)
    assert own.status_code == 200
    assert own.json()["status"] == "removed"
    assert client.get(f"/api/v1/notes/{note['id']}", headers=moderator.headers).status_code == 200
    assert _me(client, author)["note_count"] == 0
    why = client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"][0]
    assert why["kind"] == "note"
    assert why["decision"] == "remove"
    assert why["reasons"] == ["spam"]
    assert why["source"] == "moderator"
    assert "spam" in why["message"]
    assert client.get("/api/v1/moderation/mine").status_code == 401
    mine = client.get("/api/v1/reports/mine", headers=reporter.headers).json()["items"][0]
    assert mine["id"] == made["id"]
    assert mine["status"] == "closed"
    assert mine["outcome"] == "removed"
    assert mine["resolved_at"] is not None
    # The author cannot lift a moderator's removal by editing.
    client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers, json={"body": "innocent now"})
    with services.sessions() as session:
        assert session.get(Note, int(note["id"])).status == "removed"  # type: ignore[union-attr]


def test_label_publishes_with_a_label(client: TestClient, factory: Factory, services) -> None:  # type: ignore[no-untyped-def]
    author, reporter = factory.user(), factory.user()
    moderator = staff(factory, services, "admin")
    note = factory.note(author, images=0)
    report(client, reporter, "note", note["id"], "sexual")
    item = find_item(client, moderator, note["id"], category="sexual")
    assert item is not None
    out = _decide(client, moderator, item["id"], "label", "sexual")
    assert out["status"] == "published"
    assert out["label"] == "sensitive"
    got = client.get(f"/api/v1/notes/{note['id']}").json()
    assert got["label"] == "sensitive"
    assert got["status"] == "published"
    assert client.get("/api/v1/reports/mine", headers=reporter.headers).json()["items"][0]["outcome"] == "labelled"


def test_comment_decisions_move_the_counters(client: TestClient, factory: Factory, services) -> None:  # type: ignore[no-untyped-def]
    author, commenter, reporter = factory.user(), factory.user(), factory.user()
    moderator = staff(factory, services, "moderator")
    note = factory.note(author, images=0)
    url = f"/api/v1/notes/{note['id']}/comments"
    top = client.post(url, headers=commenter.headers, json={"body": f"call {HOLD}"}).json()
    assert top["status"] == "held"
    reply = client.post(url, headers=commenter.headers, json={"body": "and more", "parent_id": top["id"]}).json()
    visible = client.post(url, headers=commenter.headers, json={"body": "nice"}).json()

    def counts() -> tuple[int, int]:
        with services.sessions() as session:
            n = session.get(Note, int(note["id"]))
            c = session.get(Comment, int(top["id"]))
            assert n is not None
            assert c is not None
            return n.comment_count, c.reply_count

    assert counts() == (1, 0)
    item = find_item(client, moderator, top["id"], kind="comment")
    assert item is not None
    assert item["content"]["note_id"] == note["id"]
    assert item["content"]["body"].startswith("call")
    _decide(client, moderator, item["id"], "approve", "no_violation")
    assert counts() == (3, 1)  # the comment and the reply under it are counted now
    listed = [c["id"] for c in client.get(url).json()["items"]]
    assert top["id"] in listed
    report(client, reporter, "comment", top["id"], "harassment")
    item = find_item(client, moderator, top["id"], kind="comment")
    assert item is not None
    _decide(client, moderator, item["id"], "remove", "harassment")
    assert counts() == (1, 0)
    assert top["id"] not in [c["id"] for c in client.get(url).json()["items"]]
    assert visible["id"] in [c["id"] for c in client.get(url).json()["items"]]
    assert reply["id"]  # its reply goes with it from every view (its parent is not published)
    report(client, reporter, "comment", visible["id"], "spam")
    item = find_item(client, moderator, visible["id"])
    assert item is not None
    _decide(client, moderator, item["id"], "label", "spam")
    assert counts() == (1, 0)


def test_decision_input_and_conflicts(client: TestClient, factory: Factory, services) -> None:  # type: ignore[no-untyped-def]
    author, reporter = factory.user(), factory.user()
    moderator = staff(factory, services, "moderator")
    own = factory.note(moderator, images=0)
    note = factory.note(author, images=0)
    report(client, reporter, "note", note["id"])
    report(client, reporter, "note", own["id"])
    report(client, reporter, "user", author.username, "harassment")
    item = find_item(client, moderator, note["id"])
    own_item = find_item(client, moderator, own["id"])
    user_item = find_item(client, moderator, str(author.id), kind="user")
    assert item
    assert own_item
    assert user_item
    assert user_item["content"]["display_name"] == author.username
    base = "/api/v1/moderation/queue"
    bad = [
        (f"{base}/nope/decision", {"action": "approve", "reason": "spam"}, 404),
        (f"{base}/123456789/decision", {"action": "approve", "reason": "spam"}, 404),
        (f"{base}/{item['id']}/decision", {"action": "ban", "reason": "spam"}, 422),
        (f"{base}/{item['id']}/decision", {"action": "remove", "reason": "because"}, 422),
        (f"{base}/{item['id']}/decision", {"action": "remove"}, 422),
        (f"{base}/{item['id']}/decision", {"action": "remove", "reason": "spam", "note": "x"}, 422),
        (f"{base}/{own_item['id']}/decision", {"action": "approve", "reason": "no_violation"}, 403),
        (f"{base}/{user_item['id']}/decision", {"action": "remove", "reason": "harassment"}, 422),
    ]
    before = audit_rows(services)
    for url, body, expected in bad:
        response = client.post(url, headers=moderator.headers, json=body)
        assert response.status_code == expected, (url, body, response.text)
    assert audit_rows(services) == before  # refused decisions leave no audit row
    assert client.get(f"{base}/nope", headers=moderator.headers).status_code == 404
    assert client.get(f"{base}/{item['id']}", headers=moderator.headers).json()["id"] == item["id"]
    _decide(client, moderator, user_item["id"], "approve", "no_violation")
    _decide(client, moderator, item["id"], "remove", "spam")
    _decide(client, moderator, item["id"], "approve", "spam", expected=409)
    assert audit_rows(services) == before + 2


def test_queue_filters_and_pages(client: TestClient, factory: Factory, services) -> None:  # type: ignore[no-untyped-def]
    author, reporter = factory.user(), factory.user()
    moderator = staff(factory, services, "moderator")
    en = factory.note(author, images=0, title="Dinner tonight", body="The noodles were great, really great")
    zh = factory.note(author, images=0, title="今天的晚饭", body="这家面馆的牛肉面真的很好吃，推荐大家去")
    report(client, reporter, "note", en["id"], "spam")
    report(client, reporter, "note", zh["id"], "threat")
    report(client, reporter, "user", author.username, "harassment")

    def ids(**params: str) -> list[str]:
        response = client.get("/api/v1/moderation/queue", headers=moderator.headers, params=params)
        assert response.status_code == 200, response.text
        return [i["subject_id"] for i in response.json()["items"]]

    assert ids() == [en["id"], zh["id"], author.id]  # oldest first
    assert ids(kind="user") == [author.id]
    assert ids(category="threat") == [zh["id"]]
    assert ids(content_lang="zh") == [zh["id"]]
    assert ids(content_lang="en") == [en["id"]]
    assert ids(content_lang="zz'--") == []
    # ``lang`` stays the language of the answer, whatever the filter.
    refused = client.get("/api/v1/moderation/queue", headers=moderator.headers,
                         params={"content_lang": "zh", "lang": "en", "older_than": "soon"})
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].isascii()
    assert ids(older_than="2d") == []
    assert len(ids(older_than="0")) == 3
    first = client.get("/api/v1/moderation/queue", headers=moderator.headers, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = client.get("/api/v1/moderation/queue", headers=moderator.headers,
                      params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["subject_id"] for i in rest["items"]] == [author.id]
    assert rest["next_cursor"] is None
    for params, expected in (({"kind": "message"}, 422), ({"category": "ugly"}, 422), ({"older_than": "6 weeks"}, 422),
                             ({"older_than": "1y"}, 422), ({"cursor": "x"}, 400), ({"limit": 0}, 422),
                             ({"content_lang": "x" * 9}, 422)):
        response = client.get("/api/v1/moderation/queue", headers=moderator.headers, params=params)
        assert response.status_code == expected, (params, response.text)
    # Content deleted while it waits leaves the queue; the author's history counts past decisions.
    assert client.delete(f"/api/v1/notes/{en['id']}", headers=author.headers).status_code == 204
    assert ids() == [zh["id"], author.id]
    item = find_item(client, moderator, zh["id"])
    assert item is not None
    _decide(client, moderator, item["id"], "remove", "threat")
    other = factory.note(author, images=0)
    report(client, reporter, "note", other["id"], "spam")
    later = find_item(client, moderator, other["id"])
    assert later is not None
    assert later["author_history"] == {"decisions": 1, "removals": 1, "holds": 0}
