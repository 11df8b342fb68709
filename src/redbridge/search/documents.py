"""Notes as the index holds them: read from the database, analysed, findable or not.

Findable = published and by an active account: exactly what a stranger may read. Blocks and mutes
are per reader, so they are applied at query time, not here. Read by the indexing jobs (so this
module imports no read cache: the writes contract) and by ``redbridge search reindex``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.notes.models import PUBLISHED, Note, NoteTag
from redbridge.search.analysis import analyse
from redbridge.search.backend import NoteDoc
from redbridge.translations.queries import note_translations

REBUILD_BATCH = 500


def findable() -> Select[Any]:
    """Notes a stranger may read: published, by an active account."""
    return select(Note).join(User, User.id == Note.author_id).where(Note.status == PUBLISHED, User.is_active.is_(True))


def _tags(session: Session, notes: Sequence[Note]) -> dict[int, list[str]]:
    """Each note's tags, sorted."""
    tags: dict[int, list[str]] = defaultdict(list)
    if notes:
        for note_id, tag in session.execute(select(NoteTag.note_id, NoteTag.tag)
                                            .where(NoteTag.note_id.in_([n.id for n in notes]))
                                            .order_by(NoteTag.note_id, NoteTag.tag)):
            tags[note_id].append(tag)
    return tags


def _docs(session: Session, notes: Sequence[Note]) -> list[NoteDoc]:
    tags = _tags(session, notes)
    translated = note_translations(session, notes)
    return [
        NoteDoc(
            note_id=n.id, author_id=n.author_id, title=analyse(n.title), body=analyse(n.body),
            tags=analyse(" ".join(tags[n.id])), lang=n.lang, kind=n.kind,
            created_at=int(n.created_at.timestamp()), like_count=n.like_count, collect_count=n.collect_count,
            comment_count=n.comment_count, lat=n.place_lat, lng=n.place_lng,
            translated=analyse(" ".join(translated.get(n.id, ()))),
        )
        for n in notes
    ]


def load(session: Session, note_ids: Sequence[int]) -> dict[int, NoteDoc]:
    """The findable ones among ``note_ids``; an id missing from the answer must leave the index."""
    if not note_ids:
        return {}
    notes = list(session.scalars(findable().where(Note.id.in_(list(note_ids)))))
    return {doc.note_id: doc for doc in _docs(session, notes)}


def passages(session: Session, note_ids: Sequence[int]) -> dict[int, tuple[str, str, list[str]]]:
    """(title, body, tags) of the findable ones among ``note_ids``, as typed: what dense retrieval
    embeds (``search.dense.NoteEmbedder.notes``)."""
    if not note_ids:
        return {}
    notes = list(session.scalars(findable().where(Note.id.in_(list(note_ids)))))
    tags = _tags(session, notes)
    return {n.id: (n.title, n.body, tags[n.id]) for n in notes}


def findable_ids(session: Session) -> set[int]:
    return set(session.scalars(findable().with_only_columns(Note.id)))


def any_findable(session: Session) -> bool:
    return bool(session.scalar(select(findable().with_only_columns(Note.id).limit(1).exists())))


def is_active(session: Session, user_id: int) -> bool:
    return bool(session.scalar(select(User.is_active).where(User.id == user_id)))


def all_findable(session: Session, batch: int = REBUILD_BATCH) -> Iterator[list[NoteDoc]]:
    """Every findable note, in id order, ``batch`` at a time (keyset: no OFFSET scans)."""
    after = -1
    while True:
        notes = list(session.scalars(findable().where(Note.id > after).order_by(Note.id).limit(batch)))
        if not notes:
            return
        yield _docs(session, notes)
        after = notes[-1].id


def total_findable(session: Session) -> int:
    return int(session.scalar(findable().with_only_columns(func.count(Note.id))) or 0)
