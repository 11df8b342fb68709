"""The explore feed: a shared candidate pool, re-ranked per viewer (the formula is in docs/feeds.md).

Hot path, per request: pages inside the pool are cached whole, as JSON bytes, per anonymous
language or per viewer (``page_key`` names everything a page depends on, so nothing has to find and
delete pages). Otherwise the pool and the viewer's ranked order come from in-process memos (a pool
is immutable once built, so a memo can never be stale); the viewer's affinity is one cache read;
their hidden authors come with the cached caller (``reads.callers``); then one query for live
like counts and the viewer's likes, with cards from the card memo (``reads.cards``).

* **Pool.** The top ``POOL_SIZE`` notes by the indexed ``Note.hot`` column (per topic through the
  (topic, hot) index), built at most once per ``POOL_WINDOW_S`` per topic and stored in
  ``services.cache`` under (topic, version = floor(now / window)) with everything re-ranking needs,
  including the viewer-independent part of the score (decayed engagement at build time). The
  first stored copy wins (``cache.add``), so every process serves the same pool for a version.
* **Affinity.** What personalises the ranking: interests (onboarding + topics of recent likes and
  collects), read languages, followed authors. Cached per viewer for ``AFFINITY_TTL_S`` and also
  kept under its digest as long as pools live, so a scroll keeps its order when it changes.
* **Order.** Deterministic for (pool, affinity): score sort, then the author-diversity pass.
  Blocked and muted authors are dropped afterwards, so blocking someone mid-scroll only removes
  their notes from the pages still to come: it does not shift the positions the cursor points at.
* **Pagination.** A cursor is (topic, pool version, offset in the order). When the pool is used
  up the feed continues with every other note, newest first (keyset on id, skipping pool ids).
  If the pool has expired, the feed continues newest first below the oldest id already shown.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import time
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redbridge.accounts.queries import Caller, following_ids
from redbridge.core.cache import Lru, PageCache
from redbridge.core.i18n import content_lang
from redbridge.core.pagination import decode_cursor, encode_cursor, invalid_cursor
from redbridge.core.services import Services
from redbridge.engagement.models import Collect, Like
from redbridge.feeds.queries import MAX_ID, cursor_id
from redbridge.feeds.schemas import FeedPage
from redbridge.notes.models import PUBLISHED, Note
from redbridge.notes.ranking import COLLECT_WEIGHT, decayed_engagement
from redbridge.reads.cards import cards, content_generation
from redbridge.reads.viewers import viewer_generation  # retired by engagement_changed
from redbridge.text.topics import TOPICS

POOL_SIZE = 1000
POOL_WINDOW_S = 60
# How long a pool outlives its window: a reader who pauses this long still continues the same order.
POOL_RETENTION_S = 30 * 60
POOL_TTL_S = POOL_WINDOW_S + POOL_RETENTION_S
BUILD_LOCK_S = 10.0
BUILD_WAIT_S = 2.0
AFFINITY_TTL_S = 60
PAGE_CACHE_S = 10.0  # pool pages, as JSON (5-10 s, spread)
FLIGHT_WAIT_S = 2.0  # how long a reader waits for another request computing the same page
RECENT_SIGNALS = 100  # likes and collects each, newest first, that shape learned interests

# Interest: the viewer's topics (picked at onboarding, or learned from likes and collects) get a
# fixed share of the slots. A multiplier alone cannot promise that: freshness spans a factor of 60
# across a day-old pool, so a ×5 boost still loses to fresh notes of other topics, and a cold-start
# user would not see the topics they just picked. The other slots keep the feed a discovery feed.
INTEREST_SLOTS = (7, 10)  # 7 of every 10 positions, when the viewer's topics have notes left
LEARNED_MATCH = 0.5  # learned topics with at least half the weight of the top one count as interests
# Personal multipliers on the decayed-engagement base (see docs/feeds.md for the reasoning).
INTEREST_BOOST = 4.0  # a topic of full interest scores ×5 (orders notes within the two slot kinds)
LEARNED_SHARE = 0.75  # the viewer's most-engaged topic counts as 0.75 of an onboarding pick
LANG_MATCH = 1.5  # note in a language the viewer reads, or mixed (a bridge note)
LANG_OTHER = 0.75  # mild: cross-language notes are the point of a bridge, they still show
FOLLOW_BOOST = 1.25
DIVERSITY_WINDOW = 10
DIVERSITY_MAX = 2  # per author within any DIVERSITY_WINDOW consecutive items

LANGS = ("en", "zh", "mixed", "other")
_LANG_CODE = {lang: i for i, lang in enumerate(LANGS)}
_TOPIC_CODE = {topic: i + 1 for i, topic in enumerate(TOPICS)}  # 0: no topic
_DIGEST_RE = re.compile(r"[0-9a-f]{16}")

@dataclass(frozen=True, slots=True)
class Pool:
    """One immutable candidate pool; parallel tuples, in the order the database returned them."""

    key: str
    built_at: float
    ids: tuple[int, ...]
    authors: tuple[int, ...]
    base: tuple[float, ...]  # decayed engagement at built_at: the viewer-independent score
    topics: tuple[int, ...]  # topic codes
    langs: tuple[int, ...]  # language codes
    id_set: frozenset[int]


@dataclass(frozen=True, slots=True)
class Affinity:
    digest: str
    interests: tuple[str, ...]
    langs: tuple[str, ...]
    topic_mult: tuple[float, ...]  # by topic code
    matched: frozenset[int]  # topic codes that fill the interest slots
    lang_mult: tuple[float, ...]  # by language code
    follows: frozenset[int]


class ExploreState:
    """Per-app memos. Pools and ranked orders are immutable for their keys, so they need no expiry;
    pages and cards expire (like counts move) and are recomputed by one request at a time."""

    def __init__(self) -> None:
        self.pools: Lru[str, Pool] = Lru(64)
        # Orders as arrays of 4-byte indices: ~4 KB a pool, where a tuple of ints is ~36 KB.
        self.ranked: Lru[tuple[str, str], array[int]] = Lru(1024)
        self.affinities: Lru[int, tuple[bytes, Affinity]] = Lru(4096)
        self.pages = PageCache(4096, PAGE_CACHE_S, FLIGHT_WAIT_S)  # pool pages, as JSON

    def cached_page(self, key: tuple[Any, ...], compute: Callable[[], tuple[bytes, bool]]) -> bytes:
        return self.pages.get(key, compute)

    def clear(self) -> None:
        self.pools.clear()
        self.ranked.clear()
        self.affinities.clear()
        self.pages.clear()


def state_of(services: Services) -> ExploreState:
    return services.state(ExploreState)


# ---------------------------------------------------------------------------------------------
# Pools


def pool_version(now: datetime) -> int:
    return int(now.timestamp() // POOL_WINDOW_S)


def pool_key(topic: str | None, version: int) -> str:
    return f"feeds:pool:{topic or '*'}:{version}"


_POOL_HEADER = struct.Struct("<BdI")  # format, built_at (epoch seconds), count
_POOL_FORMAT = 1


def _pool_body(n: int) -> struct.Struct:
    return struct.Struct(f"<{n}q{n}q{n}d{n}B{n}B")


def encode_pool(built_at: float, entries: Sequence[tuple[int, int, float, int, int]]) -> bytes:
    """Serialise (id, author id, base score, topic code, language code) entries: 26 bytes per note,
    so a 1,000-note pool is ~26 KB in the cache."""
    n = len(entries)
    columns = [list(column) for column in zip(*entries, strict=True)] if entries else [[]] * 5
    return _POOL_HEADER.pack(_POOL_FORMAT, built_at, n) + _pool_body(n).pack(*(v for c in columns for v in c))


def build_pool(session: Session, topic: str | None, now: datetime) -> bytes:
    """Select the candidates and precompute what does not depend on the viewer."""
    query = select(Note.id, Note.author_id, Note.topic, Note.lang, Note.like_count, Note.collect_count,
                   Note.comment_count, Note.created_at).where(Note.status == PUBLISHED)
    if topic is not None:
        query = query.where(Note.topic == topic)
    # No tie-break: ties at the cut-off may fall either way, and the stored copy is authoritative.
    rows = session.execute(query.order_by(Note.hot.desc()).limit(POOL_SIZE)).all()
    entries = [
        (note_id, author_id,
         decayed_engagement(likes, collects, comments, (now - created_at).total_seconds() / 3600.0),
         _TOPIC_CODE.get(note_topic or "", 0), _LANG_CODE.get(lang, _LANG_CODE["other"]))
        for note_id, author_id, note_topic, lang, likes, collects, comments, created_at in rows
    ]
    return encode_pool(now.timestamp(), entries)


def decode_pool(key: str, blob: bytes) -> Pool:
    fmt, built_at, n = _POOL_HEADER.unpack_from(blob)
    if fmt != _POOL_FORMAT:
        raise ValueError(f"unknown explore pool format {fmt}")
    body = _pool_body(n).unpack_from(blob, _POOL_HEADER.size)
    ids = cast(tuple[int, ...], body[:n])
    return Pool(
        key=key, built_at=built_at, ids=ids, authors=cast(tuple[int, ...], body[n:2 * n]),
        base=cast(tuple[float, ...], body[2 * n:3 * n]), topics=cast(tuple[int, ...], body[3 * n:4 * n]),
        langs=cast(tuple[int, ...], body[4 * n:5 * n]), id_set=frozenset(ids),
    )


def _build_shared(services: Services, session: Session, topic: str | None, key: str) -> bytes:
    """Build the pool once across processes: one builder holds a short lock, the others wait for
    its result; whoever stores first (``cache.add``) defines the pool everyone serves."""
    cache = services.cache
    lock = key + ":building"
    holding = cache.add(lock, b"1", BUILD_LOCK_S)
    if not holding:
        deadline = time.monotonic() + BUILD_WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.01)
            blob = cache.get(key)
            if blob is not None:
                return blob
        # The builder is slow or died: build as well; the first stored copy still wins below.
    try:
        blob = build_pool(session, topic, services.clock.now())
        if cache.add(key, blob, POOL_TTL_S):
            return blob
        return cache.get(key) or blob
    finally:
        if holding:
            cache.delete(lock)


def get_pool(services: Services, session: Session, topic: str | None, version: int, *, build: bool) -> Pool | None:
    """The pool of (topic, version); built only when ``build`` (first pages, current version).
    A cursor never rebuilds its pool: a rebuild could differ from what earlier pages showed."""
    state = state_of(services)
    key = pool_key(topic, version)
    pool = state.pools.get(key)
    if pool is not None:
        return pool
    blob = services.cache.get(key)
    if blob is None:
        if not build:
            return None
        blob = _build_shared(services, session, topic, key)
    pool = decode_pool(key, blob)
    state.pools.put(key, pool)
    return pool


# ---------------------------------------------------------------------------------------------
# Affinity


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def affinity_from_blob(blob: bytes) -> Affinity:
    """Multipliers from a stored affinity (``{"i": interests, "l": langs, "t": {topic: weight},
    "f": followed ids}``); the digest names exactly this content."""
    data = json.loads(blob)
    interests = tuple(data.get("i", ()))
    langs = tuple(data.get("l", ()))
    learned: dict[str, float] = data.get("t", {})
    top = max(learned.values(), default=0.0)
    topic_mult = [1.0] * (len(TOPICS) + 1)
    matched: set[int] = set()
    for topic, code in _TOPIC_CODE.items():
        relative = learned.get(topic, 0.0) / top if top > 0 else 0.0
        topic_mult[code] = 1.0 + INTEREST_BOOST * max(1.0 if topic in interests else 0.0, LEARNED_SHARE * relative)
        if topic in interests or relative >= LEARNED_MATCH:
            matched.add(code)
    if langs:
        lang_mult = tuple(LANG_MATCH if lang == "mixed" or lang in langs else LANG_OTHER for lang in LANGS)
    else:
        lang_mult = (1.0,) * len(LANGS)
    return Affinity(
        digest=hashlib.blake2b(blob, digest_size=8).hexdigest(), interests=interests, langs=langs,
        topic_mult=tuple(topic_mult), matched=frozenset(matched), lang_mult=lang_mult, follows=frozenset(data.get("f", ())),
    )


def locale_langs(locale: str) -> tuple[str, ...]:
    return (content_lang(locale),)


_ANONYMOUS: dict[tuple[str, ...], Affinity] = {langs: affinity_from_blob(_canonical({"l": list(langs)})) for langs in (("en",), ("zh",))}
_ANONYMOUS_BY_DIGEST = {a.digest: a for a in _ANONYMOUS.values()}


def recent_topics(session: Session, user_id: int) -> dict[str, float]:
    """Topics of the viewer's latest likes and collects (collects weigh more, as in hot rank)."""
    likes = (select(Like.note_id).where(Like.user_id == user_id).order_by(Like.created_at.desc())
             .limit(RECENT_SIGNALS).subquery())
    collects = (select(Collect.note_id).where(Collect.user_id == user_id).order_by(Collect.id.desc())
                .limit(RECENT_SIGNALS).subquery())
    weights: dict[str, float] = {}
    for sub, weight in ((likes, 1.0), (collects, COLLECT_WEIGHT)):
        rows = session.execute(
            select(Note.topic, func.count()).join(sub, sub.c.note_id == Note.id)
            .where(Note.topic.is_not(None)).group_by(Note.topic)
        )
        for topic, count in rows:
            weights[str(topic)] = weights.get(str(topic), 0.0) + weight * count
    return weights


