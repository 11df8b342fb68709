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

from collections.abc import Hashable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.accounts.queries import hidden_author_ids
from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.core.pagination import cursor_int, decode_cursor, encode_cursor, invalid_cursor
from redbridge.core.services import Services
from redbridge.notes.models import PUBLISHED, Note
from redbridge.reads.cards import cards
from redbridge.search.analysis import query_terms
from redbridge.search.backend import Kind, Lang, NoteQuery, Sort
from redbridge.search.expand import translate_query
from redbridge.search.fusion import reciprocal_rank_fusion
from redbridge.search.schemas import SearchPage
from redbridge.search.wiring import Dense, backend, dense

MAX_OFFSET = 1000
_SLACK = 10
# How deep each ranking goes into the fusion (relevance with dense retrieval): its pages end there.
FUSED_DEPTH = 200
# Language-centred cosine under which a dense hit is no match: related notes score ~0.3-0.6, an
# unrelated one ~0.0-0.15 (tests/search/test_dense.py).
DENSE_MIN_SCORE = 0.2
T = TypeVar("T", bound=Hashable)


def check_query(services: Services, q: str | None) -> str:
    """The query text, or a 422 the caller can show: nothing to search for, or far too long."""
    text = (q or "").strip()
    if not text:
        raise AppError("search.empty_query", _("Type something to search for."), 422, fields={"q": "required"})
    limit = services.settings.search.max_query_chars
    if len(text) > limit:
        raise AppError("search.query_too_long", _("A search can be at most %(max)s characters."), 422,
                       fields={"q": "too_long"}, max=limit)
    return text


def _hybrid(services: Services, vectors: Dense, q: str, keyword: NoteQuery) -> list[int]:
    """The keyword ranking and the dense one fused by reciprocal rank (``search.fusion``), down to
    ``FUSED_DEPTH`` each. Dense hits below ``DENSE_MIN_SCORE`` are left out: the nearest vectors
    of a query about nothing in the community are still *some* notes, which a search must not
    offer as matches. The filters the index applied to the keyword side, the caller's database
    filter applies to the dense side (kind, language, hidden authors)."""
    words = backend(services).search(keyword).note_ids
    near = [(hit.note_id, hit.score) for hit in vectors.index.search(vectors.embedder.query(q), FUSED_DEPTH)]
    return fuse(words, near)


def fuse(words: Sequence[T], near: Sequence[tuple[T, float]]) -> list[T]:
    """The keyword ranking and the dense one (ids with their centred cosines, best first) as one
    ranking, the dense hits under ``DENSE_MIN_SCORE`` left out (the relevance evaluation ranks
    the set's notes through this too: tests/search/evaluate.py)."""
    return reciprocal_rank_fusion([list(words), [doc for doc, score in near if score >= DENSE_MIN_SCORE]])


def _visible(session: Session, note_ids: list[int], hidden: set[int], kind: Kind | None = None,
             lang: Lang | None = None) -> set[int]:
    if not note_ids:
        return set()
    query = (select(Note.id).join(User, User.id == Note.author_id)
             .where(Note.id.in_(note_ids), Note.status == PUBLISHED, User.is_active.is_(True)))
    if kind is not None:
        query = query.where(Note.kind == kind)
    if lang is not None:  # as the index's filter: a mixed note is in both languages
        query = query.where(Note.lang.in_([lang, "mixed"]))
    if hidden:
        query = query.where(Note.author_id.not_in(hidden))
    return set(session.scalars(query))


def search_notes(services: Services, session: Session, viewer_id: int | None, q: str, *, sort: Sort = "relevance",
                 kind: Kind | None = None, lang: Lang | None = None, cursor: str | None = None,
                 limit: int = 20) -> SearchPage:
    """One page of notes matching ``q`` (already checked: :func:`check_query`) that the viewer may
    see, in the order asked."""
    state = decode_cursor(cursor)
    offset = cursor_int(state, "o") or 0
    if offset > MAX_OFFSET:
        raise invalid_cursor()
    terms = tuple(query_terms(q))
    if not terms:  # only punctuation, emoji, spaces: nothing can match
        return SearchPage(items=[])
    if services.settings.search.expand_queries:
        # The query's words in the other language join it (``search.expand``): measured on the
        # relevance set, keyword Recall@10 0.39 → 0.61 (docs/benchmarks.md, "Search: relevance").
        terms = tuple(dict.fromkeys([*terms, *query_terms(" ".join(translate_query(q)))]))
    hidden = hidden_author_ids(session, viewer_id)
    want = min(limit, MAX_OFFSET - offset)
    vectors = dense(services) if sort == "relevance" else None
    if vectors is not None and len(vectors.index):
        ranked = _hybrid(services, vectors, q, NoteQuery(terms=terms, kind=kind, lang=lang,
                                                         exclude_authors=frozenset(hidden), limit=FUSED_DEPTH))
        hit_ids, total = ranked[offset:offset + want + _SLACK], len(ranked)
    else:
        hits = backend(services).search(NoteQuery(terms=terms, sort=sort, kind=kind, lang=lang,
                                                  exclude_authors=frozenset(hidden), offset=offset,
                                                  limit=want + _SLACK))
        hit_ids, total = hits.note_ids, hits.total
    visible = _visible(session, hit_ids, hidden, kind, lang)
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
