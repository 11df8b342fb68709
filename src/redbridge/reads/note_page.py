"""The note page (``GET /api/v1/notes/{id}``) through an in-process cache, so that a hit is answered
on the event loop without a query.

What the page shows splits in two:

* **The note** — title, body, tags, media, counters — is the same for every reader. It is
  memoised as ``NoteOut`` JSON serialised without the author brief and the viewer's two flags
  (``split``; ``compose`` puts them in front), so nothing depends on ``NoteOut``'s field order,
  per (note, generation) for ``NOTE_CACHE_S``; the author brief per author for ``AUTHOR_CACHE_S``.
* **The viewer's part** — ``liked_by_me`` and ``collected_by_me`` — is memoised per (viewer, note,
  generation); whether the author and the viewer blocked one another comes from the cached caller's
  hidden authors (``reads.callers``, retired synchronously by block and unblock on both sides).
  A note by a hidden author (blocked or merely muted) always takes the database path, which tells
  the two apart.

**Generation.** A random token per note in ``services.cache`` (``core.cache.generation``; Redis
in cluster mode: shared by every process), retired on every write that changes what the page
shows — the ``note_changed`` and ``note_visibility_changed`` announcements (``core.changes``):
edit, delete, and every counter change, own like or collect included — before the write answers.
The request reads the token *before* its first query: a page computed from a row older than a
write is then stored under the token that write retired.

Not cached: errors (404), notes that are not published (held, removed: only their author and
moderators may read them), and notes with a video still being processed (its status changes in a
job, not through a write of the note). The author's name and avatar may show up to
``AUTHOR_CACHE_S`` late, as on feed cards.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.accounts.queries import Caller, brief
from redbridge.core import changes
from redbridge.core.cache import Lru, retire_generation
from redbridge.core.cache import generation as cache_generation
from redbridge.core.errors import not_found
from redbridge.core.services import Services
from redbridge.notes import queries
from redbridge.reads import notes as read_notes
from redbridge.reads import viewers

# The note's part is exact under its generation (every write it shows retires the token): the TTL
# only bounds how long a note nobody reads occupies the memo, so popular notes stay warm.
log = logging.getLogger(__name__)

NOTE_CACHE_S = 300.0
# The author brief is keyed by the account generation (``reads.viewers``, retired by
# ``account_changed``: a profile edit or a new avatar shows at once). What announces nothing — an
# account deactivated or renamed straight in the database — lags by this TTL while the note is
# read, as on feed cards (``reads.cards.CARD_TTL_S``).
AUTHOR_CACHE_S = 10.0
# Past its expiry a brief is still served this long while the background reload runs
# (stale-while-revalidate), so a popular note's readers never miss together when it expires; only
# the reads during that reload see the old brief — after an idle spell, at most
# AUTHOR_CACHE_S + AUTHOR_STALE_S old (also the bound if the reload fails).
AUTHOR_STALE_S = 50.0
# The viewer's flags change only through their own likes and collects, which retire the
# generation: the TTL only bounds how long an idle entry occupies the memo.
FLAGS_CACHE_S = 300.0
_PERSONAL = frozenset({"author", "liked_by_me", "collected_by_me"})
_FLAGS = {
    (liked, collected): f',"liked_by_me":{str(liked).lower()},"collected_by_me":{str(collected).lower()},'.encode()
    for liked in (False, True) for collected in (False, True)
}


def split(out: BaseModel) -> bytes:
    """``out`` (a ``NoteOut``) as JSON without the author and the viewer's flags, and without its
    opening brace: what every reader shares. It always has other fields (the id), so the rest
    of the object follows a comma."""
    blob = out.model_dump_json(exclude=set(_PERSONAL)).encode()
    return blob[1:]


def compose(shared: bytes, author: bytes, liked: bool, collected: bool) -> bytes:
    """The page JSON from :func:`split`'s part, the author's ``UserBrief`` JSON and the flags: the
    personal fields first (JSON objects are unordered; clients read them by name)."""
    return b"".join((b'{"author":', author, _FLAGS[liked, collected], shared))


@dataclass(frozen=True, slots=True)
class _Body:
    """A note's page without its author and the viewer's flags (see :func:`split`)."""

    expires: float
    author_id: int
    shared: bytes

    def page(self, author: bytes, liked: bool, collected: bool) -> bytes:
        return compose(self.shared, author, liked, collected)


class _State:
    """The note page memos of one app (``services.state``)."""

    def __init__(self) -> None:
        self.bodies: Lru[tuple[int, bytes], _Body] = Lru(4096)
        # (author id, account generation) → (expires, UserBrief JSON)
        self.authors: Lru[tuple[int, bytes], tuple[float, bytes]] = Lru(4096)
        self.flags: Lru[tuple[int, int, bytes], tuple[float, bool, bool]] = Lru(65536)
        self.reloading: set[int] = set()  # author ids whose brief is queued for or being reloaded
        self.pending: list[int] = []  # queued, in order; one background job drains them in batches
        self.draining = False  # whether that job runs
        self.lock = threading.Lock()


def _state(services: Services) -> _State:
    return services.state(_State)


def _key(note_id: int) -> str:
    return f"notes:page-gen:{note_id}"


def generation(services: Services, note_id: int) -> bytes:
    """The note's current generation token (see the module docstring); read it before any query."""
    return cache_generation(services.cache, _key(note_id))