def _snapshot_key(user_id: int, digest: str) -> str:
    return f"feeds:affsnap:{user_id}:{digest}"


def _decode_memo(services: Services, user_id: int, blob: bytes) -> Affinity:
    memo = state_of(services).affinities
    found = memo.get(user_id)
    if found is not None and found[0] == blob:
        return found[1]
    affinity = affinity_from_blob(blob)
    memo.put(user_id, (blob, affinity))
    return affinity


def viewer_affinity(services: Services, session: Session, viewer: Caller | None, locale: str) -> Affinity:
    """The viewer's current affinity. Interests and languages come with the caller (an edit
    retires it at once, so a change shows on the next first page); learned topics and follows are
    cached briefly."""
    if viewer is None:
        return _ANONYMOUS[locale_langs(locale)]
    user_id = viewer.user_id
    interests = tuple(sorted(t for t in set(viewer.interests) if t in _TOPIC_CODE))
    langs = tuple(sorted(set(viewer.read_langs))) or locale_langs(locale)
    key = f"feeds:aff:{user_id}"
    blob = services.cache.get(key)
    if blob is not None:
        affinity = _decode_memo(services, user_id, blob)
        if affinity.interests == interests and affinity.langs == langs:
            return affinity
    blob = _canonical({"i": list(interests), "l": list(langs), "t": recent_topics(session, user_id),
                       "f": sorted(following_ids(session, user_id))})
    affinity = _decode_memo(services, user_id, blob)
    services.cache.set(key, blob, AFFINITY_TTL_S)
    services.cache.set(_snapshot_key(user_id, affinity.digest), blob, POOL_TTL_S)
    return affinity


