"""The cluster ``SearchBackend``: a weighted ``tsvector`` per note in PostgreSQL (``search_notes``,
made by migration 0016), under a GIN index, so every app process and worker shares one index.

**Terms in, terms out.** Documents arrive analysed (``search.analysis``). PostgreSQL's parsers
would cut them again — ``to_tsvector('simple', ...)`` splits ``don't``, ``x-y``, ``a_b`` and
``e:f`` into pieces, and drops letters its locale does not class as letters — so the tsvector
is never parsed from text: it is written in tsvector's input syntax, one quoted lexeme per term
with its position and weight (title A, body B, tags C), and the query in tsquery's, the terms
quoted and OR-ed (:func:`tsvector_literal`, :func:`tsquery_literal`). Both travel as bound
parameters cast to their type, so neither SQL nor tsquery syntax in a user's words (``AND OR (
" * : ! & |``) does anything: each word is one lexeme. ``setweight(array_to_tsvector(...))``
would be the other way to skip the parser, but ``array_to_tsvector`` makes lexemes without
positions, and weights live on positions: ``setweight`` would do nothing.

**Ranking** (``sort="relevance"``): ``ts_rank`` with the field boosts (``BOOSTS``) scaled into its
``{D, C, B, A}`` weights, times ``log2(2 + boost)`` as tantivy's ``weight_by_field`` does. For
each query term ``ts_rank`` takes the best-weighted occurrence plus a little for repeats (nearly
tantivy's dis-max over the fields), and sums over the terms, so notes matching more of them rank
first. Unlike BM25 it knows nothing of how rare a term is, nor of the document's length: see
docs/search.md, "PostgreSQL backend". Freshness and the reader's language multiply it too, over
every match (tantivy rescores its best 200: ``backend.rescore_factor``). Ties, and every other
sort, fall back to the newest note.

**Writes** commit as they are made (one transaction per call; ``flush`` has nothing to do), with
``INSERT ... ON CONFLICT DO UPDATE`` for an idempotent upsert. ``replace_all`` deletes and
inserts in one transaction: a reader sees the old index or the new, never half (``DELETE``, not
``TRUNCATE``, whose exclusive lock would make readers wait for the whole rebuild).

**Connections.** The backend has its own small engine on the app's database: a search request
already holds its one pooled connection (``core.db._guard_one_connection``) when it asks the index,
and a second from the same pool is what that guard forbids.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    cast,
    create_engine,
    delete,
    false,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, REAL, TSQUERY, TSVECTOR, insert
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from redbridge.search.backend import (
    BOOSTS,
    FRESH_HALF_LIFE_S,
    FRESH_WEIGHT,
    LANGUAGE_BOOST,
    PHRASE_BOOST,
    SORT_FIELDS,
    TYPO_MAX_WORDS,
    Hits,
    NoteDoc,
    NoteQuery,
    correctable,
    edit_distance,
    engagement_boost,
    typo_candidates,
)

# tsvector weight letters, per field: the most important field is A.
_WEIGHTS: Final = {"title": "A", "body": "B", "tags": "C", "translated": "D"}
# ts_rank's weights array is ordered {D, C, B, A}; the boosts scaled so the largest is 1 (ts_rank
# expects weights in 0..1). D is the translations'.
_TOP: Final = max(BOOSTS.values())
RANK_WEIGHTS: Final = [BOOSTS["translated"] / _TOP, BOOSTS["tags"] / _TOP, BOOSTS["body"] / _TOP,
                       BOOSTS["title"] / _TOP]
# tsvector positions stop at 16383 (later ones are stored as 16383): positions only carry the
# weight here (no phrase queries), so that is harmless.
_MAX_POSITION: Final = 16383
# Rows per INSERT statement: far below PostgreSQL's 65,535 bind parameters at 12 columns a row.
_INSERT_BATCH: Final = 500
_WORD_BATCH: Final = 5000
_LN2: Final = math.log(2.0)


class _Document(TypeDecorator[str]):
    """A tsvector written in its input syntax (:func:`tsvector_literal`), cast on the server."""

    impl = TSVECTOR
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return cast(bindvalue, TSVECTOR)


_metadata = MetaData()
# The shape migration 0016 makes (not a model: see its docstring).
notes_table: Final = Table(
    "search_notes", _metadata,
    Column("note_id", BigInteger, primary_key=True),
    Column("author_id", BigInteger, nullable=False),
    Column("document", _Document, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("like_count", Integer, nullable=False),
    Column("collect_count", Integer, nullable=False),
    Column("comment_count", Integer, nullable=False),
    Column("boost", Float, nullable=False),
    Column("lat", Float),
    Column("lng", Float),
)
_t = notes_table.c
# Migration 0019's: the words typo tolerance may correct to, under a trigram index.
words_table: Final = Table("search_words", _metadata, Column("word", String(64), primary_key=True))
# Trigram similarity under which a word is not even a candidate correction (pg_trgm's default is
# 0.3, which misses one-letter typos in four-letter words: soup / saup share 2 of 8 trigrams). The
# candidates are then held to the edit distance, as tantivy's automaton is.
TYPO_SIMILARITY: Final = 0.2
_TYPO_CANDIDATES: Final = 10


def _quoted(term: str) -> str:
    # tsvector's and tsquery's input syntax alike: inside single quotes, a quote and a backslash
    # are the only characters with a meaning, and doubling them takes it away.
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(doc: NoteDoc) -> str:
    """The note's terms as a tsvector in input syntax: each term a lexeme at its position, with its
    field's weight; a term in two fields keeps both positions (ranking takes the best)."""
    parts: list[str] = []
    position = 0
    for name, weight in _WEIGHTS.items():
        for term in getattr(doc, name).split():
            position = min(position + 1, _MAX_POSITION)
            parts.append(f"{_quoted(term)}:{position}{weight}")
    return " ".join(parts)


