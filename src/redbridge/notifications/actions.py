"""Writes for notifications. Each public function owns its transaction (``with write(session):``,
``core.db``); the handlers read what they need first, then write in one short transaction.

The event handlers (``tasks.py``) call the ``on_*`` functions. All of them are idempotent, because
a job may run again after a failure: see :func:`notify` for the rules that make them so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from redbridge.accounts.models import Block, Mute, User
from redbridge.core import ids
from redbridge.core.db import write
from redbridge.notifications import queries
from redbridge.notifications.models import MODERATION_KINDS, Notification
from redbridge.text.markup import extract_mentions

# One-shot kinds point at an object created once (a comment, a note's mention): any earlier
# notification for it is a duplicate, read or not — which makes retried jobs harmless. Toggles
# (like, collect, follow, comment_like) can honestly happen again later, so only an *unread*
# twin suppresses them: like → unlike → like again does not stack a second unread like. And
# whatever the kind, an event delivered again (the outbox delivers at least once) is recognised by
# its ``event_id``, read or not.
ONE_SHOT = frozenset({"comment", "reply", "mention"})


def _eq(column: Any, value: int | None) -> Any:
    return column.is_(None) if value is None else column == value


def _serialize(session: Session, keys: list[tuple[int, int, str, int | None, int | None]]) -> None:
    """On PostgreSQL, hold a transaction lock per notification key, so two workers handling the
    same kind of event at once cannot both see "no duplicate" and both insert. (SQLite write
    transactions are serial already.) Sorted, so two handlers never wait on each other in a cycle."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys, key=repr):
        digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
        session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest, "big", signed=True))))


def _excluded(session: Session, actor_id: int, recipients: set[int]) -> set[int]:
    """Recipients who must not hear from the actor: they blocked or muted the actor, the actor
    blocked them, or one of the two accounts is no longer active."""
    active = set(session.scalars(select(User.id).where(User.id.in_(recipients | {actor_id}), User.is_active)))
    if actor_id not in active:
        return set(recipients)
    blockers = session.scalars(select(Block.blocker_id).where(Block.blocker_id.in_(recipients), Block.blocked_id == actor_id))
    blocked = session.scalars(select(Block.blocked_id).where(Block.blocker_id == actor_id, Block.blocked_id.in_(recipients)))
    muters = session.scalars(select(Mute.muter_id).where(Mute.muter_id.in_(recipients), Mute.muted_id == actor_id))
    return (recipients - active) | set(blockers) | set(blocked) | set(muters)


def _duplicates(
    session: Session, actor_id: int, wanted: Mapping[int, str], note_id: int | None, comment_id: int | None,
    event_id: int | None,
) -> set[int]:
    seen: set[int] = set()
    if event_id is not None:
        seen = set(session.scalars(select(Notification.recipient_id).where(
            Notification.event_id == event_id, Notification.recipient_id.in_(wanted))))
    existing = session.execute(
        select(Notification.recipient_id, Notification.kind).where(
            Notification.recipient_id.in_(wanted),
            Notification.actor_id == actor_id,
            Notification.kind.in_(set(wanted.values())),
            _eq(Notification.note_id, note_id),
            _eq(Notification.comment_id, comment_id),
            or_(Notification.read_at.is_(None), Notification.kind.in_(ONE_SHOT)),
        )
    ).all()
    return seen | {recipient for recipient, kind in existing if wanted.get(recipient) == kind}


def notify(
    session: Session, now: datetime, actor_id: int, deliveries: Mapping[int, str], *,
    note_id: int | None = None, comment_id: int | None = None, event_id: int | None = None,
) -> int:
    """Notify each recipient of ``deliveries`` (recipient id → kind) that ``actor_id`` acted on the
    note / comment; returns how many notifications were created.

    Never notifies the actor themself, a recipient who blocked or muted the actor (or whom the
    actor blocked), or an inactive account; never creates a duplicate (see ``ONE_SHOT``), nor a
    second notification for one recipient from the same ``event_id``.
    """
    wanted = {recipient: kind for recipient, kind in deliveries.items() if recipient != actor_id}
    if not wanted:
        return 0
    with write(session):
        _serialize(session, [(r, actor_id, k, note_id, comment_id) for r, k in wanted.items()])
        skip = _excluded(session, actor_id, set(wanted)) | _duplicates(session, actor_id, wanted, note_id, comment_id, event_id)
        fresh = sorted(set(wanted) - skip)
        for recipient in fresh:
            session.add(Notification(
                id=ids.new_id(now), recipient_id=recipient, actor_id=actor_id, kind=wanted[recipient],
                note_id=note_id, comment_id=comment_id, created_at=now, read_at=None, event_id=event_id,
            ))
    return len(fresh)


