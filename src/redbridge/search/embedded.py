"""The embedded ``SearchBackend``: tantivy on local disk (``settings.var_dir / "search"``).

Writes go to one ``IndexWriter`` and are committed together by a timer ``commit_delay_s`` after
the first pending write (or once ``batch_size`` are pending, or on ``flush``): a tantivy commit
fsyncs, 10–100 ms on this machine, so one per like or per note would cap indexing at a few dozen
notes a second. The writer (and tantivy's directory lock) is let go after each commit, so
``redbridge search reindex`` can run beside a server.

Crash safety: tantivy's commit is atomic — a reader sees the last commit, never half of one. What
a crash can lose is the writes still pending (delay-long) after their jobs finished, so the index
keeps a ``clean`` marker that exists only while nothing is pending: an index opened without it
(killed mid-batch), or that does not open at all (corrupt), or that does not exist, reports
``fresh`` and is rebuilt from the database (``search.wiring``).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import tantivy

from redbridge.search.backend import (
    BOOSTS,
    LANG_CODES,
    PHRASE_BOOST,
    RESCORE_WINDOW,
    SORT_FIELDS,
    TYPO_MAX_WORDS,
    TYPO_WEIGHT,
    Hits,
    Near,
    NoteDoc,
    NoteQuery,
    correctable,
    engagement_boost,
    rescore_factor,
)

log = logging.getLogger("redbridge.search")

# A new schema is a new directory: an index of the old shape is never opened with the new one,
# it is rebuilt (``fresh``) and the old directory left for an operator to delete.
# 2: the note's place (lat, lng) for the place filter; 3: ``lang_code``, for the language boost;
# 4: positions on ``title``, for the phrase boost; 5: ``translated``, the note's translations.
SCHEMA_VERSION = 5
_LANGS: Final = {code: lang for lang, code in LANG_CODES.items()}
_CLEAN = "clean"
_LOCK_WAIT_S = 5.0


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("note_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("author_id", indexed=True)
    for name in BOOSTS:
        # Positions on the title only, for the phrase boost (titles are short: the index grows little).
        option = "position" if name == "title" else "freq"
        builder.add_text_field(name, tokenizer_name="whitespace", index_option=option)
    builder.add_text_field("lang", tokenizer_name="raw")
    builder.add_text_field("kind", tokenizer_name="raw")
    builder.add_integer_field("created_at", indexed=True, fast=True)
    for name in ("like_count", "collect_count", "comment_count"):
        builder.add_integer_field(name, fast=True)
    builder.add_float_field("boost", fast=True)
    builder.add_integer_field("lang_code", fast=True)  # ``LANG_CODES``: the rescore reads it per hit
    for name in ("lat", "lng"):  # absent on a note without a place: no range then matches it
        builder.add_float_field(name, fast=True)
    return builder.build()


class TantivyBackend:
    def __init__(self, root: Path, *, commit_delay_s: float = 0.5, batch_size: int = 1000,
                 writer_heap_bytes: int = 32 * 1024 * 1024) -> None:
        self.path = root / f"notes-v{SCHEMA_VERSION}"
        self._delay = commit_delay_s
        self._batch = batch_size
        self._heap = writer_heap_bytes
        self._schema = _schema()
        self._lock = threading.RLock()  # the writer, the pending count, the timer
        self._writer: Any = None
        self._pending = 0
        self._timer: threading.Timer | None = None
        self._closed = False
        self.fresh = False  # created, recovered from corruption, or left unclean: rebuild it
        self._index = self._open()

    # ------------------------------------------------------------------------------ opening

    def _open(self) -> tantivy.Index:
        clean = self.path / _CLEAN
        if self.path.is_dir() and tantivy.Index.exists(str(self.path)):
            try:
                index = tantivy.Index.open(str(self.path))
                self._watch(index)
                index.searcher()  # reads the segments' metadata: a corrupt index fails here
            except (ValueError, OSError):
                log.warning("search index at %s does not open: rebuilding it", self.path, exc_info=True)
                shutil.rmtree(self.path, ignore_errors=True)
            else:
                if not clean.exists():
                    log.warning("search index at %s was not closed cleanly: rebuilding it", self.path)
                    self.fresh = True
                clean.unlink(missing_ok=True)  # nothing pending yet, but from now on it may be
                return index
        self.path.mkdir(parents=True, exist_ok=True)
        self.fresh = True
        index = tantivy.Index(self._schema, path=str(self.path), reuse=False)
        self._watch(index)
        return index

    @staticmethod
    def _watch(index: tantivy.Index) -> None:
        # Readers follow commits made by another process too (``redbridge search reindex`` beside
        # a server): tantivy watches meta.json. Our own commits also reload at once (``_commit``).
        index.config_reader(reload_policy="OnCommit")

    # ------------------------------------------------------------------------------ writes

    def _doc(self, doc: NoteDoc) -> tantivy.Document:
        place = {"lat": doc.lat, "lng": doc.lng} if doc.lat is not None and doc.lng is not None else {}
        return tantivy.Document(
            note_id=doc.note_id, author_id=doc.author_id, title=doc.title, body=doc.body, tags=doc.tags,
            translated=doc.translated,
            lang=doc.lang, lang_code=LANG_CODES.get(doc.lang, 0), kind=doc.kind, created_at=doc.created_at,
            like_count=doc.like_count,
            collect_count=doc.collect_count, comment_count=doc.comment_count,
            boost=engagement_boost(doc.like_count, doc.collect_count, doc.comment_count), **place,
        )

    def _writing(self) -> Any:
        if self._writer is None:
            # Another process (or another app on this directory) may hold the directory lock
            # for its batch: it lets go within its commit delay, so wait that long, not forever.
            deadline = time.monotonic() + self._delay + _LOCK_WAIT_S
            while True:
                try:
                    self._writer = self._index.writer(heap_size=self._heap, num_threads=1)
                    break
                except ValueError as exc:
                    if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
        return self._writer

    def _wrote(self, n: int) -> None:
        """``n`` operations are pending: commit at the batch size, else within the delay."""
        self._pending += n
        if self._pending >= self._batch or self._delay <= 0:
            self._commit()
        elif self._timer is None and not self._closed:
            self._timer = threading.Timer(self._delay, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def _commit(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        writer.commit()
        writer.wait_merging_threads()  # lets the directory lock go
        self._pending = 0
        self._index.reload()

    def index(self, docs: Sequence[NoteDoc]) -> None:
        if not docs:
            return
        with self._lock:
            writer = self._writing()
            for doc in docs:
                # Delete-then-add is tantivy's update: the delete applies to documents committed
                # before this add, so the note ends with exactly one document.
                writer.delete_documents_by_term("note_id", doc.note_id)
                writer.add_document(self._doc(doc))
            self._wrote(len(docs))

    def delete(self, note_ids: Sequence[int]) -> None:
        if not note_ids:
            return
        with self._lock:
            writer = self._writing()
            for note_id in note_ids:
                writer.delete_documents_by_term("note_id", note_id)
            self._wrote(len(note_ids))

    def delete_author(self, author_id: int) -> None:
        with self._lock:
            self._writing().delete_documents_by_term("author_id", author_id)
            self._wrote(1)

    def replace_all(self, batches: Iterable[Sequence[NoteDoc]]) -> int:
        # One commit at the end: readers keep the old index until the new one is whole. The
        # writer flushes segments to disk as its heap fills, so memory stays bounded.
        with self._lock:
            writer = self._writing()
            writer.delete_all_documents()
            total = 0
            for batch in batches:
                for doc in batch:
                    writer.add_document(self._doc(doc))
                total += len(batch)
            self._commit()
            self.fresh = False
            return total

    def clear(self) -> None:
        with self._lock:
            self._writing().delete_all_documents()
            self._commit()

    def flush(self) -> None:
        with self._lock:
            self._commit()
            self._index.reload()  # also picks up another process's commit now, not when noticed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._commit()
            (self.path / _CLEAN).touch()

    # ------------------------------------------------------------------------------ reads

    def _term(self, name: str, value: object) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, name, value)

    def _text_query(self, terms: Sequence[str], typos: dict[str, int]) -> tantivy.Query:
        # Per term, its best field (dis-max, so a word in both title and body is not counted
        # twice); terms OR-ed, so BM25 ranks notes matching more of them first. A term in
        # ``typos`` (no note has it) matches the words within that many edits instead, at a
        # constant score below a real match's (tantivy's fuzzy query does not score by BM25).
        def fields(term: str) -> list[tantivy.Query]:
            edits = typos.get(term)
            if edits is None:
                return [tantivy.Query.boost_query(self._term(name, term), boost) for name, boost in BOOSTS.items()]
            return [tantivy.Query.boost_query(tantivy.Query.fuzzy_term_query(
                self._schema, name, term, distance=edits, transposition_cost_one=True), boost * TYPO_WEIGHT)
                for name, boost in BOOSTS.items()]

        per_term = [(tantivy.Occur.Should, tantivy.Query.disjunction_max_query(fields(term))) for term in terms]
        return tantivy.Query.boolean_query(per_term)

    def _typos(self, searcher: tantivy.Searcher, query: NoteQuery) -> dict[str, int]:
        """The query's possibly misspelt words that no note has, with the edits allowed."""
        missing = [(term, edits) for term, edits in correctable(query)
                   if not any(searcher.doc_freq(name, term) for name in BOOSTS)]
        return dict(missing[:TYPO_MAX_WORDS])

    def _range(self, name: str, kind: tantivy.FieldType, lower: float | None, upper: float | None) -> tantivy.Query:
        return tantivy.Query.range_query(self._schema, name, kind, lower, upper)

    def _place(self, near: Near) -> tantivy.Query:
        # Any of the boxes (two when the circle crosses the antimeridian): lat and lng both in it.
        boxes = [
            (tantivy.Occur.Should, tantivy.Query.boolean_query([
                (tantivy.Occur.Must, self._range("lat", tantivy.FieldType.Float, box.south, box.north)),
                (tantivy.Occur.Must, self._range("lng", tantivy.FieldType.Float, box.west, box.east)),
            ]))
            for box in near.boxes()
        ]
        return tantivy.Query.boolean_query(boxes)

    def _filtered(self, query: NoteQuery, typos: dict[str, int]) -> tantivy.Query:
        must: list[tantivy.Query] = []
        if query.kind is not None:
            must.append(self._term("kind", query.kind))
        if query.lang is not None:
            # A mixed-language note is in both languages.
            must.append(tantivy.Query.term_set_query(self._schema, "lang", [query.lang, "mixed"]))
        if query.since is not None:
            must.append(self._range("created_at", tantivy.FieldType.Integer, query.since, None))
        if query.authors is not None:
            must.append(tantivy.Query.term_set_query(self._schema, "author_id", sorted(query.authors)))
        if query.near is not None:
            must.append(self._place(query.near))
        # Filters score nothing (constant 0): they must not reorder the ranking.
        clauses = [(tantivy.Occur.Must, self._text_query(query.terms, typos)),
                   *((tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in must)]
        if query.phrase:  # optional: adds to the score of the notes whose title holds it
            phrase = tantivy.Query.phrase_query(self._schema, "title", list(query.phrase))
            clauses.append((tantivy.Occur.Should,
                            tantivy.Query.boost_query(phrase, BOOSTS["title"] * PHRASE_BOOST)))
        if query.exclude_authors:
            hidden = tantivy.Query.term_set_query(self._schema, "author_id", sorted(query.exclude_authors))
            clauses.append((tantivy.Occur.MustNot, hidden))
        if query.exclude_notes:
            seen = tantivy.Query.term_set_query(self._schema, "note_id", sorted(query.exclude_notes))
            clauses.append((tantivy.Occur.MustNot, seen))
        return tantivy.Query.boolean_query(clauses)

    def search(self, query: NoteQuery) -> Hits:
        if not query.terms or query.limit <= 0 or query.authors == frozenset():
            return Hits([], 0)
        searcher = self._index.searcher()
        compiled = self._filtered(query, self._typos(searcher, query))
        if query.sort != "relevance":
            result = searcher.search(compiled, query.limit, count=True, offset=query.offset,
                                     order_by_field=SORT_FIELDS[query.sort], order=tantivy.Order.Desc)
            return Hits(self._ids(searcher, result.hits), _count(result))
        if query.offset >= RESCORE_WINDOW:  # past the rescored window: BM25 × engagement alone
            result = searcher.search(compiled, query.limit, count=True, offset=query.offset, weight_by_field="boost")
            return Hits(self._ids(searcher, result.hits), _count(result))
        result = searcher.search(compiled, RESCORE_WINDOW, count=True, weight_by_field="boost")
        ranked = self._rescored(searcher, result.hits, query)
        ids = ranked[query.offset:query.offset + query.limit]
        beyond = query.offset + query.limit - RESCORE_WINDOW
        if beyond > 0 and len(result.hits) == RESCORE_WINDOW:
            rest = searcher.search(compiled, beyond, count=False, offset=RESCORE_WINDOW, weight_by_field="boost")
            ids += self._ids(searcher, rest.hits)
        return Hits(ids, _count(result))

    @staticmethod
    def _ids(searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]]) -> list[int]:
        # A fast-field read per hit, not a stored document's: no block of the docstore to unpack.
        return [int(v or 0) for v in searcher.fast_field_values("note_id", [address for _, address in hits])]

    @staticmethod
    def _rescored(searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]],
                  query: NoteQuery) -> list[int]:
        """The hits in the order of their score times freshness and language (``backend``)."""
        addresses = [address for _, address in hits]
        ids = searcher.fast_field_values("note_id", addresses)
        created = searcher.fast_field_values("created_at", addresses)
        langs = searcher.fast_field_values("lang_code", addresses)
        scored = [(float(score) * rescore_factor(int(when or 0), _LANGS.get(int(code or 0), "other"), query), int(i or 0))
                  for (score, _), i, when, code in zip(hits, ids, created, langs, strict=True)]
        scored.sort(key=lambda pair: (-pair[0], -pair[1]))  # ties: the newest note first
        return [i for _, i in scored]

    def count(self, author_id: int | None = None) -> int:
        searcher = self._index.searcher()
        if author_id is None:
            return int(searcher.num_docs)
        return _count(searcher.search(self._term("author_id", author_id), 1, count=True))


def _count(result: tantivy.SearchResult) -> int:
    # ``count`` is there at run time (asked for with count=True) but missing from the wheel's stubs.
    return int(getattr(result, "count", None) or 0)