def tsquery_literal(terms: Iterable[str]) -> str:
    """The terms OR-ed, each one quoted lexeme (no operators, prefixes or weights can slip in)."""
    return " | ".join(_quoted(term) for term in dict.fromkeys(t for t in terms if t))


def phrase_literal(words: Sequence[str]) -> str:
    """The words as a tsquery phrase in the title: each quoted, weight A, one after the other."""
    return " <-> ".join(f"{_quoted(word)}:A" for word in words)


def _ids(values: Iterable[int]) -> Any:
    # One array parameter, however many ids (a reader's seen notes may be thousands).
    return bindparam(None, sorted(values), type_=ARRAY(BigInteger))


class PostgresBackend:
    """See the module docstring. ``engine`` is the backend's own (:meth:`connect`); ``close``
    disposes of it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str | URL, *, pool_size: int = 4, max_overflow: int = 4) -> PostgresBackend:
        """A backend with its own pool on the database at ``url`` (the app's)."""
        return cls(create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=5.0,
                                 pool_pre_ping=True))

    # ------------------------------------------------------------------------------ writes

    @staticmethod
    def _row(doc: NoteDoc) -> dict[str, Any]:
        return {
            "note_id": doc.note_id, "author_id": doc.author_id, "document": tsvector_literal(doc),
            "lang": doc.lang, "kind": doc.kind, "created_at": doc.created_at, "like_count": doc.like_count,
            "collect_count": doc.collect_count, "comment_count": doc.comment_count,
            "boost": engagement_boost(doc.like_count, doc.collect_count, doc.comment_count),
            "lat": doc.lat if doc.lng is not None else None, "lng": doc.lng if doc.lat is not None else None,
        }

    @staticmethod
    def _insert(conn: Connection, docs: Sequence[NoteDoc]) -> None:
        # Sorted by id: two concurrent writers lock the rows they share in one order, so they wait
        # for each other instead of deadlocking. A note twice in one batch keeps its last version
        # (ON CONFLICT may not touch one row twice in a statement).
        latest = {doc.note_id: doc for doc in docs}
        rows = [PostgresBackend._row(latest[i]) for i in sorted(latest)]
        for start in range(0, len(rows), _INSERT_BATCH):
            statement = insert(notes_table).values(rows[start:start + _INSERT_BATCH])
            updated = {column.name: statement.excluded[column.name] for column in notes_table.c
                       if column.name != "note_id"}
            conn.execute(statement.on_conflict_do_update(index_elements=[_t.note_id], set_=updated))
        # Sorted too, for the same reason; words already known cost an index probe each.
        words = sorted({term for doc in latest.values() for name in _WEIGHTS
                        for term, _edits in typo_candidates(getattr(doc, name).split()) if len(term) <= 64})
        for start in range(0, len(words), _WORD_BATCH):
            chunk = [{"word": word} for word in words[start:start + _WORD_BATCH]]
            conn.execute(insert(words_table).values(chunk).on_conflict_do_nothing(index_elements=["word"]))

    def index(self, docs: Sequence[NoteDoc]) -> None:
        if not docs:
            return
        with self.engine.begin() as conn:
            self._insert(conn, docs)

    def delete(self, note_ids: Sequence[int]) -> None:
        if not note_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(notes_table).where(_t.note_id == any_(_ids(note_ids))))

    def delete_author(self, author_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(notes_table).where(_t.author_id == author_id))

    def replace_all(self, batches: Iterable[Sequence[NoteDoc]]) -> int:
        total = 0
        with self.engine.begin() as conn:
            conn.execute(delete(notes_table))
            conn.execute(delete(words_table))  # the words of notes gone go with them
            for batch in batches:
                self._insert(conn, batch)
                total += len(batch)
        return total

    def clear(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(notes_table))
            conn.execute(delete(words_table))

    def flush(self) -> None:
        """Nothing is pending: every write committed before it returned."""

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------------------ reads

    @staticmethod
    def _filters(query: NoteQuery, match: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        where = [match]
        if query.kind is not None:
            where.append(_t.kind == query.kind)
        if query.lang is not None:
            where.append(_t.lang.in_([query.lang, "mixed"]))  # a mixed-language note is in both
        if query.since is not None:
            where.append(_t.created_at >= query.since)
        if query.authors is not None:
            where.append(_t.author_id == any_(_ids(query.authors)) if query.authors else false())
        if query.exclude_authors:
            where.append(not_(_t.author_id == any_(_ids(query.exclude_authors))))
        if query.exclude_notes:
            where.append(not_(_t.note_id == any_(_ids(query.exclude_notes))))
        if query.near is not None:
            # A note without a place has NULL coordinates, which no comparison matches.
            where.append(or_(*(and_(_t.lat.between(box.south, box.north), _t.lng.between(box.west, box.east))
                               for box in query.near.boxes())))
        return where

    def search(self, query: NoteQuery) -> Hits:
        if not query.terms or query.limit <= 0 or query.authors == frozenset():
            return Hits([], 0)  # no author at all (an empty "following" scope) matches nothing
        terms = [*query.terms, *self._corrections(query)]
        tsquery = cast(bindparam("tsquery", tsquery_literal(terms)), TSQUERY)
        where = and_(*self._filters(query, _t.document.bool_op("@@")(tsquery)))
        if query.sort == "relevance":
            weights = cast(bindparam("weights", RANK_WEIGHTS, type_=ARRAY(REAL)), ARRAY(REAL))
            rank = func.ts_rank(weights, _t.document, tsquery) * (func.ln(2.0 + _t.boost) / _LN2)
            # Freshness and the reader's language (``backend.rescore_factor``), over every match.
            if query.now is not None:
                age = func.greatest(query.now - _t.created_at, 0)
                rank = rank * (1.0 + FRESH_WEIGHT * func.power(0.5, cast(age, Float) / FRESH_HALF_LIFE_S))
            if query.phrase:  # the typed words in order, in the title (weight A)
                phrase = cast(bindparam("phrase", phrase_literal(query.phrase)), TSQUERY)
                rank = rank * case((_t.document.bool_op("@@")(phrase), PHRASE_BOOST), else_=1.0)
            if query.prefer_langs:
                rank = rank * case((_t.lang.in_([*sorted(query.prefer_langs), "mixed"]), LANGUAGE_BOOST), else_=1.0)
            order = [rank.desc(), _t.note_id.desc()]
        else:
            order = [_t[SORT_FIELDS[query.sort]].desc(), _t.note_id.desc()]
        # The total rides along with the page (one scan); a page past the end has no row to carry
        # it, and is counted on its own.
        ranked = (select(_t.note_id, func.count().over().label("total")).where(where)
                  .order_by(*order).offset(query.offset).limit(query.limit))
        with self.engine.connect() as conn:
            rows = conn.execute(ranked).all()
            if rows:
                return Hits([int(row.note_id) for row in rows], int(rows[0].total))
            total = conn.scalar(select(func.count()).select_from(notes_table).where(where)) if query.offset else 0
        return Hits([], int(total or 0))

    def _corrections(self, query: NoteQuery) -> list[str]:
        """The indexed words within the allowed edits of the query's possibly misspelt words
        that no note has (none for a word some note has: it is not corrected)."""
        candidates = correctable(query)
        if not candidates:
            return []
        with self.engine.begin() as conn:
            known = set(conn.scalars(select(words_table.c.word).where(
                words_table.c.word == any_(bindparam(None, [t for t, _ in candidates], type_=ARRAY(String))))))
            missing = [(term, edits) for term, edits in candidates if term not in known][:TYPO_MAX_WORDS]
            if not missing:
                return []
            # For this transaction only (the pooled connection goes back as it came).
            conn.execute(select(func.set_config("pg_trgm.similarity_threshold", str(TYPO_SIMILARITY), True)))
            found: list[str] = []
            for term, edits in missing:
                near = conn.scalars(select(words_table.c.word).where(words_table.c.word.bool_op("%")(term))
                                    .order_by(func.similarity(words_table.c.word, term).desc(), words_table.c.word)
                                    .limit(_TYPO_CANDIDATES))
                found += [word for word in near if edit_distance(term, word, edits) <= edits]
        return found

    def count(self, author_id: int | None = None) -> int:
        statement = select(func.count()).select_from(notes_table)
        if author_id is not None:
            statement = statement.where(_t.author_id == author_id)
        with self.engine.connect() as conn:
            return int(conn.scalar(statement) or 0)