@changes.NOTE_CHANGED.subscribe
@changes.NOTE_VISIBILITY_CHANGED.subscribe
def _retire(services: Services, payload: dict[str, Any]) -> None:
    retire_generation(services.cache, _key(int(payload["note_id"])))


def peek(services: Services, caller: Caller | None, note_id: int) -> bytes | None:
    """The note page for ``caller`` (None: anonymous) from the cache alone, or None. Never touches
    the database, so the route can answer a hit on the event loop."""
    token = generation(services, note_id)
    state, now = _state(services), time.monotonic()
    body = state.bodies.get((note_id, token))
    if body is None or body.expires <= now:
        return None
    author = state.authors.get((body.author_id, viewers.account_generation(services, body.author_id)))
    if author is None or (author[0] <= now and not _reload_author(services, body.author_id, author[0], now)):
        return None
    if caller is None:
        return body.page(author[1], False, False)
    if body.author_id in caller.hidden:
        return None
    engaged = viewers.peek_engagement(services, caller.user_id, viewers.viewer_generation(services, caller.user_id))
    if engaged is not None:
        return body.page(author[1], note_id in engaged.liked, note_id in engaged.collected)
    flags = state.flags.get((caller.user_id, note_id, token))
    if flags is None or flags[0] <= now:
        return None
    return body.page(author[1], flags[1], flags[2])


def render(services: Services, session: Session, viewer: Caller | None, note_id: int, token: bytes) -> bytes:
    """The note page as ``NoteOut`` JSON for ``viewer`` (None: anonymous), or a 404 as
    ``queries.get_visible`` decides; ``token`` is the note's generation, read before ``session``'s
    first query. With the note cached, what is missing — the author, the reader's flags — is read
    alone: the flags from the reader's engagement (``reads.viewers``, loaded once per viewer
    generation), the block check from the caller's hidden authors; a reader with more engagement
    than it holds, or reading a hidden author's note, gets one statement (flags and block check)."""
    state, now = _state(services), time.monotonic()
    viewer_id = viewer.user_id if viewer is not None else None
    body = state.bodies.get((note_id, token))
    if body is not None and body.expires > now:
        author = _author(services, session, body.author_id, now)
        if viewer is None:
            return body.page(author, False, False)
        if body.author_id not in viewer.hidden:
            engaged = viewers.engagement(services, session, viewer.user_id,
                                         viewers.viewer_generation(services, viewer.user_id))
            if engaged is not None:
                return body.page(author, note_id in engaged.liked, note_id in engaged.collected)
        liked, collected, blocked = read_notes.viewer_state(session, note_id, viewer.user_id, body.author_id)
        if blocked and viewer.user_id != body.author_id:
            raise not_found("note")
        state.flags.put((viewer.user_id, note_id, token), (now + FLAGS_CACHE_S, liked, collected))
        return body.page(author, liked, collected)
    note, user = queries.get_visible(session, note_id, viewer_id)
    out = read_notes.note_out(session, note, viewer_id, services.settings.base_url, author=user)
    author = out.author.model_dump_json().encode()
    body = _Body(now + NOTE_CACHE_S * (0.5 + (note_id % 997) / 1994), user.id, split(out))
    # Only published notes are memoised: the memo answers every reader, and a held note answers
    # its author and moderators only (``get_visible``), through this path every time.
    if out.status == "published" and all(m.status != "pending" for m in out.media):
        # The expiry is spread (by id: deterministic) so popular notes do not all expire at once.
        state.bodies.put((note_id, token), body)
        # The account's token is read after the author row here (the note names the author): a
        # rename racing this read shows late by AUTHOR_CACHE_S at most.
        state.authors.put((user.id, viewers.account_generation(services, user.id)), (now + AUTHOR_CACHE_S, author))
        if viewer_id is not None:
            state.flags.put((viewer_id, note_id, token), (now + FLAGS_CACHE_S, out.liked_by_me, out.collected_by_me))
    return body.page(author, out.liked_by_me, out.collected_by_me)


