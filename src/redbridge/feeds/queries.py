"""Reads of the chronological feeds: following, a user's notes, a tag, a collection, the viewer's collects.

All are keyset-paginated, newest first, on a time-ordered id (the note's, or the collect's
for collections), so a note inserted while someone scrolls lands above their cursor: nothing
already there is skipped or repeated. Authors the viewer must not see (blocked either way, muted;
``accounts.queries.hidden_author_ids``) are filtered in SQL, so pages stay full.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select, true
from sqlalchemy.orm import Session

from redbridge.accounts.models import Follow, User
from redbridge.accounts.queries import Caller, hidden_author_ids, is_blocked_either_way
from redbridge.core.cache import PageCache
from redbridge.core.ids import encode as encode_id
from redbridge.core.pagination import cursor_int, decode_cursor, encode_cursor, invalid_cursor
from redbridge.core.services import Services
from redbridge.engagement.models import Collect
from redbridge.engagement.queries import visible_collection as visible_collection  # re-exported for the pages
from redbridge.feeds.schemas import FeedPage
from redbridge.notes.models import HELD, PUBLISHED, Note, NoteTag
from redbridge.notes.schemas import NoteCard
from redbridge.reads import viewers
from redbridge.reads.cards import LIKED_BY_VIEWER, cards_by_ids, content_generation
from redbridge.reads.cards import cards as memo_cards

MAX_ID = (1 << 63) - 1  # ids are 63-bit; anything larger in a cursor is forged


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


def note_page(services: Services, session: Session, keys: Sequence[int], note_ids: Sequence[int], limit: int,
              viewer_id: int | None, live: dict[int, tuple[int, bool]] | None = None, *, own: bool = False) -> FeedPage:
    """Cards for the first ``limit`` ids, through the card memo (``reads.cards``; ``live``: see
    ``reads.cards.cards``); ``keys`` are the keyset values of the same rows (one more than
    ``limit`` when there is a next page). Every feed, API and page alike, builds its page here."""
    cards = memo_cards(services, session, list(note_ids[:limit]), viewer_id, live, own=own)
    more = len(keys) > limit
    return FeedPage(items=cards, next_cursor=encode_cursor({"b": keys[limit - 1]}) if more else None)


def visible_authors(session: Session, viewer_id: int | None) -> ColumnElement[bool]:
    """A condition on ``Note.author_id`` that drops authors hidden from the viewer."""
    hidden = hidden_author_ids(session, viewer_id)
    return Note.author_id.not_in(hidden) if hidden else true()


# Built once on the tables: ORM statement construction cost more than running it (a hot read). With
# the page's ids it reads what a card shows live — the like count and the viewer's like — so the
# whole page is one statement.
_notes_t, _follows_t = Note.__table__, Follow.__table__
_FOLLOWING = (
    select(_notes_t.c.id, _notes_t.c.like_count, LIKED_BY_VIEWER)
    .where(_notes_t.c.author_id.in_(
               select(_follows_t.c.followee_id).where(_follows_t.c.follower_id == bindparam("viewer"))),
           _notes_t.c.id < bindparam("before"), _notes_t.c.status == PUBLISHED,
           _notes_t.c.author_id.not_in(bindparam("hidden", expanding=True)))
    .order_by(_notes_t.c.id.desc()).limit(bindparam("limit"))
)


def following(services: Services, session: Session, viewer_id: int, cursor: str | None, limit: int,
              hidden: Collection[int] | None = None) -> FeedPage:
    """Notes by the accounts the viewer follows, newest first (one index range per followed author,
    ``ix_notes_author``, merged by SQLite's sorter: fast whatever the site's size). ``hidden``: the
    viewer's hidden authors when already known (the cached caller carries them)."""
    before = keyset_before(cursor)
    hidden = hidden_author_ids(session, viewer_id) if hidden is None else hidden
    # On the connection: the ORM layer of Session.execute costs more than this statement runs.
    rows = session.connection().execute(_FOLLOWING, {
        "viewer": viewer_id, "before": MAX_ID if before is None else before,
        "hidden": sorted(hidden), "limit": limit + 1,
    }).all()
    ids = [row[0] for row in rows]
    live = {row[0]: (row[1], bool(row[2])) for row in rows}
    return note_page(services, session, ids, ids, limit, viewer_id, live)


# ------------------------------------------------------------------------ the following page cache
# A reader's following pages, as JSON, per (viewer, cursor, limit), for FOLLOWING_CACHE_S (spread).
# Nothing deletes them: the key names everything a page depends on — the viewer's caller stamp
# (hidden authors), their generation (liked_by_me), the content generation (edits, deletions),
# whom they follow (the follows generation) and a digest of the generation of every author they
# follow, which ``note_visibility_changed`` retires when one of that author's notes appears or
# disappears: a followed author's new note is on the very next page, at the cost of one
# retirement per note rather than a write per follower. Readers following more than
# ``viewers.FOLLOWS_LIMIT`` accounts are not cached (the key reads one token per followed author).
FOLLOWING_CACHE_S = 10.0


class _FollowingPages(PageCache):
    """The following page cache of one app (``services.state``), single flight like explore's."""

    def __init__(self) -> None:
        super().__init__(4096, FOLLOWING_CACHE_S)


def _following_key(services: Services, caller: Caller, cursor: str | None, limit: int, follows: bytes,
                   followed: tuple[int, ...]) -> tuple[Any, ...]:
    return ("following", caller.user_id, cursor or "", limit, caller.stamp,
            viewers.viewer_generation(services, caller.user_id), content_generation(services), follows,
            viewers.author_generations(services, followed))


