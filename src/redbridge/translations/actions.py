"""Writes of the translation store: storing what an engine produced, dropping an item's old rows.

Both are called from jobs (never from a request: the request path only reads). Each owns its
transaction (``core.db.write``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from redbridge.core.db import dialect_insert, write
from redbridge.translation.cache import CachedTranslation, CacheKey
from redbridge.translations.models import StoredTranslation


def store(session: Session, key: CacheKey, value: CachedTranslation, subject: str | None, now: datetime) -> None:
    """Insert the row for ``key``, or (a concurrent job, a second item with the same text) update
    its text and subject: the newest answer under a key wins, and the key never repeats."""
    values = {"source": key.source, "target": key.target, "engine": key.engine, "digest": key.digest,
              "text": value.text, "subject": subject, "created_at": now}
    insert = dialect_insert(session, StoredTranslation).values(**values)
    update = {"text": insert.excluded.text, "created_at": insert.excluded.created_at}
    if subject is not None:
        update["subject"] = insert.excluded.subject
    with write(session):
        session.execute(insert.on_conflict_do_update(
            index_elements=["source", "target", "engine", "digest"], set_=update))


def forget_subject(session: Session, subject: str, keep: Collection[str] = ()) -> list[CacheKey]:
    """Delete the rows of ``subject`` whose text hash is not in ``keep`` (the item's current
    texts); the keys that went, for the caller to drop from the shared cache too."""
    where = [StoredTranslation.subject == subject]
    if keep:
        where.append(StoredTranslation.digest.not_in(list(keep)))
    with write(session):
        rows = session.execute(select(StoredTranslation.id, StoredTranslation.source, StoredTranslation.target,
                                      StoredTranslation.engine, StoredTranslation.digest).where(*where)).all()
        if rows:
            session.execute(delete(StoredTranslation).where(StoredTranslation.id.in_([row.id for row in rows])))
    return [CacheKey(row.source, row.target, row.engine, row.digest) for row in rows]
