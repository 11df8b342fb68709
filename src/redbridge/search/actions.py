"""Writes to the search index (never to the database): bring notes, authors or the whole index in
line with the database. Each reads the current state, so running one twice changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from redbridge.accounts.flows import source_key
from redbridge.accounts.models import User
from redbridge.core import events, ids
from redbridge.core.db import dialect_insert, insert_ignore, write
from redbridge.core.errors import not_found
from redbridge.notes.actions import NOTE_DELETING
from redbridge.notes.models import PUBLISHED, Note, NoteTag
from redbridge.search import documents
from redbridge.search.backend import NoteDoc
from redbridge.search.models import QuerySearcher, SearchHistoryEntry, SearchTerm
from redbridge.search.suggest_keys import key_of, pinyin_keys
from redbridge.search.wiring import backend, dense
from redbridge.text.lang import normalize_for_match

if TYPE_CHECKING:
    from redbridge.core.services import Services


def sync_notes(services: Services, note_ids: Sequence[int]) -> None:
    """Index the findable ones among ``note_ids`` as they are now; remove the others (deleted,
    held, removed, author deactivated)."""
    with services.sessions() as session:
        found = documents.load(session, note_ids)
    index = backend(services)
    index.index(list(found.values()))
    index.delete([i for i in note_ids if i not in found])
    vectors = dense(services)
    if vectors is not None:
        with services.sessions() as session:
            texts = documents.passages(session, list(found))
        ids = list(texts)
        vectors.index.upsert(ids, vectors.embedder.notes([texts[i] for i in ids]))
        vectors.index.remove([i for i in note_ids if i not in texts])
        vectors.changed()


def reconcile_vectors(services: Services, batch: int = 64) -> tuple[int, int]:
    """Make the vector index hold exactly the findable notes: embed the missing ones (all of them
    for an index that opened empty: another model's, unreadable, new), drop the others. Run once
    per process at first use, so a crash that lost the last unsaved writes heals; an edit whose
    new vector was lost with them keeps its old one until the note changes again (docs/search.md).
    Returns (embedded, removed)."""
    vectors = dense(services, reconcile=False)
    if vectors is None:
        return 0, 0
    with services.sessions() as session:
        wanted = documents.findable_ids(session)
    have = vectors.index.keys()
    removed = vectors.index.remove(have - wanted)
    missing = sorted(wanted - have)
    for start in range(0, len(missing), batch):
        chunk = missing[start:start + batch]
        with services.sessions() as session:
            texts = documents.passages(session, chunk)
        ids = list(texts)
        vectors.index.upsert(ids, vectors.embedder.notes([texts[i] for i in ids]))
    vectors.changed()
    return len(missing), removed


def sync_author(services: Services, author_id: int) -> None:
    """An account changed: if it is gone or no longer active, its notes leave the index. Most
    changes (a profile, a session) are neither, and cost one query without opening the index. An
    account made active again comes back with ``redbridge search reindex`` (docs/search.md)."""
    with services.sessions() as session:
        active = documents.is_active(session, author_id)
    if not active:
        backend(services).delete_author(author_id)


def rebuild(services: Services, progress: Callable[[int, int], None] | None = None, *, vectors: bool = True) -> int:
    """Replace the index with every findable note (one atomic commit); ``progress(done, total)``
    after each batch. Returns how many notes were indexed."""
    index = backend(services, rebuild_if_fresh=False)
    with services.sessions() as session:
        total = documents.total_findable(session)
        done = 0

        def batches() -> Iterator[list[NoteDoc]]:
            nonlocal done
            for batch in documents.all_findable(session):
                yield batch
                done += len(batch)
                if progress is not None:
                    progress(done, total)

        indexed = index.replace_all(batches())
    if vectors:  # else the app's own reconciliation embeds them, in the background (the demo)
        reconcile_vectors(services)
    return indexed


# ------------------------------------------------- suggestions, trending, history (docs/search.md)

log = logging.getLogger(__name__)

COUNT_TAGS = "search.count_tags"
DAILY_TERMS = "search.daily_terms"
# Searcher rows older than this many days go (trending reads the last 24 hours; one more day
# covers a window that starts yesterday).
SEARCHER_DAYS = 2
_TAG_BATCH = 500


def searcher_digest(secret: bytes, day: date, viewer_id: int | None, ip: str) -> str:
    """Who searched, as popularity counts them: the account, else the address (an IPv6 /64, which
    one client rotates through freely), HMAC'd under the app secret with the day, so the table
    holds neither and one person's rows of two days cannot be linked."""
    who = f"u:{viewer_id}" if viewer_id is not None else f"ip:{source_key(ip)}"
    return hmac.new(secret, f"search-searcher:{day.isoformat()}:{who}".encode(), hashlib.sha256).hexdigest()[:32]


def history_digest(text: str) -> str:
    """What makes two history entries the same query: their whole normalised text (a suggestion
    key is cut short; a history entry is not)."""
    whole = " ".join(normalize_for_match(text).split())
    return hashlib.sha256(whole.encode("utf-8", "replace")).hexdigest()


def _query_term(session: Session, key: str, now: datetime) -> int:
    """The id of the query term ``key``, made if new (concurrent makers: one row, both get its id)."""
    full, initials = pinyin_keys(key)
    insert = dialect_insert(session, SearchTerm).values(
        id=ids.new_id(now), kind="query", ident=key, text=key, key=key, pinyin=full, initials=initials, weight=0,
        updated_at=now)
    upsert = insert.on_conflict_do_update(index_elements=["kind", "ident"], set_={"updated_at": now})
    return int(session.execute(upsert.returning(SearchTerm.id)).scalar_one())


def _remember(session: Session, user_id: int, text: str, now: datetime, keep: int) -> None:
    digest = history_digest(text)
    entry = session.scalar(select(SearchHistoryEntry).where(SearchHistoryEntry.user_id == user_id,
                                                            SearchHistoryEntry.digest == digest))
    if entry is not None:  # searched again: to the top, as typed this time
        entry.searched_at, entry.text = now, text
        session.flush()
    else:
        insert_ignore(session, SearchHistoryEntry, {"id": ids.new_id(now), "user_id": user_id, "digest": digest,
                                                    "text": text, "searched_at": now})
    newest = (select(SearchHistoryEntry.id).where(SearchHistoryEntry.user_id == user_id)
              .order_by(SearchHistoryEntry.searched_at.desc(), SearchHistoryEntry.id.desc()).limit(keep))
    session.execute(delete(SearchHistoryEntry).where(SearchHistoryEntry.user_id == user_id,
                                                     SearchHistoryEntry.id.not_in(newest)))


def record_search(services: Services, session: Session, viewer_id: int | None, ip: str, text: str, *,
                  found: bool, paging: bool = False) -> None:
    """Note a search the notes search just answered (the API's and the page's one hook): into the
    viewer's history when logged in, and — when it found something — one count for the query from
    this searcher today (``QuerySearcher``; the first time only, so repeating a query does not make
    it popular). Later pages of the same search (``paging``) record nothing.

    Best effort, in its own write transaction after the read: a failure is logged, never the
    search's. A repeat from the same searcher on the same day is recognised in the cache and costs
    no write at all."""
    if paging:
        return
    now = services.clock.now()
    key = key_of(text)
    count = found and bool(key)
    if count:
        day = now.date()
        searcher = searcher_digest(services.secret, day, viewer_id, ip)
        seen = "search:seen:" + hashlib.sha256(f"{day}|{searcher}|{key}".encode()).hexdigest()[:32]
        count = services.cache.add(seen, b"1", 86400 + 3600)
    if viewer_id is None and not count:
        return
    try:
        with write(session):
            if viewer_id is not None:
                _remember(session, viewer_id, text, now, services.settings.search.history_size)
            if count:
                term_id = _query_term(session, key, now)
                if insert_ignore(session, QuerySearcher, {"term_id": term_id, "day": now.date(),
                                                          "searcher": searcher, "seen_at": now}):
                    session.execute(update(SearchTerm).where(SearchTerm.id == term_id)
                                    .values(weight=SearchTerm.weight + 1))
    except SQLAlchemyError:
        log.exception("search: recording a search failed")
        return
    if count and services.cache.add(f"search:daily:{now.date()}", b"1", 3 * 86400):
        # The first counted search of a day (cluster-wide with a shared cache) starts the day's
        # upkeep: old searcher rows go, tag counts are recounted from scratch.
        services.queue.enqueue(DAILY_TERMS, {})


def _rowcount(result: object) -> int:
    # A DELETE's result is a CursorResult; the session's signature only promises a Result.
    return int(getattr(result, "rowcount", 0) or 0)


def clear_history(session: Session, user_id: int) -> int:
    """Forget all of an account's searches; how many entries went."""
    with write(session):
        result = session.execute(delete(SearchHistoryEntry).where(SearchHistoryEntry.user_id == user_id))
    return _rowcount(result)


def delete_history_entry(session: Session, user_id: int, entry_id: int) -> None:
    """Forget one search; another account's entry (or none) is ``search_history.not_found`` (404),
    as it would be if it did not exist."""
    with write(session):
        gone = session.execute(delete(SearchHistoryEntry).where(SearchHistoryEntry.id == entry_id,
                                                                SearchHistoryEntry.user_id == user_id))
        if not _rowcount(gone):
            raise not_found("search_history")


def _tag_counts(session: Session, tags: Sequence[str] | None) -> dict[str, int]:
    query = (select(NoteTag.tag, func.count()).join(Note, Note.id == NoteTag.note_id)
             .join(User, User.id == Note.author_id)
             .where(Note.status == PUBLISHED, User.is_active.is_(True)).group_by(NoteTag.tag))
    if tags is not None:
        query = query.where(NoteTag.tag.in_(tags))
    return {tag: int(n) for tag, n in session.execute(query).all()}


def _store_tags(session: Session, counts: dict[str, int], now: datetime) -> None:
    items = sorted(counts.items())
    for start in range(0, len(items), _TAG_BATCH):
        rows = []
        for tag, n in items[start:start + _TAG_BATCH]:
            key = key_of(tag)
            if not key:
                continue
            full, initials = pinyin_keys(key)
            rows.append({"id": ids.new_id(now), "kind": "tag", "ident": tag, "text": tag, "key": key, "pinyin": full,
                         "initials": initials, "weight": n, "updated_at": now})
        if rows:
            insert = dialect_insert(session, SearchTerm).values(rows)
            session.execute(insert.on_conflict_do_update(
                index_elements=["kind", "ident"], set_={"weight": insert.excluded.weight, "updated_at": now}))


def sync_tags(services: Services, tags: Iterable[str]) -> None:
    """Recount ``tags`` (published notes by active accounts): a tag with notes is a term with that
    weight, one without leaves the terms. Idempotent."""
    wanted = sorted(set(tags))
    if not wanted:
        return
    now = services.clock.now()
    with services.sessions() as session:
        counts = _tag_counts(session, wanted)
        with write(session):
            _store_tags(session, counts, now)
            gone = [t for t in wanted if t not in counts]
            if gone:
                session.execute(delete(SearchTerm).where(SearchTerm.kind == "tag", SearchTerm.ident.in_(gone)))


def note_tags(services: Services, note_id: int) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(NoteTag.tag).where(NoteTag.note_id == note_id)))