def anonymous_affinity(locale: str, digest: str | None) -> Affinity:
    """The cursor's anonymous affinity if it names one (the scroll keeps its order when the
    reader's language header changes), else the one for ``locale``."""
    found = _ANONYMOUS_BY_DIGEST.get(digest) if digest is not None else None
    return found or _ANONYMOUS[locale_langs(locale)]


def cursor_affinity(services: Services, session: Session, viewer: Caller | None, locale: str,
                    digest: str) -> Affinity:
    """The affinity a scroll started with (so its order holds), else the current one."""
    if viewer is None:
        return anonymous_affinity(locale, digest)
    current = viewer_affinity(services, session, viewer, locale)
    if current.digest == digest:
        return current
    blob = services.cache.get(_snapshot_key(viewer.user_id, digest))
    return affinity_from_blob(blob) if blob is not None else current


# ---------------------------------------------------------------------------------------------
# Ranking


def diversify(order: Sequence[int], authors: Sequence[int], window: int = DIVERSITY_WINDOW,
              max_per: int = DIVERSITY_MAX) -> tuple[int, ...]:
    """Reorder so no author has more than ``max_per`` items in any ``window`` consecutive ones:
    each position takes the best-ranked remaining item that fits. Best effort: when only one
    author's items are left they follow each other (the feed does not end early)."""
    out: list[int] = []
    recent: Counter[int] = Counter()  # authors of the last window-1 placed items
    pending: list[int] = []  # skipped for now, still in rank order
    upcoming = iter(order)
    exhausted = False
    while True:
        chosen: int | None = None
        for k, item in enumerate(pending):
            if recent[authors[item]] < max_per:
                chosen = pending.pop(k)
                break
        if chosen is None and not exhausted:
            for item in upcoming:
                if recent[authors[item]] < max_per:
                    chosen = item
                    break
                pending.append(item)
            else:
                exhausted = True
        if chosen is None:
            if not pending:
                break
            chosen = pending.pop(0)
        out.append(chosen)
        recent[authors[chosen]] += 1
        if len(out) >= window:
            recent[authors[out[-window]]] -= 1
    return tuple(out)


