"""The notes search read: the index ranks, the database decides what the reader may see.

The page is built from the index's note ids by the same card read as every feed
(``reads.cards.cards``), after one SQL filter that keeps only notes the reader may read now —
published, by an active account, not blocked either way or muted (``hidden_author_ids``). The
index is updated asynchronously (``search.tasks``), so it may still hold a note a moderator
removed a moment ago; this filter is what makes that harmless. Hidden authors are excluded in the
index too, so a reader who blocked a prolific author still gets full pages.

Pagination is by offset into the ranking, carried in the opaque cursor: a search ranking has no
keyset. The index is asked for more than a page (``_SLACK``) so notes the filter drops rarely
leave a page short, and the cursor points after the last hit consumed. Paging stops at
``MAX_OFFSET``: nobody reads result 1,000, and deep offsets cost the engine linearly.
"""

from __future__ import annotations

import hashlib
import math
import threading
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from redbridge.accounts.models import User
from redbridge.accounts.queries import brief, following_ids, hidden_author_ids
from redbridge.core import ids
from redbridge.core.cache import Lru, read_through
from redbridge.core.errors import AppError
from redbridge.core.i18n import _, content_lang, get_locale
from redbridge.core.pagination import cursor_int, decode_cursor, encode_cursor, invalid_cursor
from redbridge.core.services import Services
from redbridge.moderation import screening
from redbridge.moderation.text import TextChecker
from redbridge.notes import views as note_views
from redbridge.notes.models import PUBLISHED, Note, NoteTag
from redbridge.notes.queries import recently_viewed
from redbridge.reads.cards import cards
from redbridge.search.analysis import query_terms
from redbridge.search.backend import Kind, Lang, Near, NoteQuery, Sort, phrase_of
from redbridge.search.expand import translate_query
from redbridge.search.fusion import reciprocal_rank_fusion
from redbridge.search.models import QuerySearcher, SearchHistoryEntry, SearchTerm
from redbridge.search.schemas import (
    HistoryEntry,
    HistoryList,
    Scope,
    SearchPage,
    Suggestion,
    SuggestionList,
    TagPage,
    TagResult,
    Time,
    TrendingList,
    TrendingQuery,
    UserPage,
    UserResult,
)
from redbridge.search.suggest_keys import key_of, like_prefix, pinyin_input, prefix_range
from redbridge.search.wiring import Dense, backend, dense
from redbridge.text.lang import opencc_converter
from redbridge.text.markup import normalize_tag

MAX_OFFSET = 1000
_SLACK = 10
# How deep each ranking goes into the fusion (relevance with dense retrieval): its pages end there.
FUSED_DEPTH = 200
# Language-centred cosine under which a dense hit is no match: related notes score ~0.3-0.6, an
# unrelated one ~0.0-0.15 (tests/search/test_dense.py).
DENSE_MIN_SCORE = 0.2
T = TypeVar("T", bound=Hashable)
TIME_WINDOWS: dict[str, int] = {"day": 86_400, "week": 7 * 86_400, "halfyear": 182 * 86_400}
# The place filter's radius: "same city" by default; a street is ~1 km, a region a few hundred.
CITY_KM = 25.0
MIN_KM, MAX_KM = 0.1, 500.0


@dataclass(frozen=True)
class Filters:
    """What a reader narrows a notes search by (the API's query parameters, the page's selects)."""

    sort: Sort = "relevance"
    kind: Kind | None = None
    lang: Lang | None = None
    time: Time | None = None
    scope: Scope = "all"
    near: Near | None = None


def _too_long(limit: int) -> AppError:
    return AppError("search.query_too_long", _("A search can be at most %(max)s characters."), 422,
                    fields={"q": "too_long"}, max=limit)


def check_query(services: Services, q: str | None) -> str:
    """The query text, or a 422 the caller can show: nothing to search for, or far too long."""
    text = (q or "").strip()
    if not text:
        raise AppError("search.empty_query", _("Type something to search for."), 422, fields={"q": "required"})
    limit = services.settings.search.max_query_chars
    if len(text) > limit:
        raise _too_long(limit)
    return text