def peek_following(services: Services, caller: Caller, cursor: str | None, limit: int) -> bytes | None:
    """The viewer's cached following page, from the caches alone (never the database), or None."""
    follows = viewers.follows_generation(services, caller.user_id)
    known, followed = viewers.peek_follows(services, caller.user_id, follows)
    if not known or followed is None:
        return None
    return services.state(_FollowingPages).peek(_following_key(services, caller, cursor, limit, follows, followed))


def following_json(services: Services, session: Session, caller: Caller, cursor: str | None, limit: int) -> bytes:
    """The viewer's following page as ``FeedPage`` JSON, through the page cache above. Every token
    of the key is read before the page's query: a page older than a write is stored under the
    token that write retired."""
    follows = viewers.follows_generation(services, caller.user_id)
    followed = viewers.follows(services, session, caller.user_id, follows)
    if followed is None:
        return following(services, session, caller.user_id, cursor, limit, caller.hidden).model_dump_json().encode()
    key = _following_key(services, caller, cursor, limit, follows, followed)

    def compute() -> tuple[bytes, bool]:
        page = following(services, session, caller.user_id, cursor, limit, caller.hidden)
        return page.model_dump_json().encode(), True

    return services.state(_FollowingPages).get(key, compute)


def user_notes(services: Services, session: Session, author: User, viewer_id: int | None, cursor: str | None, limit: int) -> FeedPage:
    """One author's notes, newest first. If either of the two blocked the other the page is empty
    (not a 404): the profile itself stays reachable and says so, only the notes are withheld. Mute
    does not apply here — opening a muted person's profile is a deliberate act."""
    before = keyset_before(cursor)
    if viewer_id is not None and viewer_id != author.id and is_blocked_either_way(session, viewer_id, author.id):
        return FeedPage(items=[])
    own = viewer_id == author.id  # the author's own list also shows their held notes, marked
    shown = Note.status.in_((PUBLISHED, HELD)) if own else Note.status == PUBLISHED
    query = select(Note.id).where(Note.author_id == author.id, shown)
    if before is not None:
        query = query.where(Note.id < before)
    ids = list(session.scalars(query.order_by(Note.id.desc()).limit(limit + 1)))
    return note_page(services, session, ids, ids, limit, viewer_id, own=own)


def tag_notes(services: Services, session: Session, tag: str, viewer_id: int | None, cursor: str | None, limit: int) -> FeedPage:
    """Notes carrying ``tag`` (already normalised, see ``text.markup.normalize_tag``), newest first;
    hidden authors filtered. Served by the (tag, note_id) index: a range scan in id order."""
    before = keyset_before(cursor)
    query = (select(NoteTag.note_id).join(Note, Note.id == NoteTag.note_id)
             .where(NoteTag.tag == tag, Note.status == PUBLISHED))
    if before is not None:
        query = query.where(NoteTag.note_id < before)
    query = query.where(visible_authors(session, viewer_id))
    ids = list(session.scalars(query.order_by(NoteTag.note_id.desc()).limit(limit + 1)))
    return note_page(services, session, ids, ids, limit, viewer_id)

def _collect_page(services: Services, session: Session, where: ColumnElement[bool], viewer_id: int | None, cursor: str | None,
                  limit: int) -> FeedPage:
    """Collected notes, most recently collected first (keyset on the collect's id)."""
    before = keyset_before(cursor)
    query = select(Collect.id, Collect.note_id).join(Note, Note.id == Collect.note_id).where(where, Note.status == PUBLISHED)
    if before is not None:
        query = query.where(Collect.id < before)
    query = query.where(visible_authors(session, viewer_id))
    rows = session.execute(query.order_by(Collect.id.desc()).limit(limit + 1)).all()
    return note_page(services, session, [r[0] for r in rows], [r[1] for r in rows], limit, viewer_id)


def collection_notes(services: Services, session: Session, collection_id: int, viewer_id: int | None, cursor: str | None,
                     limit: int) -> FeedPage:
    collection = visible_collection(session, collection_id, viewer_id)
    return _collect_page(services, session, Collect.collection_id == collection.id, viewer_id, cursor, limit)


def collection_covers(session: Session, collection_ids: Sequence[int], viewer_id: int | None) -> dict[int, NoteCard]:
    """Collection id → the card of its most recently collected note the viewer may see (what a list
    of collections shows as each one's cover). Three queries for any number of collections."""
    if not collection_ids:
        return {}
    latest = (
        select(func.max(Collect.id))
        .join(Note, Note.id == Collect.note_id)
        .where(Collect.collection_id.in_(list(collection_ids)), Note.status == PUBLISHED,
               visible_authors(session, viewer_id))
        .group_by(Collect.collection_id)
    )
    rows = session.execute(select(Collect.collection_id, Collect.note_id).where(Collect.id.in_(latest))).all()
    cards = {card.id: card for card in cards_by_ids(session, [r.note_id for r in rows], viewer_id)}
    return {r.collection_id: cards[encode_id(r.note_id)] for r in rows if encode_id(r.note_id) in cards}


def my_collects(services: Services, session: Session, viewer_id: int, cursor: str | None, limit: int) -> FeedPage:
    """Everything the viewer collected, filed in a collection or not."""
    return _collect_page(services, session, Collect.user_id == viewer_id, viewer_id, cursor, limit)