def blend(interesting: Sequence[int], other: Sequence[int], slots: tuple[int, int] = INTEREST_SLOTS) -> list[int]:
    """Merge two ranked lists so ``interesting`` takes ``slots[0]`` of every ``slots[1]`` positions
    (spread evenly, starting with the first); when one list runs out the other fills in."""
    share, every = slots
    out: list[int] = []
    a = b = 0
    while a < len(interesting) or b < len(other):
        n = len(out)
        # Integer ceilings: position n is an interest slot when ceil((n+1)·share/every) grows.
        wants_interest = -(-(n + 1) * share // every) > -(-n * share // every)
        if a < len(interesting) and (wants_interest or b >= len(other)):
            out.append(interesting[a])
            a += 1
        else:
            out.append(other[b])
            b += 1
    return out


def rank(pool: Pool, affinity: Affinity) -> tuple[int, ...]:
    """Pool indices in feed order: score = base × interest × language × follow, ties by newer id;
    then the viewer's topics are blended into their share of the slots, then the diversity pass.
    Pure and deterministic for (pool, affinity)."""
    topic_mult, lang_mult, follows = affinity.topic_mult, affinity.lang_mult, affinity.follows
    scores = [
        base * topic_mult[topic] * lang_mult[lang] * (FOLLOW_BOOST if author in follows else 1.0)
        for base, topic, lang, author in zip(pool.base, pool.topics, pool.langs, pool.authors, strict=True)
    ]
    ids = pool.ids
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], -ids[i]))
    if affinity.matched:
        topics, matched = pool.topics, affinity.matched
        order = blend([i for i in order if topics[i] in matched], [i for i in order if topics[i] not in matched])
    return diversify(order, pool.authors)