def _hybrid(services: Services, vectors: Dense, q: str, keyword: NoteQuery) -> list[int]:
    """The keyword ranking and the dense one fused by reciprocal rank (``search.fusion``), down to
    ``FUSED_DEPTH`` each. Dense hits below ``DENSE_MIN_SCORE`` are left out: the nearest vectors
    of a query about nothing in the community are still *some* notes, which a search must not
    offer as matches. The filters the index applied to the keyword side, the caller's database
    filter applies to the dense side (``_visible``)."""
    words = backend(services).search(keyword).note_ids
    near = [(hit.note_id, hit.score) for hit in vectors.index.search(vectors.embedder.query(q), FUSED_DEPTH)]
    return fuse(words, near)


def fuse(words: Sequence[T], near: Sequence[tuple[T, float]]) -> list[T]:
    """The keyword ranking and the dense one (ids with their centred cosines, best first) as one
    ranking, the dense hits under ``DENSE_MIN_SCORE`` left out (the relevance evaluation ranks
    the set's notes through this too: tests/search/evaluate.py)."""
    return reciprocal_rank_fusion([list(words), [doc for doc, score in near if score >= DENSE_MIN_SCORE]])


def _visible(session: Session, note_ids: list[int], query: NoteQuery) -> set[int]:
    """Which of the ranking's ``note_ids`` the reader may see now and that pass the query's
    filters: the index applied those to the keyword side, nothing did to the dense side."""
    if not note_ids:
        return set()
    statement = (select(Note.id, Note.place_lat, Note.place_lng).join(User, User.id == Note.author_id)
                 .where(Note.id.in_(note_ids), Note.status == PUBLISHED, User.is_active.is_(True)))
    if query.kind is not None:
        statement = statement.where(Note.kind == query.kind)
    if query.lang is not None:  # as the index's filter: a mixed note is in both languages
        statement = statement.where(Note.lang.in_([query.lang, "mixed"]))
    if query.exclude_authors:
        statement = statement.where(Note.author_id.not_in(query.exclude_authors))
    if query.since is not None:
        statement = statement.where(Note.created_at >= datetime.fromtimestamp(query.since, UTC))
    if query.authors is not None:
        statement = statement.where(Note.author_id.in_(query.authors))
    if query.exclude_notes:
        statement = statement.where(Note.id.not_in(query.exclude_notes))
    rows = session.execute(statement).all()
    near = query.near
    if near is None:
        return {row.id for row in rows}
    return {row.id for row in rows
            if row.place_lat is not None and row.place_lng is not None and near.contains(row.place_lat, row.place_lng)}


def search_notes(services: Services, session: Session, viewer_id: int | None, q: str,
                 filters: Filters = Filters(), *, cursor: str | None = None, limit: int = 20) -> SearchPage:
    """One page of notes matching ``q`` (already checked: :func:`check_query`) that the viewer may
    see, filtered and in the order asked."""
    state = decode_cursor(cursor)
    offset = cursor_int(state, "o") or 0
    if offset > MAX_OFFSET:
        raise invalid_cursor()
    typed = terms = tuple(query_terms(q))
    if not terms:  # only punctuation, emoji, spaces: nothing can match
        return SearchPage(items=[])
    if services.settings.search.expand_queries:
        # The query's words in the other language join it (``search.expand``): measured on the
        # relevance set, keyword Recall@10 0.39 → 0.61 (docs/benchmarks.md, "Search: relevance").
        terms = tuple(dict.fromkeys([*terms, *query_terms(" ".join(translate_query(q)))]))
    query = replace(note_query(services, session, viewer_id, terms, filters), correctable=typed,
                    phrase=phrase_of(typed))
    want = min(limit, MAX_OFFSET - offset)
    vectors = dense(services) if filters.sort == "relevance" else None
    if vectors is not None and len(vectors.index):
        ranked = _hybrid(services, vectors, q, replace(query, limit=FUSED_DEPTH))
        hit_ids, total = ranked[offset:offset + want + _SLACK], len(ranked)
    else:
        hits = backend(services).search(replace(query, offset=offset, limit=want + _SLACK))
        hit_ids, total = hits.note_ids, hits.total
    visible = _visible(session, hit_ids, query)
    page: list[int] = []
    consumed = 0
    for note_id in hit_ids:
        if len(page) == want:
            break
        consumed += 1
        if note_id in visible:
            page.append(note_id)
    next_offset = offset + consumed
    more = next_offset < min(total, MAX_OFFSET) and len(page) == want
    items = cards(services, session, page, viewer_id)
    return SearchPage(items=items, next_cursor=encode_cursor({"o": next_offset}) if more else None)