def _mentioned(session: Session, text: str) -> list[int]:
    return queries.user_ids_by_username(session, extract_mentions(text))


# ------------------------------------------------------------------------------ event handlers


def on_note_engaged(session: Session, now: datetime, actor_id: int, note_id: int, kind: str, *,
                    event_id: int | None = None) -> int:
    """A like or collect of a note: its author hears of it."""
    author_id = queries.note_author(session, note_id)
    if author_id is None:
        return 0
    return notify(session, now, actor_id, {author_id: kind}, note_id=note_id, event_id=event_id)


def on_comment_created(session: Session, now: datetime, comment_id: int, *, event_id: int | None = None) -> int:
    """A top-level comment notifies the note's author ("comment"); a reply notifies the author of
    the thread's top comment and the person answered ("reply"). Anyone else @mentioned in the body
    gets a "mention" — one notification per person and comment, whatever the reasons."""
    comment = queries.comment(session, comment_id)
    if comment is None or comment.status != "published":
        return 0  # deleted (or held) before the job ran
    deliveries: dict[int, str] = {}
    if comment.parent_id is None:
        author_id = queries.note_author(session, comment.note_id)
        if author_id is not None:
            deliveries[author_id] = "comment"
    else:
        parent_author = queries.comment_author(session, comment.parent_id)
        for recipient in (parent_author, comment.reply_to_user_id):
            if recipient is not None:
                deliveries[recipient] = "reply"
    for recipient in _mentioned(session, comment.body):
        deliveries.setdefault(recipient, "mention")
    return notify(session, now, comment.author_id, deliveries, note_id=comment.note_id, comment_id=comment.id,
                  event_id=event_id)


def on_comment_liked(session: Session, now: datetime, actor_id: int, comment_id: int, *,
                     event_id: int | None = None) -> int:
    comment = queries.comment(session, comment_id)
    if comment is None:
        return 0
    return notify(session, now, actor_id, {comment.author_id: "comment_like"},
                  note_id=comment.note_id, comment_id=comment.id, event_id=event_id)


def on_followed(session: Session, now: datetime, actor_id: int, user_id: int, *, event_id: int | None = None) -> int:
    return notify(session, now, actor_id, {user_id: "follow"}, event_id=event_id)


def on_note_created(session: Session, now: datetime, note_id: int, *, event_id: int | None = None) -> int:
    """@mentions in a new note's title and body."""
    note = queries.note_text(session, note_id)
    if note is None:
        return 0
    return notify(session, now, note.author_id, dict.fromkeys(_mentioned(session, note.text), "mention"),
                  note_id=note_id, event_id=event_id)


def on_safety_notice(session: Session, now: datetime, kind: str, recipient_ids: list[int], details: dict[str, Any],
                     *, note_id: int | None = None, comment_id: int | None = None,
                     event_id: int | None = None) -> int:
    """A moderators' notice (``safety.notice``: a decision about the recipient's content, an
    appeal's outcome, an account action, a report's outcome) for each recipient. Unlike the social
    kinds nobody can mute it and it names no actor (``actor_id`` is the recipient). Idempotent on
    ``event_id`` (the unique key on event and recipient); accounts gone since are skipped, and so is
    a note or comment deleted since (the notice stays, without the link)."""
    if kind not in MODERATION_KINDS or not recipient_ids:
        return 0
    with write(session):
        wanted = set(session.scalars(select(User.id).where(User.id.in_(recipient_ids))))
        if event_id is not None:
            wanted -= set(session.scalars(select(Notification.recipient_id).where(
                Notification.event_id == event_id, Notification.recipient_id.in_(wanted))))
        if note_id is not None and queries.note_author(session, note_id) is None:
            note_id = None
        if comment_id is not None and queries.comment_author(session, comment_id) is None:
            comment_id = None
        for recipient in sorted(wanted):
            session.add(Notification(
                id=ids.new_id(now), recipient_id=recipient, actor_id=recipient, kind=kind, note_id=note_id,
                comment_id=comment_id, created_at=now, read_at=None, event_id=event_id, details=dict(details),
            ))
    return len(wanted)


# ----------------------------------------------------------------------------------- read state


def mark_read(session: Session, viewer_id: int, up_to_id: int | None, now: datetime) -> None:
    """Mark the viewer's unread notifications read: all, or those up to and including ``up_to_id``
    (ids grow with time, so "up to" means "this one and everything older")."""
    query = update(Notification).where(Notification.recipient_id == viewer_id, Notification.read_at.is_(None))
    if up_to_id is not None:
        query = query.where(Notification.id <= up_to_id)
    with write(session):
        session.execute(query.values(read_at=now))