def ranked(services: Services, pool: Pool, affinity: Affinity) -> array[int]:
    memo = state_of(services).ranked
    key = (pool.key, affinity.digest)
    order = memo.get(key)
    if order is None:
        order = array("I", rank(pool, affinity))
        memo.put(key, order)
    return order


# ---------------------------------------------------------------------------------------------
# Pages


@dataclass(frozen=True, slots=True)
class Position:
    """Where a scroll is. ``version`` None: its pool expired, newest-first below ``before``.
    ``offset`` set: inside the ranked pool. Otherwise: past the pool, newest first below ``before``
    skipping pool notes. ``oldest``: the smallest note id shown so far (the expiry fallback's anchor)."""

    version: int | None
    offset: int | None
    before: int
    oldest: int | None
    digest: str


def parse_cursor(cursor: str | None, topic: str | None, current_version: int) -> Position | None:
    state = decode_cursor(cursor)
    if state is None:
        return None
    if state.get("t", "") != (topic or ""):
        raise invalid_cursor()  # a cursor continues the feed it came from, not another channel
    version = cursor_id(state, "v") if "v" in state else None
    if version is not None and version > current_version + 1:  # +1: clock skew between processes
        raise invalid_cursor()
    oldest = cursor_id(state, "m") if "m" in state else None
    digest = state.get("a", "")
    if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
        raise invalid_cursor()
    if "o" in state:
        offset = cursor_id(state, "o")
        if version is None or offset > POOL_SIZE:
            raise invalid_cursor()
        return Position(version, offset, MAX_ID, oldest, digest)
    return Position(version, None, cursor_id(state, "b"), oldest, digest)