def note_query(services: Services, session: Session, viewer_id: int | None, terms: tuple[str, ...],
               filters: Filters) -> NoteQuery:
    """The index's query for these terms and filters, as this viewer sees: their hidden authors
    left out, "following" made their followees, "unseen" the notes they opened (stored, and this
    process's not yet written: ``notes.views``) left out, the time window counted back from now."""
    since = None
    if filters.time is not None:
        since = int(services.clock.now().timestamp()) - TIME_WINDOWS[filters.time]
    authors = None
    seen: frozenset[int] = frozenset()
    if filters.scope == "following":
        if viewer_id is None:
            raise AppError("search.scope_needs_login", _("Log in to search the people you follow."), 401,
                           fields={"scope": "needs_login"})
        authors = frozenset(following_ids(session, viewer_id))
    elif filters.scope == "unseen":
        if viewer_id is None:
            raise AppError("search.scope_needs_login", _("Log in to leave out the notes you have seen."), 401,
                           fields={"scope": "needs_login"})
        window = services.settings.search.unseen_window
        seen = frozenset(recently_viewed(session, viewer_id, window) | note_views.pending(services, viewer_id))
    return NoteQuery(terms=terms, sort=filters.sort, kind=filters.kind, lang=filters.lang,
                     exclude_authors=frozenset(hidden_author_ids(session, viewer_id)), since=since,
                     authors=authors, exclude_notes=seen, near=filters.near,
                     now=int(services.clock.now().timestamp()), prefer_langs=reader_langs(session, viewer_id))


def reader_langs(session: Session, viewer_id: int | None) -> frozenset[str]:
    """The one language the reader's results lean to (``backend.LANGUAGE_BOOST``): the account's
    reading languages, else the language of its interface; anonymous, the request's locale. A
    reader of both leans to neither."""
    user = session.get(User, viewer_id) if viewer_id is not None else None  # the viewer's row: loaded already
    if user is not None and user.read_langs:
        langs = frozenset(lang for lang in user.read_langs if lang in ("en", "zh"))
    else:
        locale = user.ui_lang if user is not None and user.ui_lang else get_locale()
        langs = frozenset({content_lang(locale)})
    return langs if len(langs) == 1 else frozenset()


