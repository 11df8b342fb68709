"""Note cards for the feeds, through a short in-process memo of what rarely changes.

A card's title, author brief and cover change only when the note is edited or deleted (or the
author renames themselves: up to ``CARD_TTL_S`` late), so they are memoised per note, keyed by
the content generation that every edit and delete retires. What changes all the time — the like
count, the viewer's ``liked_by_me``, whether the note still exists — is read live, in one query
for the whole page. That turns a page's four ORM queries into one Core query for a logged-in
reader, and none for cached anonymous explore pages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from redbridge.accounts.queries import briefs
from redbridge.core import changes, ids
from redbridge.core.cache import Lru, generation, retire_generation
from redbridge.core.services import Services
from redbridge.engagement.models import Like
from redbridge.media.models import Media
from redbridge.notes.models import HELD, PUBLISHED, Note
from redbridge.notes.queries import cover_of
from redbridge.notes.schemas import NoteCard

CARD_TTL_S = 10.0
_GENERATION_KEY = "feeds:content-gen"


class _Memo(Lru[tuple[bytes, int], tuple[float, NoteCard]]):
    """The card memo of one app (``services.state``): (content generation, note) → (expires, card)."""

    def __init__(self) -> None:
        super().__init__(8192)


def _memo(services: Services) -> _Memo:
    return services.state(_Memo)


# ------------------------------------------------------------------------------ building cards
# One query for notes, one for authors, one for covers, one for the viewer's likes — whatever
# the page size.


def cards_for(session: Session, notes: Sequence[Note], viewer_id: int | None) -> list[NoteCard]:
    """Cards in the order given. Notes whose author vanished are dropped."""
    if not notes:
        return []
    authors = briefs(session, {n.author_id for n in notes})
    cover_ids = [n.cover_media_id for n in notes if n.cover_media_id is not None]
    covers = {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(cover_ids)))} if cover_ids else {}
    liked: set[int] = set()
    if viewer_id is not None:
        liked = set(session.scalars(
            select(Like.note_id).where(Like.user_id == viewer_id, Like.note_id.in_([n.id for n in notes]))
        ))
    result = []
    for note in notes:
        author = authors.get(note.author_id)
        if author is None:
            continue
        media = covers.get(note.cover_media_id) if note.cover_media_id is not None else None
        result.append(NoteCard(
            id=ids.encode(note.id), kind=note.kind, title=note.title, lang=note.lang, topic=note.topic,
            author=author, cover=cover_of(media) if media is not None else None, like_count=note.like_count,
            liked_by_me=note.id in liked, created_at=note.created_at, status=note.status, label=note.label,
        ))
    return result


def cards_by_ids(session: Session, note_ids: Sequence[int], viewer_id: int | None, *, own: bool = False) -> list[NoteCard]:
    """Cards for ids in the given order. Ids of deleted notes are skipped, and so are notes that
    are not published (held, removed): a feed may hold ids from before a hold. ``own``: the list
    is the viewer's own notes, where their held notes show (marked) too."""
    if not note_ids:
        return []
    shown = Note.status == PUBLISHED
    if own and viewer_id is not None:
        shown = or_(shown, and_(Note.author_id == viewer_id, Note.status == HELD))
    found = {n.id: n for n in session.scalars(select(Note).where(Note.id.in_(list(note_ids)), shown))}
    return cards_for(session, [found[i] for i in note_ids if i in found], viewer_id)


# ------------------------------------------------------------------------------ the card memo


# Built once, on the tables rather than the ORM classes: on the hot path, constructing and
# ORM-compiling the statement would cost more than running it.
_notes, _likes = Note.__table__, Like.__table__
# Whether the viewer (bind parameter ``viewer``) likes the note of the row: a column for any
# statement on ``notes`` that reads a page's live counts.
LIKED_BY_VIEWER = (
    select(_likes.c.user_id).where(_likes.c.note_id == _notes.c.id, _likes.c.user_id == bindparam("viewer"))
    .exists().label("liked")
)
_LIVE_COUNTS = (
    select(_notes.c.id, _notes.c.like_count, LIKED_BY_VIEWER)
    .where(_notes.c.id.in_(bindparam("ids", expanding=True)), _notes.c.status == PUBLISHED)
)


def cards(services: Services, session: Session, note_ids: list[int], viewer_id: int | None,
          live: dict[int, tuple[int, bool]] | None = None, *, own: bool = False) -> list[NoteCard]:
    """Cards through a short in-process cache of what rarely changes (title, author, cover; an
    edit or delete retires them through the content generation). For a logged-in viewer one query
    then reads what changes all the time — the like count, ``liked_by_me`` — and drops notes
    deleted meanwhile; ``live`` (note id → like count, liked by the viewer) is that read when the
    caller's own query already made it. Anonymous cards may show like counts up to ``CARD_TTL_S``
    old. ``own``: see :func:`cards_by_ids`; held cards are never memoised (the memo is shared by
    every reader), so only published notes are ever answered from it."""
    memo = _memo(services)
    generation = content_generation(services)
    now = time.monotonic()
    found: dict[int, NoteCard] = {}
    missing: list[int] = []
    for note_id in note_ids:
        hit = memo.get((generation, note_id))
        if hit is not None and hit[0] > now:
            found[note_id] = hit[1]
        else:
            missing.append(note_id)
    fresh = set(missing)
    for card in cards_by_ids(session, missing, viewer_id, own=own):
        note_id = int(card.id)
        found[note_id] = card
        if card.status != PUBLISHED:
            continue
        # Spread expiries over half a TTL (by id: deterministic) so a page's cards do not all
        # expire, and get rebuilt by every concurrent reader, at the same moment.
        expires = now + CARD_TTL_S * (0.5 + (note_id % 997) / 1994)
        memo.put((generation, note_id), (expires, card.model_copy(update={"liked_by_me": False})))
    if viewer_id is not None and len(fresh) < len(found):
        if live is None:
            rows = session.execute(_LIVE_COUNTS, {"viewer": viewer_id, "ids": [i for i in found if i not in fresh]})
            live = {note_id: (like_count, bool(liked)) for note_id, like_count, liked in rows}
        for note_id, (like_count, liked) in live.items():
            if note_id in found and note_id not in fresh:
                found[note_id] = found[note_id].model_copy(update={"like_count": like_count, "liked_by_me": liked})
        current = live.keys() | fresh
        found = {i: card for i, card in found.items() if i in current}
    return [found[i] for i in note_ids if i in found]


def content_generation(services: Services) -> bytes:
    """The token naming the current content of every note (``core.cache.generation``)."""
    return generation(services.cache, _GENERATION_KEY)


@changes.NOTE_CHANGED.subscribe
def _content_changed(services: Services, payload: dict[str, Any]) -> None:
    """An edited note must not linger on cached cards and explore pages: retire them all (edits
    are rare next to reads, so one global token is cheaper than tracking pages per note). Counter
    changes (content false) are read live or within ``CARD_TTL_S``."""
    if payload["content"]:
        retire_generation(services.cache, _GENERATION_KEY)


@changes.NOTE_VISIBILITY_CHANGED.subscribe
def _visibility_changed(services: Services, payload: dict[str, Any]) -> None:
    """A note that disappeared (deleted; held or removed) leaves every cached page at once. A new
    note needs nothing: pages never show notes newer than their pool."""
    if not payload["visible"]:
        retire_generation(services.cache, _GENERATION_KEY)