@NOTE_DELETING.join
def _note_deleting(session: Session, note_id: int) -> None:
    # The tags go with the note (ON DELETE CASCADE) and ``note.deleted`` does not name them: read
    # them here, in the delete's transaction, and recount them after it commits.
    tags = list(session.scalars(select(NoteTag.tag).where(NoteTag.note_id == note_id)))
    if tags:
        events.enqueue_after_commit(session, COUNT_TAGS, {"tags": tags})


def refresh_tags(services: Services) -> int:
    """Recount every tag from the notes (the day's upkeep, and ``redbridge search reindex``): heals
    what the per-note recounts cannot see (a tag an edit removed). Returns the tags kept."""
    now = services.clock.now()
    with services.sessions() as session:
        counts = _tag_counts(session, None)
        with write(session):
            _store_tags(session, counts, now)
            stale = [t for t in session.scalars(select(SearchTerm.ident).where(SearchTerm.kind == "tag"))
                     if t not in counts]
            for start in range(0, len(stale), _TAG_BATCH):
                session.execute(delete(SearchTerm).where(SearchTerm.kind == "tag",
                                                         SearchTerm.ident.in_(stale[start:start + _TAG_BATCH])))
    return len(counts)


def prune_searchers(services: Services) -> int:
    """Drop searcher rows older than ``SEARCHER_DAYS`` days (their counts stay in the terms'
    weights); how many went."""
    cutoff = services.clock.now().date() - timedelta(days=SEARCHER_DAYS)
    with services.sessions() as session, write(session):
        result = session.execute(delete(QuerySearcher).where(QuerySearcher.day < cutoff))
    return _rowcount(result)
