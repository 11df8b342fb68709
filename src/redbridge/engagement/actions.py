"""Writes for likes, collects, collections and comments. Each public function owns its transaction
(``with write(session):``, ``core.db``); what is found missing, hidden or forbidden inside it is
raised there, and the block rolls back.

Counters (note like/collect/comment counts, the author's ``engagement_received``, a collection's
``note_count``, a comment's like/reply counts) change in the same transaction as the rows they
count, in SQL (``x = x + 1``), and only when a row was really inserted or deleted — which is what
keeps them exact under concurrent and repeated requests.

Lock order (``core.db.write``), to stay free of deadlocks on PostgreSQL: the note row first
(``FOR NO KEY UPDATE``, which also keeps the note from being deleted under us), then collections /
comments, then users.

Visibility: every write scoped to a note — like, unlike, collect, uncollect, comment, reply, comment
like and unlike — first locks the note through ``notes.queries.get_visible``, the one rule the reads
use too: a note that is missing, whose author is deactivated, or whose author and the viewer are
blocked either way is 404 (``note.not_found``, or ``comment.not_found`` on a comment's path). The
one exception is deleting a comment: its author (and an admin) may always remove it. A note that is
not published (held, removed) takes engagement from its author only: a moderator may read it, but a
like or a comment from anyone else would be engagement nobody else can see.

Moderation: a comment's body is screened before the transaction (``moderation.screening``): a
rejected comment is never written (422), a held one is written ``held`` with its decision row. A
held comment is in no counter others see — the note's ``comment_count``, its thread's
``reply_count`` — and publishes no ``comment.created`` (no notification quotes it); neither does a
reply under a held comment. A moderator's decision moves the counters when it publishes or removes
one (:func:`moderate_comment_in_tx`, in the decision's transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Result, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redbridge.accounts import standing, trust
from redbridge.accounts.models import User
from redbridge.accounts.queries import is_blocked_either_way
from redbridge.core import changes, events, ids
from redbridge.core.db import insert_ignore, write
from redbridge.core.errors import AppError, forbidden, not_found
from redbridge.core.i18n import _
from redbridge.engagement.models import Collect, Collection, Comment, CommentLike, Like
from redbridge.engagement.schemas import CollectionCreate, CollectionUpdate, CollectOut, LikeOut
from redbridge.moderation import screening
from redbridge.moderation.text import TextChecker
from redbridge.notes.actions import NOTE_DELETING
from redbridge.notes.models import PUBLISHED, Note
from redbridge.notes.queries import get_visible
from redbridge.text.lang import detect_language


def _rowcount(result: Result[Any]) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _blocked() -> AppError:
    return AppError("engagement.blocked", _("You cannot interact with this account."), 403)


def _name_taken() -> AppError:
    return AppError("collection.name_taken", _("You already have a collection with this name."), 409,
                    fields={"name": "taken"})


def _lock_note(session: Session, note_id: int) -> int:
    """Lock the note for this write transaction; returns its author's id (404 if there is none)."""
    author_id = session.scalar(select(Note.author_id).where(Note.id == note_id).with_for_update(key_share=True))
    if author_id is None:
        raise not_found("note")
    return author_id


def _lock_visible_note(session: Session, note_id: int, viewer_id: int, what: str = "note") -> int:
    """Lock the note for this write transaction if the viewer may see it (``get_visible``); returns
    its author's id. Otherwise 404 ``{what}.not_found``."""
    try:
        note, author = get_visible(session, note_id, viewer_id, lock=True)
    except AppError:
        raise not_found(what) from None
    if note.status != PUBLISHED and viewer_id != author.id:
        raise not_found(what)
    return author.id


def _check_not_blocked(session: Session, viewer_id: int, other_id: int) -> None:
    if viewer_id != other_id and is_blocked_either_way(session, viewer_id, other_id):
        raise _blocked()


def _bump_note(session: Session, note_id: int, **deltas: int) -> None:
    """Adjust the note's counters and have its hot rank recomputed (``note.engaged``) after commit."""
    values = {name: getattr(Note, name) + delta for name, delta in deltas.items()}
    session.execute(update(Note).where(Note.id == note_id).values(values))
    events.publish(session, "note.engaged", {"note_id": note_id})
    changes.note_changed(session, note_id, content=False)  # the note page shows the counters


