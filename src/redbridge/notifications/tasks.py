"""Event handlers that turn engagement, follows and the moderators' decisions into notifications.

Each runs after the publishing transaction commits, in its own transaction, and is idempotent:
the outbox may deliver an event twice (at least once), and a job may be retried, but
``actions.notify`` de-duplicates on the outbox's event id (and on unread twins), so nobody is
notified twice.
"""

from __future__ import annotations

from typing import Any

from redbridge.core.jobs import job
from redbridge.core.outbox import EVENT_ID
from redbridge.core.services import Services
from redbridge.notifications import actions


def _event(payload: dict[str, Any]) -> int | None:
    value = payload.get(EVENT_ID)
    return None if value is None else int(value)


@job("notifications.note_liked", on=("note.liked",))
def note_liked(services: Services, payload: dict[str, Any]) -> None:
    with services.sessions() as session:
        actions.on_note_engaged(session, services.clock.now(), int(payload["actor_id"]), int(payload["note_id"]), "like",
                                event_id=_event(payload))


@job("notifications.note_collected", on=("note.collected",))
def note_collected(services: Services, payload: dict[str, Any]) -> None:
    with services.sessions() as session:
        actions.on_note_engaged(
            session, services.clock.now(), int(payload["actor_id"]), int(payload["note_id"]), "collect",
            event_id=_event(payload),
        )


@job("notifications.comment_created", on=("comment.created",))
def comment_created(services: Services, payload: dict[str, Any]) -> None:
    with services.sessions() as session:
        actions.on_comment_created(session, services.clock.now(), int(payload["comment_id"]), event_id=_event(payload))


@job("notifications.comment_liked", on=("comment.liked",))
def comment_liked(services: Services, payload: dict[str, Any]) -> None:
    with services.sessions() as session:
        actions.on_comment_liked(session, services.clock.now(), int(payload["actor_id"]), int(payload["comment_id"]),
                                 event_id=_event(payload))


@job("notifications.user_followed", on=("user.followed",))
def user_followed(services: Services, payload: dict[str, Any]) -> None:
    with services.sessions() as session:
        actions.on_followed(session, services.clock.now(), int(payload["actor_id"]), int(payload["user_id"]),
                            event_id=_event(payload))


@job("notifications.note_created", on=("note.created",))
def note_created(services: Services, payload: dict[str, Any]) -> None:
    with services.sessions() as session:
        actions.on_note_created(session, services.clock.now(), int(payload["note_id"]), event_id=_event(payload))


@job("notifications.safety_notice", on=("safety.notice",))
def safety_notice(services: Services, payload: dict[str, Any]) -> None:
    """A moderators' decision, appeal outcome, account action or report outcome (``safety.actions``)."""
    with services.sessions() as session:
        actions.on_safety_notice(
            session, services.clock.now(), str(payload["kind"]), [int(r) for r in payload["recipient_ids"]],
            dict(payload.get("details") or {}),
            note_id=int(payload["note_id"]) if payload.get("note_id") is not None else None,
            comment_id=int(payload["comment_id"]) if payload.get("comment_id") is not None else None,
            event_id=_event(payload),
        )
