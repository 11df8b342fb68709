"""Appeals (docs/moderation.md, "Appeals"): the author of removed content appeals once; a moderator
other than the one who removed it reinstates it (published again, as an approval would) or upholds
the removal; the author reads the outcome in /moderation/mine."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.moderation.models import ModerationDecision, QueueItem
from redbridge.notes.models import Note
from redbridge.safety.models import Appeal
from tests.factories import Factory, UserHandle
from tests.safety.helpers import audit_rows, find_item, install_fake_checker, removal, report, staff


@pytest.fixture(autouse=True)
def _checker(services) -> None:  # type: ignore[no-untyped-def]
    install_fake_checker(services)


def _appeal(client: TestClient, user: UserHandle | None, decision_id: str, text: Any = "Please look again",
            expected: int = 201) -> dict[str, Any]:
    response = client.post(f"/api/v1/moderation/decisions/{decision_id}/appeal",
                           headers=user.headers if user else {}, json={"text": text})
    assert response.status_code == expected, response.text
    body: dict[str, Any] = response.json()
    return body


def _decide(client: TestClient, moderator: UserHandle, appeal_id: str, action: str, reason: str = "no_violation",
            expected: int = 200) -> dict[str, Any]:
    response = client.post(f"/api/v1/moderation/appeals/{appeal_id}/decision", headers=moderator.headers,
                           json={"action": action, "reason": reason})
    assert response.status_code == expected, response.text
    body: dict[str, Any] = response.json()
    return body


def _feed_ids(client: TestClient, url: str, user: UserHandle | None = None) -> list[str]:
    response = client.get(url, headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    return [card["id"] for card in response.json()["items"]]


def _note_count(client: TestClient, username: str) -> int:
    return int(client.get(f"/api/v1/users/{username}").json()["note_count"])


@pytest.fixture
def cast(factory: Factory, services) -> dict[str, UserHandle]:  # type: ignore[no-untyped-def]
    return {"author": factory.user(), "reader": factory.user(), "reporter": factory.user(),
            "remover": staff(factory, services, "moderator"), "other_mod": staff(factory, services, "moderator"),
            "admin": staff(factory, services, "admin")}


def test_appeal_input_and_who_may_appeal(client: TestClient, cast: dict[str, UserHandle], services) -> None:  # type: ignore[no-untyped-def]
    author, reader, remover = cast["author"], cast["reader"], cast["remover"]
    note, decision_id = removal(client, author, remover, cast["reporter"], body="hello #food")
    before = audit_rows(services)
    url = f"/api/v1/moderation/decisions/{decision_id}/appeal"
    assert client.post(url, json={"text": "x"}).status_code == 401
    for who in (reader, remover, cast["other_mod"]):  # not the author: as if there were no such decision
        response = client.post(url, headers=who.headers, json={"text": "mine?"})
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "decision.not_found"
    for path, body, expected in (
        (url, {"text": "x" * 1001}, 422), (url, {"text": "a\x00b"}, 422), (url, {"text": ""}, 422),
        (url, {"text": " \u200b "}, 422), (url, {"text": None}, 422), (url, {}, 422), (url, [1], 422),
        (url, {"text": "ok", "extra": 1}, 422),
        ("/api/v1/moderation/decisions/nope/appeal", {"text": "ok"}, 404),
        ("/api/v1/moderation/decisions/-1/appeal", {"text": "ok"}, 404),
        (f"/api/v1/moderation/decisions/{'9' * 300}/appeal", {"text": "ok"}, 404),
        ("/api/v1/moderation/decisions/123456789/appeal", {"text": "ok"}, 404),
    ):
        response = client.post(path, headers=author.headers, json=body)
        assert response.status_code == expected, (path, str(body)[:40], response.text)
        assert set(response.json()["error"]) >= {"code", "message"}
    made = _appeal(client, author, decision_id, "  It was a\nrecipe,\tnot spam  " + "!" * 900)
    assert made["text"].startswith("It was a recipe, not spam")
    assert (made["state"], made["outcome"], made["kind"], made["subject_id"]) == ("open", None, "note", note["id"])
    assert (made["author"], made["removed_by"], made["reasons"]) == (author.username, remover.username, ["spam"])
    again = client.post(url, headers=author.headers, json={"text": "again"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "appeal.exists")
    assert audit_rows(services) == before  # an author's appeal is no staff action
    mine = client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"]
    assert [d["appeal"] for d in mine if d["id"] == decision_id] == ["open"]
    # Only a moderator's removal can be appealed: not an approval, nor a pipeline hold.
    fine = client.post("/api/v1/notes", headers=author.headers, json={"title": "t", "body": "fine"}).json()
    report(client, cast["reporter"], "note", fine["id"])
    item = find_item(client, remover, fine["id"])
    assert item is not None
    client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=remover.headers,
                json={"action": "approve", "reason": "no_violation"})
    approval = next(d for d in client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"]
                    if d["subject_id"] == fine["id"])
    refused = client.post(f"/api/v1/moderation/decisions/{approval['id']}/appeal", headers=author.headers,
                          json={"text": "?"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "appeal.not_removed")
    with services.sessions() as session:
        assert len(list(session.scalars(select(Appeal)))) == 1


def test_appeal_requeues_and_the_same_moderator_may_not_decide(client: TestClient, cast: dict[str, UserHandle],
                                                               services) -> None:  # type: ignore[no-untyped-def]
    author, remover, other_mod = cast["author"], cast["remover"], cast["other_mod"]
    note, decision_id = removal(client, author, remover, cast["reporter"])
    appeal = _appeal(client, author, decision_id)
    item = find_item(client, other_mod, note["id"])
    assert item is not None
    assert item["appeal_id"] == appeal["id"]
    listed = client.get("/api/v1/moderation/appeals", headers=other_mod.headers).json()["items"]
    assert [a["id"] for a in listed] == [appeal["id"]]
    assert client.get("/api/v1/moderation/appeals?state=closed", headers=other_mod.headers).json()["items"] == []
    assert client.get("/api/v1/moderation/appeals?kind=comment", headers=other_mod.headers).json()["items"] == []
    for params in ({"state": "maybe"}, {"kind": "user"}, {"cursor": "x"}, {"limit": 0}):
        assert client.get("/api/v1/moderation/appeals", headers=other_mod.headers, params=params).status_code in (400,
                                                                                                               422)
    assert client.get("/api/v1/moderation/appeals", headers=author.headers).status_code == 403
    before = audit_rows(services)
    same = client.post(f"/api/v1/moderation/appeals/{appeal['id']}/decision", headers=remover.headers,
                       json={"action": "reinstate", "reason": "no_violation"})
    assert (same.status_code, same.json()["error"]["code"]) == (403, "appeal.same_moderator")
    # The appeal's item is decided under appeals, not with the queue's decision.
    direct = client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=other_mod.headers,
                         json={"action": "approve", "reason": "no_violation"})
    assert (direct.status_code, direct.json()["error"]["code"]) == (409, "queue_item.appeal")
    base = "/api/v1/moderation/appeals"
    for path, body, expected in (
        (f"{base}/nope/decision", {"action": "reinstate", "reason": "spam"}, 404),
        (f"{base}/123456789/decision", {"action": "reinstate", "reason": "spam"}, 404),
        (f"{base}/{appeal['id']}/decision", {"action": "remove", "reason": "spam"}, 422),
        (f"{base}/{appeal['id']}/decision", {"action": "uphold", "reason": "because"}, 422),
        (f"{base}/{appeal['id']}/decision", {"action": "uphold"}, 422),
    ):
        response = client.post(path, headers=other_mod.headers, json=body)
        assert response.status_code == expected, (path, body, response.text)
    assert audit_rows(services) == before  # refused decisions leave no audit row
    with services.sessions() as session:
        assert session.get(Note, int(note["id"])).status == "removed"  # type: ignore[union-attr]


def test_another_moderator_reinstates(client: TestClient, cast: dict[str, UserHandle], services) -> None:  # type: ignore[no-untyped-def]
    author, reader, remover, other_mod = cast["author"], cast["reader"], cast["remover"], cast["other_mod"]
    client.post(f"/api/v1/users/{author.username}/follow", headers=reader.headers)
    note, decision_id = removal(client, author, remover, cast["reporter"], body="hello #food")
    url = f"/api/v1/notes/{note['id']}"
    assert client.get(url, headers=reader.headers).status_code == 404
    assert _note_count(client, author.username) == 0
    assert note["id"] not in _feed_ids(client, f"/api/v1/users/{author.username}/notes", reader)
    assert note["id"] not in _feed_ids(client, "/api/v1/feeds/explore", reader)
    appeal = _appeal(client, author, decision_id)
    before = audit_rows(services)
    out = _decide(client, other_mod, appeal["id"], "reinstate")
    assert (out["state"], out["outcome"], out["decided_by"]) == ("closed", "reinstated", other_mod.username)
    assert audit_rows(services) == before + 1
    log = client.get("/api/v1/moderation/audit", headers=cast["admin"].headers).json()["items"]
    assert (log[0]["action"], log[0]["actor"], log[0]["details"]["status"]) == (
        "appeal.reinstate", other_mod.username, "published")
    # Published again, everywhere an approval would publish it.
    got = client.get(url, headers=reader.headers)
    assert (got.status_code, got.json()["status"]) == (200, "published")
    assert client.get(url).status_code == 200
    assert _note_count(client, author.username) == 1
    assert note["id"] in _feed_ids(client, f"/api/v1/users/{author.username}/notes", reader)
    assert note["id"] in _feed_ids(client, f"/api/v1/users/{author.username}/notes")
    assert note["id"] in _feed_ids(client, "/api/v1/feeds/following", reader)
    assert note["id"] in _feed_ids(client, "/api/v1/feeds/explore", reader)
    # Decided once: the appeal and its queue item are closed.
    _decide(client, other_mod, appeal["id"], "uphold", expected=409)
    assert find_item(client, other_mod, note["id"]) is None
    mine = client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"]
    assert (mine[0]["source"], mine[0]["decision"], mine[0]["subject_id"]) == ("appeal", "reinstate", note["id"])
    assert "reinstated" in mine[0]["message"]
    assert [d["appeal"] for d in mine if d["id"] == decision_id] == ["closed"]
    with services.sessions() as session:
        rows = list(session.scalars(select(ModerationDecision).where(ModerationDecision.subject_id == int(note["id"]))
                                    .order_by(ModerationDecision.id)))
        assert [(r.source, r.decision) for r in rows] == [("moderator", "remove"), ("appeal", "reinstate")]
        assert rows[-1].moderator_id == other_mod.int_id
        items = list(session.scalars(select(QueueItem).where(QueueItem.subject_id == int(note["id"]))))
        assert sorted(i.outcome or "" for i in items) == ["reinstated", "removed"]
    # Reinstated, then removed again: a new removal may be appealed again.
    _, second = removal_again(client, note, remover, cast["reporter"], author)
    _appeal(client, author, second)


def removal_again(client: TestClient, note: dict[str, Any], remover: UserHandle, reporter: UserHandle,
                  author: UserHandle) -> tuple[dict[str, Any], str]:
    report(client, reporter, "note", note["id"], "harassment", expected=201)
    item = find_item(client, remover, note["id"])
    assert item is not None
    client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=remover.headers,
                json={"action": "remove", "reason": "harassment"})
    mine = client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"]
    return note, str(mine[0]["id"])


def test_upheld_removal_stays_hidden(client: TestClient, cast: dict[str, UserHandle], services) -> None:  # type: ignore[no-untyped-def]
    author, reader, remover, other_mod = cast["author"], cast["reader"], cast["remover"], cast["other_mod"]
    note, decision_id = removal(client, author, remover, cast["reporter"], body="hello #food")
    appeal = _appeal(client, author, decision_id)
    before = audit_rows(services)
    out = _decide(client, other_mod, appeal["id"], "uphold", "spam")
    assert out["outcome"] == "upheld"
    assert audit_rows(services) == before + 1
    assert client.get(f"/api/v1/notes/{note['id']}", headers=reader.headers).status_code == 404
    assert client.get(f"/api/v1/notes/{note['id']}", headers=author.headers).json()["status"] == "removed"
    assert _note_count(client, author.username) == 0
    assert note["id"] not in _feed_ids(client, f"/api/v1/users/{author.username}/notes", reader)
    assert note["id"] not in _feed_ids(client, "/api/v1/feeds/explore", reader)
    mine = client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"]
    assert (mine[0]["source"], mine[0]["decision"]) == ("appeal", "uphold")
    assert "upheld" in mine[0]["message"]
    # Upheld is final: the same decision cannot be appealed again.
    _appeal(client, author, decision_id, expected=409)
    # The author's edit does not lift an upheld removal either.
    client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers, json={"body": "innocent now"})
    with services.sessions() as session:
        assert session.get(Note, int(note["id"])).status == "removed"  # type: ignore[union-attr]


def test_removed_comment_is_reinstated(client: TestClient, cast: dict[str, UserHandle], factory: Factory,
                                       services) -> None:  # type: ignore[no-untyped-def]
    author, reader, remover, other_mod = cast["author"], cast["reader"], cast["remover"], cast["other_mod"]
    note = factory.note(reader, images=0)
    comment = client.post(f"/api/v1/notes/{note['id']}/comments", headers=author.headers,
                          json={"body": "a fair point"}).json()
    report(client, cast["reporter"], "comment", comment["id"])
    item = find_item(client, remover, comment["id"])
    assert item is not None
    client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=remover.headers,
                json={"action": "remove", "reason": "spam"})
    assert client.get(f"/api/v1/notes/{note['id']}", headers=reader.headers).json()["comment_count"] == 0
    decision = client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"][0]
    appeal = _appeal(client, author, decision["id"])
    assert appeal["kind"] == "comment"
    _decide(client, other_mod, appeal["id"], "reinstate")
    assert client.get(f"/api/v1/notes/{note['id']}", headers=reader.headers).json()["comment_count"] == 1
    comments = client.get(f"/api/v1/notes/{note['id']}/comments", headers=reader.headers).json()["items"]
    assert comment["id"] in [c["id"] for c in comments]


def test_the_author_is_told_the_appeals_outcome(client: TestClient, cast: dict[str, UserHandle]) -> None:
    author, remover, other = cast["author"], cast["remover"], cast["other_mod"]
    for action, expected in (("reinstate", "On appeal, another moderator reinstated your note."),
                             ("uphold", "On appeal, another moderator upheld the removal of your note.")):
        note, decision_id = removal(client, author, remover, cast["reporter"])
        appealed = _appeal(client, author, decision_id)
        _decide(client, other, appealed["id"], action)
        items = client.get("/api/v1/notifications", headers=author.headers).json()["items"]
        told = next(n for n in items if n["kind"] == "appeal")
        assert told["message"] == expected
        # Reinstated: the link is back; upheld: the note stays out of the inbox like every other path.
        assert (told["note"] or {}).get("id") == (note["id"] if action == "reinstate" else None)
        assert told["actor"] is None
        assert told["details"]["outcome"] == ("reinstated" if action == "reinstate" else "upheld")
    zh = client.get("/api/v1/notifications?lang=zh-Hans", headers=author.headers).json()["items"]
    assert next(n for n in zh if n["kind"] == "appeal")["message"].startswith("申诉后")