def _bump_received(session: Session, author_id: int, delta: int) -> None:
    session.execute(
        update(User).where(User.id == author_id).values(engagement_received=User.engagement_received + delta)
    )


def _bump_collection(session: Session, collection_id: int | None, delta: int) -> None:
    if collection_id is not None:
        session.execute(
            update(Collection).where(Collection.id == collection_id)
            .values(note_count=Collection.note_count + delta)
        )


def _note_counter(session: Session, note_id: int, column: Any) -> int:
    return int(session.scalar(select(column).where(Note.id == note_id)) or 0)


# ----------------------------------------------------------------------------------------- likes


def set_note_like(session: Session, viewer_id: int, note_id: int, now: datetime, on: bool) -> LikeOut:
    """Like (``on``) or unlike a note; idempotent.

    Publishes ``note.engaged`` when the like changed, and ``note.liked`` {actor_id, note_id} for a
    new like (the author's notification). A note the viewer may not see (``get_visible``: blocked
    either way with its author included) → 404, liking and unliking alike.
    """
    with write(session):
        author_id = _lock_visible_note(session, note_id, viewer_id)
        if on:
            changed = insert_ignore(session, Like, {"user_id": viewer_id, "note_id": note_id, "created_at": now})
        else:
            changed = bool(_rowcount(session.execute(
                delete(Like).where(Like.user_id == viewer_id, Like.note_id == note_id)
            )))
        if changed:
            delta = 1 if on else -1
            _bump_note(session, note_id, like_count=delta)
            _bump_received(session, author_id, delta)
            if on:
                events.publish(session, "note.liked", {"actor_id": viewer_id, "note_id": note_id})
            # Synchronous, unlike the events above: caches of the liker's pages (``liked_by_me``)
            # must be retired before this request answers.
            changes.engagement_changed(session, viewer_id, note_id)
        count = _note_counter(session, note_id, Note.like_count)
    return LikeOut(liked=on, like_count=count)


def set_comment_like(session: Session, viewer_id: int, comment_id: int, now: datetime, on: bool) -> LikeOut:
    """Like or unlike a comment; idempotent. Publishes ``comment.liked`` {actor_id, comment_id} when new.

    404 when the comment's note is hidden from the viewer (``get_visible``); liking across a block
    with the comment's author (the note itself visible) → 403.
    """
    with write(session):
        note_id = session.scalar(select(Comment.note_id).where(Comment.id == comment_id))
        if note_id is None:
            raise not_found("comment")
        _lock_visible_note(session, note_id, viewer_id, "comment")
        found = session.execute(
            select(Comment.author_id, Comment.status).where(Comment.id == comment_id).with_for_update(key_share=True)
        ).first()
        if found is None or (found.status != PUBLISHED and found.author_id != viewer_id):
            raise not_found("comment")  # a held comment is its author's only
        author_id = found.author_id
        if on:
            _check_not_blocked(session, viewer_id, author_id)
            changed = insert_ignore(
                session, CommentLike, {"user_id": viewer_id, "comment_id": comment_id, "created_at": now}
            )
        else:
            changed = bool(_rowcount(session.execute(
                delete(CommentLike).where(CommentLike.user_id == viewer_id, CommentLike.comment_id == comment_id)
            )))
        if changed:
            session.execute(
                update(Comment).where(Comment.id == comment_id)
                .values(like_count=Comment.like_count + (1 if on else -1))
            )
            if on:
                events.publish(session, "comment.liked", {"actor_id": viewer_id, "comment_id": comment_id})
        count = int(session.scalar(select(Comment.like_count).where(Comment.id == comment_id)) or 0)
    return LikeOut(liked=on, like_count=count)


# -------------------------------------------------------------------------------------- collects