def parse_near(text: str | None, within_km: float | None) -> Near | None:
    """``near=lat,lng`` (decimal degrees) and ``within_km`` (default: the same city) as a
    :class:`Near`, or a 422 saying what is wrong."""
    if within_km is not None and not MIN_KM <= within_km <= MAX_KM:
        raise AppError("search.bad_distance", _("The distance must be between %(min)s and %(max)s km."), 422,
                       fields={"within_km": "out_of_range"}, min=MIN_KM, max=MAX_KM)
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    try:
        lat, lng = (float(part) for part in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lat = lng = math.nan
    # NaN and infinities fail both comparisons.
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        raise AppError("search.bad_near", _("A place must be given as latitude,longitude, e.g. 31.30,120.62."), 422,
                       fields={"near": "invalid"})
    return Near(lat, lng, within_km if within_km is not None else CITY_KM)


def place_point(session: Session, name: str) -> tuple[float, float] | None:
    """Where the community's notes put the place called ``name`` (in any case, in either Chinese
    script): the most used coordinates among published notes with that place name. By the
    ``lower(place_name)`` index (migration 0015)."""
    wanted = name.strip()[:80]
    if not wanted:
        return None
    row = session.execute(
        select(Note.place_lat, Note.place_lng)
        .where(func.lower(Note.place_name).in_(_scripts(wanted.lower())), Note.status == PUBLISHED,
               Note.place_lat.is_not(None),
               Note.place_lng.is_not(None))
        .group_by(Note.place_lat, Note.place_lng).order_by(func.count().desc(), Note.place_lat).limit(1)
    ).first()
    if row is None or row.place_lat is None or row.place_lng is None:
        return None
    return float(row.place_lat), float(row.place_lng)


def resolve_place(session: Session, near: str | None, place: str | None, within_km: float | None) -> Near | None:
    """The place filter from ``near=lat,lng`` or, failing that, a place's name; a name no note
    has located is a 422 (searching "anywhere" instead would answer another question)."""
    point = parse_near(near, within_km)
    if point is not None or place is None or not place.strip():
        return point
    found = place_point(session, place)
    if found is None:
        raise AppError("search.unknown_place", _("No notes are from a place called “%(place)s” yet."), 422,
                       fields={"place": "unknown"}, place=place.strip()[:80])
    return Near(found[0], found[1], within_km if within_km is not None else CITY_KM)


def _offset(cursor: str | None) -> int:
    offset = cursor_int(decode_cursor(cursor), "o") or 0
    if offset > MAX_OFFSET:
        raise invalid_cursor()
    return offset


def _slice(rows: Sequence[T], offset: int, limit: int) -> tuple[Sequence[T], str | None]:
    """``rows`` read with ``limit + 1``: the page, and the cursor after it when there is more."""
    more = len(rows) > limit and offset + limit < MAX_OFFSET
    return rows[:limit], encode_cursor({"o": offset + limit}) if more else None


def _scripts(text: str) -> set[str]:
    """``text`` as typed and in the other Chinese script: a Traditional query finds Simplified
    names and tags, and the other way round."""
    return {text, opencc_converter("t2s").convert(text), opencc_converter("s2t").convert(text)}


def search_users(session: Session, viewer_id: int | None, q: str, *, cursor: str | None = None,
                 limit: int = 20) -> UserPage:
    """Active accounts whose username starts with ``q`` (an ``@`` before it is fine) or whose
    display name contains it: the exact username first, then other usernames starting so, then
    display names; within each, the most followed first. Blocked either way and muted people are
    left out, as everywhere."""
    offset = _offset(cursor)
    key = q.strip().lstrip("@").strip().lower()
    if not key:
        return UserPage(items=[])
    by_username = User.username_key.startswith(key, autoescape=True)
    by_name = [func.lower(User.display_name).contains(form, autoescape=True) for form in _scripts(key)]
    statement = (select(User).where(User.is_active.is_(True), or_(by_username, *by_name))
                 .order_by(case((User.username_key == key, 0), (by_username, 1), else_=2),
                           User.follower_count.desc(), User.id)
                 .offset(offset).limit(limit + 1))
    hidden = hidden_author_ids(session, viewer_id)
    if hidden:
        statement = statement.where(User.id.not_in(hidden))
    users, next_cursor = _slice(list(session.scalars(statement)), offset, limit)
    items = [UserResult(**brief(user).model_dump(), bio=user.bio, follower_count=user.follower_count,
                        note_count=user.note_count) for user in users]
    return UserPage(items=items, next_cursor=next_cursor)


def search_tags(session: Session, q: str, *, cursor: str | None = None, limit: int = 20) -> TagPage:
    """Tags of published notes starting with ``q`` (as a tag: ``#`` and case do not matter; either
    Chinese script), the exact tag first, then by how many notes carry them."""
    offset = _offset(cursor)
    tag = normalize_tag(q)
    if tag is None:
        return TagPage(items=[])
    forms = _scripts(tag)
    notes = func.count(NoteTag.note_id)
    statement = (select(NoteTag.tag, notes)
                 .join(Note, Note.id == NoteTag.note_id).join(User, User.id == Note.author_id)
                 .where(or_(*(NoteTag.tag.startswith(form, autoescape=True) for form in forms)),
                        Note.status == PUBLISHED, User.is_active.is_(True))
                 .group_by(NoteTag.tag)
                 .order_by(case((NoteTag.tag.in_(forms), 0), else_=1), notes.desc(), NoteTag.tag)
                 .offset(offset).limit(limit + 1))
    rows, next_cursor = _slice(session.execute(statement).all(), offset, limit)
    return TagPage(items=[TagResult(tag=row[0], note_count=row[1]) for row in rows], next_cursor=next_cursor)


# ------------------------------------------------- suggestions, trending, history (docs/search.md)

SUGGEST_LIMIT = 10
TRENDING_MAX = 50
# Candidates read per matched column before screening and merging: a few abusive or duplicate
# terms among them still leave a full list.
_CANDIDATES = 30
_TRENDING_WINDOW = timedelta(hours=24)


def spend_suggest(services: Services, viewer_id: int | None, ip: str) -> None:
    """Count one suggestion or trending read against the client's budget (account, else address):
    429 with ``Retry-After`` once spent."""
    key = f"u:{ids.encode(viewer_id)}" if viewer_id is not None else f"ip:{ip}"
    services.limiter.hit("search-suggest", key, services.settings.rate_limits.suggest_per_client)


def spend_history(services: Services, viewer_id: int) -> None:
    """Count one history read or clear against the account's budget (429 once spent)."""
    services.limiter.hit("search-history", ids.encode(viewer_id), services.settings.rate_limits.search_history_per_account)


def suggest_prefix(services: Services, q: str | None) -> str:
    """The typed text as a matching key ('' when there is nothing to match: no suggestions, not an
    error, as a box asks while it is still empty), or 422 when it is longer than a search may be."""
    text = q or ""
    limit = services.settings.search.max_query_chars
    if len(text) > limit:
        raise _too_long(limit)
    return key_of(text)


# Screening verdicts per checker (a new checker, after a rules change, starts afresh): the same
# few thousand popular terms are read again and again, and the classifier is the costly part.
_SCREENED: weakref.WeakKeyDictionary[TextChecker, Lru[str, bool]] = weakref.WeakKeyDictionary()
_SCREENED_LOCK = threading.Lock()


def allowed(services: Services, texts: Sequence[str]) -> list[bool]:
    """Whether each text may be shown to people who did not type it: the moderation pipeline, as a
    note's title would be checked, allows it outright. Held, rejected *and* labelled ones are left
    out: a suggestion puts words in front of everyone typing a letter."""
    checker = screening.checker(services)
    with _SCREENED_LOCK:
        memo = _SCREENED.get(checker)
        if memo is None:
            memo = _SCREENED[checker] = Lru(20_000)
    unknown = list(dict.fromkeys(t for t in texts if memo.get(t) is None))
    if unknown:
        for text, verdict in zip(unknown, checker.check_many(unknown), strict=True):
            memo.put(text, verdict.decision == "allow")
    return [bool(memo.get(t)) for t in texts]


def _matching(session: Session, column: InstrumentedAttribute[str], prefix: str, min_searchers: int) -> list[SearchTerm]:
    # The range serves the prefix from the column's B-tree on every engine; the LIKE (with the
    # user's % _ \ escaped) says the same thing and keeps it exact whatever the collation.
    low, high = prefix_range(prefix)
    conditions = [column >= low, column.like(like_prefix(prefix), escape="\\")]
    if high is not None:
        conditions.append(column < high)
    eligible = or_(and_(SearchTerm.kind == "query", SearchTerm.weight >= min_searchers),
                   and_(SearchTerm.kind == "tag", SearchTerm.weight > 0))
    query = (select(SearchTerm).where(*conditions, eligible)
             .order_by(SearchTerm.weight.desc(), SearchTerm.key).limit(_CANDIDATES))
    return list(session.scalars(query))


def _suggestions(services: Services, session: Session, prefix: str) -> SuggestionList:
    terms = _matching(session, SearchTerm.key, prefix, services.settings.search.suggest_min_searchers)
    spelled = pinyin_input(prefix)
    if spelled is not None:
        for column in (SearchTerm.pinyin, SearchTerm.initials):
            terms += _matching(session, column, spelled, services.settings.search.suggest_min_searchers)
    unique = list({term.id: term for term in terms}.values())
    unique.sort(key=lambda t: (-t.weight, t.key))
    shown = [t for t, ok in zip(unique, allowed(services, [t.text for t in unique]), strict=True) if ok]
    seen: set[str] = set()
    queries_: list[SearchTerm] = []
    tags: list[SearchTerm] = []
    for term in shown:  # once per key: the query, or the tag spelt as most notes spell it
        if term.key not in seen:
            seen.add(term.key)
            (queries_ if term.kind == "query" else tags).append(term)
    # Two queries, then a tag: what people search leads, and tags still show for a short prefix
    # that popular queries would otherwise fill (their weights count different things).
    merged: list[SearchTerm] = []
    while (queries_ or tags) and len(merged) < SUGGEST_LIMIT:
        for source in (queries_, queries_, tags):
            if source and len(merged) < SUGGEST_LIMIT:
                merged.append(source.pop(0))
    return SuggestionList(items=[Suggestion(text=t.text, kind="tag" if t.kind == "tag" else "query", count=t.weight)
                                 for t in merged])


def suggest(services: Services, session: Session, prefix: str) -> SuggestionList:
    """Up to ``SUGGEST_LIMIT`` suggestions for a key prefix (:func:`suggest_prefix`), cached for
    ``suggest_ttl_s``: the same for everyone, so the short prefixes everyone types first — the
    ones matching the most rows — are computed once per period."""
    if not prefix:
        return SuggestionList(items=[])
    ttl = services.settings.search.suggest_ttl_s
    if ttl <= 0:
        return _suggestions(services, session, prefix)
    key = "search:suggest:" + hashlib.sha256(prefix.encode()).hexdigest()[:32]
    body = read_through(services.cache, key, ttl,
                        lambda: _suggestions(services, session, prefix).model_dump_json().encode())
    return SuggestionList.model_validate_json(body or b'{"items": []}')


def _trending(services: Services, session: Session) -> TrendingList:
    since = services.clock.now() - _TRENDING_WINDOW
    searchers = func.count(QuerySearcher.searcher.distinct())
    ranked = (select(QuerySearcher.term_id, searchers.label("n")).where(QuerySearcher.seen_at >= since)
              .group_by(QuerySearcher.term_id)
              .having(searchers >= services.settings.search.trending_min_searchers)
              .order_by(searchers.desc()).limit(2 * TRENDING_MAX).subquery())
    rows = session.execute(select(SearchTerm.text, ranked.c.n).join(ranked, ranked.c.term_id == SearchTerm.id)
                           .order_by(ranked.c.n.desc(), SearchTerm.key)).all()
    texts = [str(text) for text, _n in rows]
    items = [TrendingQuery(text=text, searchers=int(n))
             for (text, n), ok in zip(rows, allowed(services, texts), strict=True) if ok]
    return TrendingList(items=items[:TRENDING_MAX])


def trending(services: Services, session: Session, limit: int = SUGGEST_LIMIT) -> TrendingList:
    """The queries most distinct searchers found something with in the last 24 hours (at least
    ``trending_min_searchers`` each), screened, best first; cached for ``trending_ttl_s``."""
    ttl = services.settings.search.trending_ttl_s
    if ttl <= 0:
        found = _trending(services, session)
    else:
        body = read_through(services.cache, "search:trending", ttl,
                            lambda: _trending(services, session).model_dump_json().encode())
        found = TrendingList.model_validate_json(body or b'{"items": []}')
    return TrendingList(items=found.items[:limit])


def search_history(services: Services, session: Session, user_id: int) -> HistoryList:
    """The account's own searches, newest first, each query once, at most ``history_size``."""
    rows = session.scalars(select(SearchHistoryEntry).where(SearchHistoryEntry.user_id == user_id)
                           .order_by(SearchHistoryEntry.searched_at.desc(), SearchHistoryEntry.id.desc())
                           .limit(services.settings.search.history_size))
    return HistoryList(items=[HistoryEntry(id=ids.encode(e.id), text=e.text, searched_at=e.searched_at) for e in rows])
