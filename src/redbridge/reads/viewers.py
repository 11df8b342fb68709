"""What the read side caches per viewer and per author, shared by the note page, explore and the
following feed (docs/caches.md): generation tokens and the in-process memos keyed by them.

* **Viewer generation** ``feeds:viewer-gen:{user}`` — names the viewer's own likes and collects
  (``liked_by_me`` / ``collected_by_me``); retired by ``engagement_changed``. Explore's and the
  following feed's per-viewer pages and the viewer's engagement (below) are stored under it.
* **Engagement** — the ids of every note the viewer likes and every note they collect, loaded
  once (two index range scans) and memoised in-process per (viewer, viewer generation), so a note
  page answers ``liked_by_me`` / ``collected_by_me`` for a note the reader never opened before
  from memory. Complete only up to ``ENGAGEMENT_LIMIT`` of each: a viewer with more gets None
  (the note page then reads the flags per note, as before).
* **Follows generation** ``reads:follows-gen:{user}`` — names whom the viewer follows; retired by
  ``follow_graph_changed`` (for every account of the payload). The followed ids are memoised per
  (viewer, follows generation), up to ``FOLLOWS_LIMIT`` (None beyond: not cached).
* **Author generation** ``reads:author-gen:{author}`` — names the set of the author's visible notes;
  retired by ``note_visibility_changed`` (published, deleted; moderation: held, removed, restored).
  A reader's following page is stored under the tokens of every author they follow (a pull check:
  a new note costs one retirement, whatever the author's follower count, instead of a write per
  follower).

Every token is random (``core.cache.generation``), never a counter, and is read *before* the
query whose result is stored under it: a result older than a write is then stored under the token
that write retired, and never found.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from redbridge.accounts.models import Follow
from redbridge.core import changes
from redbridge.core.cache import Lru, generation, retire_generation
from redbridge.core.services import Services
from redbridge.engagement.models import Collect, Like

# A viewer with more likes (or more collects) than this has their note-page flags read per note.
ENGAGEMENT_LIMIT = 5000
# A viewer following more accounts than this reads an uncached following feed: the page key reads
# one token per followed author.
FOLLOWS_LIMIT = 200
# The memos are keyed by generation tokens (exact); the TTL only bounds how long an idle entry lives.
MEMO_TTL_S = 600.0


# Each token's key, spelt once: read below, retired by the subscribers at the end.
def _viewer_key(user_id: int) -> str:
    return f"feeds:viewer-gen:{user_id}"


def _follows_key(user_id: int) -> str:
    return f"reads:follows-gen:{user_id}"


def _author_key(author_id: int) -> str:
    return f"reads:author-gen:{author_id}"


def _account_key(user_id: int) -> str:
    return f"reads:account-gen:{user_id}"


def viewer_generation(services: Services, user_id: int) -> bytes:
    """The token of the viewer's own likes and collects (read it before reading them)."""
    return generation(services.cache, _viewer_key(user_id))


def follows_generation(services: Services, user_id: int) -> bytes:
    """The token of whom the viewer follows."""
    return generation(services.cache, _follows_key(user_id))


def author_generations(services: Services, author_ids: Sequence[int]) -> bytes:
    """A digest of the tokens of every author in ``author_ids`` (each retired when one of the
    author's notes appears or disappears): it changes whenever any of them does."""
    cache = services.cache
    digest = hashlib.blake2b(digest_size=16)
    for author_id in author_ids:
        digest.update(generation(cache, _author_key(author_id)))
    return digest.digest()


def account_generation(services: Services, user_id: int) -> bytes:
    """The token of what an account shows others (display name, bio): retired by ``account_changed``."""
    return generation(services.cache, _account_key(user_id))


@changes.ACCOUNT_CHANGED.subscribe
def _account_changed(services: Services, payload: dict[str, Any]) -> None:
    for user_id in payload["user_ids"]:
        retire_generation(services.cache, _account_key(int(user_id)))


@changes.ENGAGEMENT_CHANGED.subscribe
def _engaged(services: Services, payload: dict[str, Any]) -> None:
    """The account's own liked_by_me / collected_by_me changed: retire what is cached under it
    (explore and following pages, its engagement memo) before the write answers."""
    retire_generation(services.cache, _viewer_key(int(payload["user_id"])))