def collect(session: Session, viewer_id: int, note_id: int, collection_id: int | None, now: datetime) -> CollectOut:
    """Collect a note, filed in ``collection_id`` (one of the viewer's, else 404) or unfiled.

    Collecting an already collected note moves it to the given collection (or unfiles it);
    the note's count does not change. Publishes ``note.engaged`` and, for a new collect,
    ``note.collected`` {actor_id, note_id}. A note the viewer may not see → 404.
    """
    with write(session):
        author_id = _lock_visible_note(session, note_id, viewer_id)
        if collection_id is not None:
            owned = session.scalar(
                select(Collection.id).where(Collection.id == collection_id, Collection.owner_id == viewer_id)
                .with_for_update(key_share=True)
            )
            if owned is None:
                raise not_found("collection")
        created = insert_ignore(session, Collect, {
            "id": ids.new_id(now), "user_id": viewer_id, "note_id": note_id, "collection_id": collection_id,
            "created_at": now,
        })
        if created:
            _bump_note(session, note_id, collect_count=1)
            _bump_collection(session, collection_id, 1)
            _bump_received(session, author_id, 1)
            events.publish(session, "note.collected", {"actor_id": viewer_id, "note_id": note_id})
            changes.engagement_changed(session, viewer_id, note_id)
        else:
            where = (Collect.user_id == viewer_id, Collect.note_id == note_id)
            current = session.scalar(select(Collect.collection_id).where(*where))
            if current != collection_id:
                session.execute(update(Collect).where(*where).values(collection_id=collection_id))
                _bump_collection(session, current, -1)
                _bump_collection(session, collection_id, 1)
        count = _note_counter(session, note_id, Note.collect_count)
    return CollectOut(collected=True, collect_count=count,
                      collection_id=ids.encode(collection_id) if collection_id is not None else None)


def uncollect(session: Session, viewer_id: int, note_id: int) -> CollectOut:
    """Remove the viewer's collect of a note (and from its collection); idempotent. A note the
    viewer may not see → 404, as for collecting."""
    with write(session):
        author_id = _lock_visible_note(session, note_id, viewer_id)
        removed = session.execute(
            delete(Collect).where(Collect.user_id == viewer_id, Collect.note_id == note_id)
            .returning(Collect.collection_id)
        ).first()
        if removed is not None:
            _bump_note(session, note_id, collect_count=-1)
            _bump_collection(session, removed[0], -1)
            _bump_received(session, author_id, -1)
            changes.engagement_changed(session, viewer_id, note_id)
        count = _note_counter(session, note_id, Note.collect_count)
    return CollectOut(collected=False, collect_count=count, collection_id=None)


# ----------------------------------------------------------------------------------- collections


def _owned_collection(session: Session, viewer_id: int, collection_id: int) -> Collection:
    """The viewer's collection, for a change. Someone else's: 404 when they could not even see it
    (private), 403 when public."""
    found = session.get(Collection, collection_id)
    if found is None or (found.owner_id != viewer_id and not found.is_public):
        raise not_found("collection")
    if found.owner_id != viewer_id:
        raise forbidden()
    return found


@contextmanager
def _collection_write(session: Session) -> Iterator[None]:
    """``write`` for a collection's name: the only unique key a collection write can break is
    (owner, name), so an ``IntegrityError`` — raised at the flush or the commit, a concurrent
    request taking the same name included — is the 409, after the block has rolled back."""
    try:
        with write(session):
            yield
    except IntegrityError:
        raise _name_taken() from None


def create_collection(session: Session, viewer_id: int, data: CollectionCreate, now: datetime) -> Collection:
    collection = Collection(
        id=ids.new_id(now), owner_id=viewer_id, name=data.name, description=data.description,
        is_public=data.is_public, note_count=0, created_at=now,
    )
    with _collection_write(session):
        session.add(collection)
    return collection


def update_collection(session: Session, viewer_id: int, collection_id: int, changes: CollectionUpdate) -> Collection:
    with _collection_write(session):
        collection = _owned_collection(session, viewer_id, collection_id)
        if changes.name is not None:
            collection.name = changes.name
        if changes.description is not None:
            collection.description = changes.description
        if changes.is_public is not None:
            collection.is_public = changes.is_public
    return collection