def older_notes(session: Session, topic: str | None, before: int, exclude: frozenset[int], hidden: set[int],
                need: int) -> tuple[list[int], bool]:
    """Up to ``need`` note ids below ``before``, newest first, not in ``exclude``; and whether more
    exist. Batches grow because the newest notes are often the pool's (already shown)."""
    found: list[int] = []
    batch = need + 1 + min(len(exclude), 64)
    while True:
        query = select(Note.id).where(Note.id < before, Note.status == PUBLISHED)
        if topic is not None:
            query = query.where(Note.topic == topic)
        if hidden:
            query = query.where(Note.author_id.not_in(hidden))
        rows = list(session.scalars(query.order_by(Note.id.desc()).limit(batch)))
        for note_id in rows:
            if note_id in exclude:
                continue
            if len(found) == need:
                return found, True
            found.append(note_id)
        if len(rows) < batch:
            return found, False
        before = rows[-1]
        batch = min(batch * 4, 4096)


def _page(services: Services, session: Session, viewer: Caller | None, locale: str, topic: str | None,
          position: Position | None, current: int, limit: int) -> tuple[FeedPage, bool]:
    """One page, and whether it came from the pool alone (then it may be cached: see ``render``)."""
    viewer_id = viewer.user_id if viewer is not None else None
    pool: Pool | None
    affinity: Affinity | None
    if position is None:
        pool = get_pool(services, session, topic, current, build=True)
        affinity = viewer_affinity(services, session, viewer, locale)
        position = Position(current, 0, MAX_ID, None, affinity.digest)
    else:
        pool = None if position.version is None else get_pool(services, session, topic, position.version, build=False)
        if pool is None and position.version is not None:
            # Expired: never rebuild (it could differ from the pages already shown); continue
            # below the oldest note shown, which cannot repeat anything (some may be skipped).
            anchor = MAX_ID if position.oldest is None else position.oldest
            position = Position(None, None, anchor, position.oldest, position.digest)
        affinity = (cursor_affinity(services, session, viewer, locale, position.digest)
                    if position.offset is not None else None)
    hidden = set(viewer.hidden) if viewer is not None else set()
    shown: list[int] = []
    base_state: dict[str, Any] = {"t": topic or "", "a": position.digest}
    if position.version is not None:
        base_state["v"] = position.version
    next_state: dict[str, Any] | None = None
    before = position.before
    if pool is not None and position.offset is not None and affinity is not None:
        order = ranked(services, pool, affinity)
        at = position.offset
        while at < len(order) and len(shown) < limit:
            index = order[at]
            at += 1
            if pool.authors[index] not in hidden:
                shown.append(pool.ids[index])
        if at < len(order):
            next_state = {**base_state, "o": at}
        before = MAX_ID  # the pool is used up: continue with all other notes from the newest
    in_pool = next_state is not None
    if next_state is None:
        exclude = pool.id_set if pool is not None else frozenset()
        more_ids, more = older_notes(session, topic, before, exclude, hidden, limit - len(shown))
        shown.extend(more_ids)
        if more:
            next_state = {**base_state, "b": more_ids[-1] if more_ids else before}
    if next_state is not None:
        oldest = min(shown, default=position.oldest)
        if position.oldest is not None and oldest is not None:
            oldest = min(oldest, position.oldest)
        if oldest is not None:
            next_state["m"] = oldest
    items = cards(services, session, shown, viewer_id)
    return FeedPage(items=items, next_cursor=encode_cursor(next_state) if next_state is not None else None), in_pool