def _reload_author(services: Services, author_id: int, expired: float, now: float) -> bool:
    """Whether an author brief that expired at ``expired`` may still be served: within
    ``AUTHOR_STALE_S``, and only on the event loop, where its reload is queued for the one
    background job that reloads expired briefs (or is already queued). Otherwise the request takes
    the miss path."""
    if expired + AUTHOR_STALE_S <= now:
        return False
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a worker thread (the shared cache is Redis): just miss
        return False
    state = _state(services)
    with state.lock:
        if author_id in state.reloading:
            return True
        state.reloading.add(author_id)
        state.pending.append(author_id)
        if state.draining:
            return True
        state.draining = True
    loop.run_in_executor(None, _reload_pending, services)
    return True


# Briefs loaded together (a popular page's authors at start-up) expire together: one job reloads
# every expired brief, this many per statement, instead of one thread-pool job and session each
# (measured: ~1 ms of CPU per author, 476 authors every AUTHOR_CACHE_S in bench/api.py).
RELOAD_BATCH = 200


def _reload_pending(services: Services) -> None:
    """Drain ``pending``: reload the queued briefs in batches until none is left."""
    state = _state(services)
    try:
        while True:
            with state.lock:
                batch = state.pending[:RELOAD_BATCH]
                del state.pending[:RELOAD_BATCH]
                if not batch:
                    state.draining = False
                    return
            try:
                _reload(services, batch)
            finally:
                with state.lock:
                    state.reloading.difference_update(batch)
    except BaseException:
        with state.lock:  # never leave the queue without a job (briefs would only expire)
            state.draining = False
        raise


def _reload(services: Services, author_ids: list[int]) -> None:
    state = _state(services)
    try:
        tokens = {author_id: viewers.account_generation(services, author_id) for author_id in author_ids}  # before the query
        with services.sessions() as session:
            users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(author_ids)))}
            briefs = {user.id: brief(user).model_dump_json().encode() for user in users.values() if user.is_active}
        expires = time.monotonic() + AUTHOR_CACHE_S
        for author_id, token in tokens.items():
            found = briefs.get(author_id)
            # Gone or deactivated: an entry past the grace, so the next read misses (and answers 404).
            state.authors.put((author_id, token), (expires, found) if found is not None else (0.0, b""))
    except Exception:  # the briefs then expire for good after AUTHOR_STALE_S: readers take the miss path
        log.exception("reloading the author briefs of %s failed", author_ids)


def _author(services: Services, session: Session, author_id: int, now: float) -> bytes:
    """The author's ``UserBrief`` JSON, from the memo or the database (404 once deactivated)."""
    state = _state(services)
    token = viewers.account_generation(services, author_id)  # before the query
    hit = state.authors.get((author_id, token))
    if hit is not None and hit[0] > now:
        return hit[1]
    user = session.get(User, author_id)
    if user is None or not user.is_active:
        raise not_found("note")
    author = brief(user).model_dump_json().encode()
    state.authors.put((author_id, token), (now + AUTHOR_CACHE_S, author))
    return author