def delete_collection(session: Session, viewer_id: int, collection_id: int) -> None:
    """Delete a collection; its collects stay (the notes remain collected), just unfiled."""
    with write(session):
        collection = _owned_collection(session, viewer_id, collection_id)
        # Explicit rather than left to ON DELETE SET NULL: the collects must survive even on a
        # connection where foreign-key actions are off.
        session.execute(update(Collect).where(Collect.collection_id == collection.id).values(collection_id=None))
        session.delete(collection)


# -------------------------------------------------------------------------------------- comments


def create_comment(
    session: Session, viewer_id: int, note_id: int, body: str, parent_id: int | None, now: datetime, *,
    checker: TextChecker,
) -> Comment:
    """Comment on a note, or reply when ``parent_id`` is given.

    One level of replies (as on RedNote): a reply to a reply hangs off the same top-level
    comment and records whom it answers in ``reply_to_user_id``. A note the viewer may not see
    (``get_visible``: blocked either way with its author included) → 404; a reply across a block
    with the person answered → 403. Publishes ``comment.created``
    {comment_id, note_id, author_id, parent_id} and ``note.engaged`` — for a published comment
    under a published parent only: a held one (or one under a held parent) counts nowhere and
    publishes nothing. A rejected body is 422 before anything is written.
    """
    standing.check_can_post(session, viewer_id, now)  # a muted account: 403 before the screening
    screened = screening.screen(checker, body, writer=screening.Writer(
        session, now, viewer_id, "comment", hold_links=trust.hold_links(session, viewer_id, now)))
    lang = detect_language(body)
    with write(session):
        _lock_visible_note(session, note_id, viewer_id)
        top_id: int | None = None
        reply_to: int | None = None
        counted = screened.status == PUBLISHED
        if parent_id is not None:
            parent = session.execute(
                select(Comment.id, Comment.parent_id, Comment.author_id, Comment.status)
                .where(Comment.id == parent_id, Comment.note_id == note_id)
            ).first()
            # A comment the viewer may not see is one that does not exist (held: its author's only).
            if parent is None or (parent.status != PUBLISHED and parent.author_id != viewer_id):
                raise not_found("comment")
            if parent.status != PUBLISHED:
                counted = False
            if parent.parent_id is None:
                top_id = parent.id
            else:
                top_id, reply_to = parent.parent_id, parent.author_id
            _check_not_blocked(session, viewer_id, parent.author_id)
        comment = Comment(
            id=ids.new_id(now), note_id=note_id, author_id=viewer_id, parent_id=top_id, reply_to_user_id=reply_to,
            body=body, lang=lang, like_count=0, reply_count=0, status=screened.status, created_at=now,
        )
        session.add(comment)
        session.flush()
        screening.record(session, now, screened, "comment", comment.id, viewer_id)
        if counted:
            _bump_note(session, note_id, comment_count=1)
            if top_id is not None:
                session.execute(update(Comment).where(Comment.id == top_id).values(reply_count=Comment.reply_count + 1))
            events.publish(session, "comment.created", {
                "comment_id": comment.id, "note_id": note_id, "author_id": viewer_id, "parent_id": top_id,
            })
    return comment


def delete_comment(session: Session, viewer: User, comment_id: int) -> None:
    """Delete a comment: by its author, the note's author or an admin (else 403).

    The comment's author and admins may delete it even when the note is hidden from them (a block
    either way, a deactivated note author): your own words stay yours to remove, and removing them
    shows nothing you did not know. Anyone else first needs to see the note (``get_visible``,
    else 404 ``comment.not_found``).

    Deleting a top-level comment deletes its replies; the note's comment count drops by all of
    them. Publishes ``comment.deleted`` {comment_id, note_id} and ``note.engaged``.
    """
    with write(session):
        found = session.execute(select(Comment.note_id, Comment.author_id).where(Comment.id == comment_id)).first()
        if found is None:
            raise not_found("comment")
        note_id = found.note_id
        if viewer.id == found.author_id or viewer.is_admin:
            note_author = _lock_note(session, note_id)
        else:
            note_author = _lock_visible_note(session, note_id, viewer.id, "comment")
        # Re-read under the note's lock: every comment write on this note takes it first.
        comment = session.get(Comment, comment_id, populate_existing=True)
        if comment is None:
            raise not_found("comment")
        if viewer.id not in (comment.author_id, note_author) and not viewer.is_admin:
            raise forbidden()
        # Only what was counted comes off the counters: published comments under published parents.
        counted = comment.status == PUBLISHED
        if comment.parent_id is None:
            replies = session.scalars(
                delete(Comment).where(Comment.parent_id == comment.id).returning(Comment.status)).all()
            removed = (1 + sum(status == PUBLISHED for status in replies)) if counted else 0
        else:
            parent_status = session.scalar(select(Comment.status).where(Comment.id == comment.parent_id))
            counted = counted and parent_status == PUBLISHED
            removed = 1 if counted else 0
            if counted:
                session.execute(
                    update(Comment).where(Comment.id == comment.parent_id).values(reply_count=Comment.reply_count - 1)
                )
        session.execute(delete(Comment).where(Comment.id == comment.id))
        if removed:
            _bump_note(session, note_id, comment_count=-removed)
        events.publish(session, "comment.deleted", {"comment_id": comment.id, "note_id": note_id})