def page_key(services: Services, viewer: Caller | None, locale: str, topic: str | None, cursor: str | None,
             limit: int) -> tuple[Any, ...] | None:
    """The page cache's key for this request, or None if its page is never cached (it reaches
    past the pool). Reads only the cache and the in-process memos, never the database."""
    current = pool_version(services.clock.now())
    position = parse_cursor(cursor, topic, current)
    version = current if position is None else position.version
    offset = 0 if position is None else position.offset
    if version is None or offset is None:
        return None
    content = content_generation(services)
    if viewer is None:
        affinity = anonymous_affinity(locale, None if position is None else position.digest)
        return (pool_key(topic, version), affinity.digest, offset, limit, content)
    # A viewer's page also depends on their affinity (named by the cursor, or for a first page
    # the current one: interests and languages, which retire the caller and so its stamp, or the
    # request's language when the account reads none), their hidden authors (also the stamp) and
    # their likes (the viewer generation).
    return (pool_key(topic, version), position.digest if position is not None else locale_langs(locale), offset,
            limit, content, viewer.user_id, viewer.stamp,
            viewer_generation(services, viewer.user_id))


def peek(services: Services, viewer: Caller | None, locale: str, topic: str | None, cursor: str | None,
         limit: int) -> bytes | None:
    """The cached page for this request if there is a fresh one; never touches the database, so
    the route can answer a hit without leaving the event loop."""
    key = page_key(services, viewer, locale, topic, cursor, limit)
    return state_of(services).pages.peek(key) if key is not None else None


def render(services: Services, session: Session, viewer: Caller | None, locale: str, topic: str | None,
           cursor: str | None, limit: int) -> bytes:
    """One page of explore as ``FeedPage`` JSON, for ``viewer`` (None: anonymous, ranked for the
    language of ``locale``).

    Pages from inside a pool are cached as bytes for ``PAGE_CACHE_S`` (like counts on them may lag
    that long), per affinity for anonymous readers (identical for every reader of a language) and
    per viewer otherwise. The key (``page_key``) names everything a page depends on, so nothing
    has to find and delete pages: the content generation (an edited or deleted note leaves every
    page at once), the viewer's caller stamp (hidden authors, interests, languages) and the
    viewer's own generation (their likes, so ``liked_by_me`` is right on the next request). Pages
    that reach past the pool read the live table and are never cached: a cached one could hide a
    note created after it was made from a reader who started later.

    One request per page key computes it (single flight): the others wait for it, or while an
    expired copy is being refreshed, keep serving that copy. Without this, every concurrent reader
    recomputes the same page the moment it expires, and the feed's tail latency is that pile-up.
    """
    current = pool_version(services.clock.now())
    position = parse_cursor(cursor, topic, current)

    def compute() -> tuple[bytes, bool]:
        result, in_pool = _page(services, session, viewer, locale, topic, position, current, limit)
        return result.model_dump_json().encode(), in_pool

    key = page_key(services, viewer, locale, topic, cursor, limit)
    if key is not None:
        return state_of(services).cached_page(key, compute)
    return compute()[0]
