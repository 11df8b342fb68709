"""Moderators' notices (docs/moderation.md, "Telling people the outcome"): the author of content a
moderator decided, the account acted on and every reporter are notified through the outbox, in
their language, with no moderator named; a redelivered event notifies nobody twice."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from redbridge.core.services import Services
from redbridge.notifications import actions
from redbridge.notifications.models import Notification
from tests.factories import Factory, UserHandle
from tests.safety.helpers import HOLD, find_item, install_fake_checker, report, staff


@pytest.fixture(autouse=True)
def _checker(services: Services) -> None:
    install_fake_checker(services)


def notices(client: TestClient, user: UserHandle, lang: str = "en") -> list[dict[str, Any]]:
    response = client.get("/api/v1/notifications", headers=user.headers, params={"lang": lang})
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["actor"] is None]


def decide(client: TestClient, moderator: UserHandle, subject_id: str, action: str, reason: str = "spam") -> None:
    item = find_item(client, moderator, subject_id)
    assert item is not None
    response = client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=moderator.headers,
                           json={"action": action, "reason": reason})
    assert response.status_code == 200, response.text


def test_removal_tells_the_author_and_the_reporters(client: TestClient, factory: Factory, services: Services) -> None:
    author, reporter, second = factory.user(), factory.user(), factory.user()
    moderator = staff(factory, services, "moderator")
    note = factory.note(author, images=0, title="Cheap bags")
    report(client, reporter, "note", note["id"], "spam")
    report(client, second, "note", note["id"], "other")
    decide(client, moderator, note["id"], "remove")
    [told] = notices(client, author)
    assert told["kind"] == "moderation"
    assert told["details"] == {"subject": "note", "decision": "removed", "reason": "spam"}
    assert told["message"].startswith("A moderator removed your note. This can't be posted: it looks like spam")
    assert told["note"] is None  # removed: no title through the inbox (the author reads it in /moderation/mine)
    zh = notices(client, author, "zh-Hans")[0]["message"]
    assert zh.startswith("审核员删除了你的笔记。")
    for who in (reporter, second):
        [outcome] = notices(client, who)
        assert outcome["kind"] == "report"
        assert outcome["note"] is None  # what they reported is gone for them
        assert outcome["message"] == "Thank you for your report: a moderator removed what you reported."
    assert moderator.username not in str(notices(client, author)) + str(notices(client, reporter))
    assert client.get("/api/v1/notifications/unread-count", headers=author.headers).json()["unread"] == 1


def test_label_and_approvals(client: TestClient, factory: Factory, services: Services) -> None:
    author, reporter = factory.user(), factory.user()
    moderator = staff(factory, services, "moderator")
    labelled = factory.note(author, images=0, title="Spicy")
    report(client, reporter, "note", labelled["id"], "sexual")
    decide(client, moderator, labelled["id"], "label", "sexual")
    reported = factory.note(author, images=0, title="Fine")
    report(client, reporter, "note", reported["id"], "spam")
    decide(client, moderator, reported["id"], "approve", "no_violation")  # not news to the author
    held = client.post("/api/v1/notes", headers=author.headers, json={"title": "Call", "body": f"me {HOLD}"}).json()
    decide(client, moderator, held["id"], "approve", "no_violation")  # ends the author's wait
    told = notices(client, author)
    assert [(n["details"]["decision"], n["note"]["id"]) for n in told] == [
        ("approved", held["id"]), ("labelled", labelled["id"])]
    assert told[0]["message"] == "A moderator reviewed your note and published it."
    assert told[1]["message"].startswith("A moderator marked your note as sensitive.")
    outcomes = [n["details"]["outcome"] for n in notices(client, reporter)]
    assert outcomes == ["approved", "labelled"]


def test_a_removed_comment(client: TestClient, factory: Factory, services: Services) -> None:
    author, commenter = factory.user(), factory.user()
    moderator = staff(factory, services, "moderator")
    note = factory.note(author, images=0)
    comment = client.post(f"/api/v1/notes/{note['id']}/comments", headers=commenter.headers,
                          json={"body": "buy followers here"}).json()
    report(client, author, "comment", comment["id"], "spam")
    decide(client, moderator, comment["id"], "remove")
    [told] = notices(client, commenter)
    assert told["comment"]["id"] == comment["id"]
    assert told["note"]["id"] == note["id"]
    assert told["message"].startswith("A moderator removed your comment.")


def test_redelivery_notifies_nobody_twice(client: TestClient, factory: Factory, services: Services) -> None:
    user = factory.user()
    with services.sessions() as session:
        for _ in range(2):
            actions.on_safety_notice(session, services.clock.now(), "account", [user.int_id, 987654321],
                                     {"action": "warn", "reason": "spam", "until": None}, event_id=4242)
        actions.on_safety_notice(session, services.clock.now(), "like", [user.int_id], {}, event_id=4243)
        count = session.scalar(select(func.count()).select_from(Notification)
                               .where(Notification.recipient_id == user.int_id))
    assert count == 1  # the unknown account and the non-moderation kind are skipped
    [told] = notices(client, user)
    assert told["message"].startswith("A moderator warned your account.")