def moderate_comment_in_tx(session: Session, comment_id: int, status: str) -> Comment | None:
    """A moderator's decision on a comment, in the caller's write transaction (``safety.actions``):
    lock its note (first in the lock order) and the comment, set ``status`` (published | removed)
    and move the counters the way comments count (published comments under published parents):
    the note's ``comment_count`` — by the comment and, for a top-level one, its published replies
    — and the parent's or its own ``reply_count``. A comment that becomes counted publishes the
    ``comment.created`` it never had (a reply published under it while it was held does not get
    one now: nobody was told about it then, and a late notification would be noise). None: gone."""
    note_id = session.scalar(select(Comment.note_id).where(Comment.id == comment_id))
    if note_id is None:
        return None
    _lock_note(session, note_id)
    comment = session.scalar(
        select(Comment).where(Comment.id == comment_id).with_for_update().execution_options(populate_existing=True)
    )
    if comment is None:
        return None
    parent_ok = comment.parent_id is None or session.scalar(
        select(Comment.status).where(Comment.id == comment.parent_id)) == PUBLISHED
    counted_before = comment.status == PUBLISHED and parent_ok
    comment.status = status
    counted_after = status == PUBLISHED and parent_ok
    if counted_before == counted_after:
        return comment
    sign = 1 if counted_after else -1
    if comment.parent_id is None:
        replies = int(session.scalar(
            select(func.count()).select_from(Comment)
            .where(Comment.parent_id == comment.id, Comment.status == PUBLISHED)) or 0)
        comment.reply_count = replies if counted_after else 0
        _bump_note(session, note_id, comment_count=sign * (1 + replies))
    else:
        session.execute(update(Comment).where(Comment.id == comment.parent_id)
                        .values(reply_count=Comment.reply_count + sign))
        _bump_note(session, note_id, comment_count=sign)
    if counted_after:
        events.publish(session, "comment.created", {
            "comment_id": comment.id, "note_id": note_id, "author_id": comment.author_id,
            "parent_id": comment.parent_id,
        })
    return comment


# ------------------------------------------------------------------------------------ note removal


@NOTE_DELETING.join
def release_note_in_tx(session: Session, note_id: int) -> None:
    """Undo a note's engagement in the caller's write transaction, before the note is deleted.

    The database cascades the likes, collects and comments away with the note, but the counters
    kept elsewhere — the author's ``engagement_received`` and each collection's ``note_count`` —
    must drop with them. Joins the notes feature's delete action (``notes.actions.NOTE_DELETING``).
    """
    row = session.execute(select(Note.author_id, Note.like_count, Note.collect_count).where(Note.id == note_id)).first()
    if row is None:
        return
    author_id, likes, collects = row
    # Collections before the user: the lock order of ``core.db.write`` (a collect holds its
    # collection while it waits for the note author's row).
    # A collection belongs to one user, who collects a note at most once: each loses exactly one.
    session.execute(
        update(Collection)
        .where(Collection.id.in_(select(Collect.collection_id).where(Collect.note_id == note_id)))
        .values(note_count=Collection.note_count - 1)
    )
    _bump_received(session, author_id, -(likes + collects))
