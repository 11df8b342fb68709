"""Jobs of the notes feature."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from redbridge.core.db import write
from redbridge.core.jobs import job
from redbridge.core.services import Services
from redbridge.notes.models import Note
from redbridge.notes.ranking import hot_score


@job("notes.recompute_hot", on=("note.engaged",), retries=3)
def recompute_hot(services: Services, payload: dict[str, Any]) -> None:
    """Refresh a note's hot rank from its current counters (idempotent: safe to retry or repeat)."""
    note_id = int(payload["note_id"])
    # Read and write in one write transaction: counters read before the write lock could be
    # overtaken by a like committed in between, leaving a stale rank until the next engagement.
    with services.sessions() as session, write(session):
        row = session.execute(
            select(Note.like_count, Note.collect_count, Note.comment_count, Note.created_at).where(Note.id == note_id)
        ).first()
        if row is None:
            return  # deleted meanwhile: the block commits an empty transaction
        likes, collects, comments, created = row
        session.execute(update(Note).where(Note.id == note_id).values(hot=hot_score(likes, collects, comments, created)))
