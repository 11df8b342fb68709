"""Test helpers shared by the engagement and notification tests: read counters straight from the
database (the notes API is not what is under test) and count rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from redbridge.accounts.models import User
from redbridge.core.services import Services
from redbridge.engagement.models import Collection, Comment
from redbridge.notes.models import Note
from tests.factories import UserHandle


def note_counts(services: Services, note_id: int) -> dict[str, int]:
    with services.sessions() as session:
        note = session.get(Note, note_id)
        assert note is not None
        return {"likes": note.like_count, "collects": note.collect_count, "comments": note.comment_count}


def received(services: Services, user: UserHandle) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(User.engagement_received).where(User.id == user.int_id)) or 0)


def rows(services: Services, model: Any, **where: Any) -> int:
    with services.sessions() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            column = getattr(model, name)
            query = query.where(column.is_(None) if value is None else column == value)
        return int(session.scalar(query) or 0)


def collection_count(services: Services, collection_id: str) -> int:
    with services.sessions() as session:
        found = session.get(Collection, int(collection_id))
        assert found is not None
        return found.note_count


def comment_counts(services: Services, comment_id: str) -> dict[str, int]:
    with services.sessions() as session:
        found = session.get(Comment, int(comment_id))
        assert found is not None
        return {"likes": found.like_count, "replies": found.reply_count}


def make_admin(services: Services, user: UserHandle) -> None:
    with services.sessions() as session:
        session.execute(update(User).where(User.id == user.int_id).values(role="admin"))
        session.commit()