@changes.FOLLOW_GRAPH_CHANGED.subscribe
def _follows_changed(services: Services, payload: dict[str, Any]) -> None:
    for user_id in payload["user_ids"]:
        retire_generation(services.cache, _follows_key(int(user_id)))


@changes.NOTE_VISIBILITY_CHANGED.subscribe
def _author_published(services: Services, payload: dict[str, Any]) -> None:
    retire_generation(services.cache, _author_key(int(payload["author_id"])))


@dataclass(frozen=True, slots=True)
class Engagement:
    """Every note the viewer likes and every note they collect."""

    liked: frozenset[int]
    collected: frozenset[int]


class _State:
    """The per-viewer memos of one app (``services.state``): value None means over the limit."""

    def __init__(self) -> None:
        self.engagement: Lru[tuple[int, bytes], tuple[float, Engagement | None]] = Lru(4096)
        self.follows: Lru[tuple[int, bytes], tuple[float, tuple[int, ...] | None]] = Lru(4096)


def _state(services: Services) -> _State:
    return services.state(_State)


_likes_t, _collects_t, _follows_t = Like.__table__, Collect.__table__, Follow.__table__
# One statement, two index ranges (the likes' primary key, the collects' (user, note) key): each
# row is (note id, 0 for a like / 1 for a collect), at most ENGAGEMENT_LIMIT + 1 of each kind.
_liked = (select(_likes_t.c.note_id.label("note_id"), literal(0).label("kind"))
          .where(_likes_t.c.user_id == bindparam("viewer")).limit(ENGAGEMENT_LIMIT + 1).subquery())
_collected = (select(_collects_t.c.note_id.label("note_id"), literal(1).label("kind"))
              .where(_collects_t.c.user_id == bindparam("viewer")).limit(ENGAGEMENT_LIMIT + 1).subquery())
_ENGAGEMENT = union_all(select(_liked.c.note_id, _liked.c.kind), select(_collected.c.note_id, _collected.c.kind))
_FOLLOWED = (select(_follows_t.c.followee_id).where(_follows_t.c.follower_id == bindparam("viewer"))
             .order_by(_follows_t.c.followee_id).limit(FOLLOWS_LIMIT + 1))


def peek_engagement(services: Services, user_id: int, token: bytes) -> Engagement | None:
    """The memoised engagement under ``token`` (``viewer_generation``), never the database; None:
    not memoised, or the viewer has more than ``ENGAGEMENT_LIMIT``."""
    hit = _state(services).engagement.get((user_id, token))
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def engagement(services: Services, session: Session, user_id: int, token: bytes) -> Engagement | None:
    """The viewer's engagement under ``token`` (read before this call), loaded when not memoised;
    None when the viewer has more than ``ENGAGEMENT_LIMIT`` likes or collects."""
    memo, now = _state(services).engagement, time.monotonic()
    hit = memo.get((user_id, token))
    if hit is not None and hit[0] > now:
        return hit[1]
    liked: list[int] = []
    collected: list[int] = []
    for note_id, kind in session.connection().execute(_ENGAGEMENT, {"viewer": user_id}):
        (collected if kind else liked).append(note_id)
    found = (Engagement(frozenset(liked), frozenset(collected))
             if len(liked) <= ENGAGEMENT_LIMIT and len(collected) <= ENGAGEMENT_LIMIT else None)
    memo.put((user_id, token), (now + MEMO_TTL_S, found))
    return found


def peek_follows(services: Services, user_id: int, token: bytes) -> tuple[bool, tuple[int, ...] | None]:
    """(known, followed ids) under ``token`` (``follows_generation``) from the memo alone; the ids
    are None when the viewer follows more than ``FOLLOWS_LIMIT`` accounts."""
    hit = _state(services).follows.get((user_id, token))
    if hit is None or hit[0] <= time.monotonic():
        return False, None
    return True, hit[1]


def follows(services: Services, session: Session, user_id: int, token: bytes) -> tuple[int, ...] | None:
    """The ids the viewer follows (ascending) under ``token`` (read before this call), loaded when
    not memoised; None when they follow more than ``FOLLOWS_LIMIT``."""
    known, ids = peek_follows(services, user_id, token)
    if known:
        return ids
    rows = tuple(session.connection().execute(_FOLLOWED, {"viewer": user_id}).scalars().all())
    found = rows if len(rows) <= FOLLOWS_LIMIT else None
    _state(services).follows.put((user_id, token), (time.monotonic() + MEMO_TTL_S, found))
    return found
