"""Reads of the chronological feeds: following, a user's notes, a tag, a collection, the viewer's collects.

All are keyset-paginated, newest first, on a time-ordered id (the note's, or the collect's
for collections), so a note inserted while someone scrolls lands above their cursor: nothing
already there is skipped or repeated. Authors the viewer must not see (blocked either way, muted;
``accounts.queries.hidden_author_ids``) are filtered in SQL, so pages stay full.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from redbridge.accounts.models import Follow, User
from redbridge.accounts.queries import hidden_author_ids, is_blocked_either_way
from redbridge.core.errors import AppError, not_found
from redbridge.core.i18n import _
from redbridge.core.pagination import cursor_int, decode_cursor, encode_cursor
from redbridge.engagement.models import Collect, Collection
from redbridge.feeds.schemas import FeedPage
from redbridge.notes.cards import cards_by_ids
from redbridge.notes.models import Note, NoteTag

MAX_ID = (1 << 63) - 1  # ids are 63-bit; anything larger in a cursor is forged


def invalid_cursor() -> AppError:
    return AppError("cursor.invalid", _("This page link is not valid."), 400, fields={"cursor": "invalid"})


def cursor_id(state: dict[str, Any], key: str) -> int:
    """A non-negative id-sized integer from a decoded cursor, or a 400 (never a database overflow)."""
    value = cursor_int(state, key)
    if value is None or value > MAX_ID:
        raise invalid_cursor()
    return value


def keyset_before(cursor: str | None) -> int | None:
    """The ``b`` ("ids below this") of a chronological feed's cursor; ``None`` on the first page."""
    state = decode_cursor(cursor)
    return None if state is None else cursor_id(state, "b")


def note_page(session: Session, keys: Sequence[int], note_ids: Sequence[int], limit: int,
              viewer_id: int | None) -> FeedPage:
    """Cards for the first ``limit`` ids; ``keys`` are the keyset values of the same rows (one more
    than ``limit`` when there is a next page)."""
    cards = cards_by_ids(session, note_ids[:limit], viewer_id)
    more = len(keys) > limit
    return FeedPage(items=cards, next_cursor=encode_cursor({"b": keys[limit - 1]}) if more else None)


def visible_authors(session: Session, viewer_id: int | None) -> ColumnElement[bool]:
    """A condition on ``Note.author_id`` that drops authors hidden from the viewer."""
    hidden = hidden_author_ids(session, viewer_id)
    return Note.author_id.not_in(hidden) if hidden else true()


def following(session: Session, viewer_id: int, cursor: str | None, limit: int) -> FeedPage:
    """Notes by the accounts the viewer follows, newest first."""
    before = keyset_before(cursor)
    followed = select(Follow.followee_id).where(Follow.follower_id == viewer_id).scalar_subquery()
    query = select(Note.id).where(Note.author_id.in_(followed))
    if before is not None:
        query = query.where(Note.id < before)
    query = query.where(visible_authors(session, viewer_id))
    ids = list(session.scalars(query.order_by(Note.id.desc()).limit(limit + 1)))
    return note_page(session, ids, ids, limit, viewer_id)


def user_notes(session: Session, author: User, viewer_id: int | None, cursor: str | None, limit: int) -> FeedPage:
    """One author's notes, newest first. If either of the two blocked the other the page is empty
    (not a 404): the profile itself stays reachable and says so, only the notes are withheld. Mute
    does not apply here — opening a muted person's profile is a deliberate act."""
    before = keyset_before(cursor)
    if viewer_id is not None and viewer_id != author.id and is_blocked_either_way(session, viewer_id, author.id):
        return FeedPage(items=[])
    query = select(Note.id).where(Note.author_id == author.id)
    if before is not None:
        query = query.where(Note.id < before)
    ids = list(session.scalars(query.order_by(Note.id.desc()).limit(limit + 1)))
    return note_page(session, ids, ids, limit, viewer_id)


def tag_notes(session: Session, tag: str, viewer_id: int | None, cursor: str | None, limit: int) -> FeedPage:
    """Notes carrying ``tag`` (already normalised, see ``text.markup.normalize_tag``), newest first;
    hidden authors filtered. Served by the (tag, note_id) index: a range scan in id order."""
    before = keyset_before(cursor)
    query = select(NoteTag.note_id).join(Note, Note.id == NoteTag.note_id).where(NoteTag.tag == tag)
    if before is not None:
        query = query.where(NoteTag.note_id < before)
    query = query.where(visible_authors(session, viewer_id))
    ids = list(session.scalars(query.order_by(NoteTag.note_id.desc()).limit(limit + 1)))
    return note_page(session, ids, ids, limit, viewer_id)

def _collect_page(session: Session, where: ColumnElement[bool], viewer_id: int | None, cursor: str | None,
                  limit: int) -> FeedPage:
    """Collected notes, most recently collected first (keyset on the collect's id)."""
    before = keyset_before(cursor)
    query = select(Collect.id, Collect.note_id).join(Note, Note.id == Collect.note_id).where(where)
    if before is not None:
        query = query.where(Collect.id < before)
    query = query.where(visible_authors(session, viewer_id))
    rows = session.execute(query.order_by(Collect.id.desc()).limit(limit + 1)).all()
    return note_page(session, [r[0] for r in rows], [r[1] for r in rows], limit, viewer_id)


def visible_collection(session: Session, collection_id: int, viewer_id: int | None) -> Collection:
    """The collection if the viewer may read it; otherwise the same 404 as a missing one, so ids of
    private collections cannot be probed. Hidden from everyone but the owner: private collections,
    those of deactivated accounts, and those whose owner and viewer are blocked either way."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise not_found("collection")
    if collection.owner_id == viewer_id:
        return collection
    owner = session.get(User, collection.owner_id)
    if not collection.is_public or owner is None or not owner.is_active:
        raise not_found("collection")
    if viewer_id is not None and is_blocked_either_way(session, viewer_id, collection.owner_id):
        raise not_found("collection")
    return collection


def collection_notes(session: Session, collection_id: int, viewer_id: int | None, cursor: str | None,
                     limit: int) -> FeedPage:
    collection = visible_collection(session, collection_id, viewer_id)
    return _collect_page(session, Collect.collection_id == collection.id, viewer_id, cursor, limit)


def my_collects(session: Session, viewer_id: int, cursor: str | None, limit: int) -> FeedPage:
    """Everything the viewer collected, filed in a collection or not."""
    return _collect_page(session, Collect.user_id == viewer_id, viewer_id, cursor, limit)
