"""An event delivered twice (the outbox delivers at least once) notifies once — also when the
first notification has been read in between, which the unread-twin rule alone would not catch."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select, update

from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.notifications.models import Notification
from redbridge.settings import Settings
from tests.core.outbox_helpers import paused, redeliver
from tests.factories import Factory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return paused(settings)


def _notifications(services: Services) -> Counter[tuple[int, int, str]]:
    with services.sessions() as session:
        rows = session.execute(select(Notification.recipient_id, Notification.actor_id, Notification.kind)).all()
    return Counter((r, a, k) for r, a, k in rows)


def _read_all(services: Services) -> None:
    with services.sessions() as session:
        session.execute(update(Notification).values(read_at=SystemClock().now()))
        session.commit()


def test_every_notification_job_delivered_twice_notifies_once(client, factory: Factory, services: Services) -> None:
    author, fan, mei = factory.user(), factory.user(), factory.user()
    note = int(factory.note(author, body=f"for @{mei.username}")["id"])  # note.created: a mention
    headers = fan.headers
    assert client.post(f"/api/v1/notes/{note}/like", headers=headers).status_code == 200
    assert client.post(f"/api/v1/notes/{note}/collect", headers=headers).status_code == 200
    reply = client.post(f"/api/v1/notes/{note}/comments", headers=headers, json={"body": f"hi @{mei.username}"})
    assert reply.status_code == 201, reply.text
    assert client.post(f"/api/v1/comments/{reply.json()['id']}/like", headers=author.headers).status_code == 200
    assert client.post(f"/api/v1/users/{author.username}/follow", headers=headers).status_code == 200

    jobs = redeliver(services, between=lambda: _read_all(services))
    assert {j for j in jobs if j.startswith("notifications.")} == {
        "notifications.note_created", "notifications.note_liked", "notifications.note_collected",
        "notifications.comment_created", "notifications.comment_liked", "notifications.user_followed",
    }
    a, f, m = author.int_id, fan.int_id, mei.int_id
    assert _notifications(services) == Counter({
        (m, a, "mention"): 1, (a, f, "like"): 1, (a, f, "collect"): 1, (a, f, "comment"): 1,
        (m, f, "mention"): 1, (f, a, "comment_like"): 1, (a, f, "follow"): 1,
    })
