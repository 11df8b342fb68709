"""The full note as a reader sees it (``NoteOut``): the note, its author, tags and media, and the
reader's own like and collect — notes and engagement composed, which is why it lives on the read
side rather than in either feature."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.accounts.queries import BLOCKED_EITHER_WAY, brief
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.engagement.models import Collect, Like
from redbridge.media.queries import for_note, media_out
from redbridge.notes.models import Note, NoteTag
from redbridge.notes.queries import share_url
from redbridge.notes.schemas import NoteOut, Place


def viewer_flags(session: Session, note_id: int, viewer_id: int | None) -> tuple[bool, bool]:
    if viewer_id is None:
        return False, False
    liked, collected = session.execute(_VIEWER_FLAGS, {"viewer": viewer_id, "note": note_id}).one()
    return bool(liked), bool(collected)


# Built once on the tables: runs on every note page a logged-in reader opens.
_likes_t, _collects_t = Like.__table__, Collect.__table__
_VIEWER_FLAGS = select(
    exists().where(_likes_t.c.user_id == bindparam("viewer"), _likes_t.c.note_id == bindparam("note")),
    exists().where(_collects_t.c.user_id == bindparam("viewer"), _collects_t.c.note_id == bindparam("note")),
)


_VIEWER_STATE = select(*_VIEWER_FLAGS.selected_columns, BLOCKED_EITHER_WAY.exists())


def viewer_state(session: Session, note_id: int, viewer_id: int, author_id: int) -> tuple[bool, bool, bool]:
    """(liked, collected, blocked either way) for a logged-in reader of a note whose author is
    known, in one statement (on the connection: the ORM layer would cost more than it runs)."""
    row = session.connection().execute(
        _VIEWER_STATE, {"viewer": viewer_id, "note": note_id, "a": viewer_id, "b": author_id}).one()
    return bool(row[0]), bool(row[1]), bool(row[2])


def note_out(session: Session, note: Note, viewer_id: int | None, base_url: str, *,
             author: User | None = None) -> NoteOut:
    """The full note: author (pass it when already loaded), tags, media, viewer flags — at most
    four queries whatever the carousel size."""
    author = author if author is not None else session.get(User, note.author_id)
    if author is None:
        raise not_found("note")
    tags = sorted(session.scalars(select(NoteTag.tag).where(NoteTag.note_id == note.id)))
    liked, collected = viewer_flags(session, note.id, viewer_id)
    place = (
        Place(name=note.place_name, lat=note.place_lat, lng=note.place_lng) if note.place_name else None
    )
    return NoteOut(
        id=ids.encode(note.id),
        kind=note.kind,
        author=brief(author),
        title=note.title,
        body=note.body,
        lang=note.lang,
        topic=note.topic,
        tags=tags,
        place=place,
        media=[media_out(m) for m in for_note(session, note.id)],
        like_count=note.like_count,
        collect_count=note.collect_count,
        comment_count=note.comment_count,
        liked_by_me=liked,
        collected_by_me=collected,
        share_url=share_url(base_url, note.id),
        created_at=note.created_at,
        updated_at=note.updated_at,
        status=note.status,
        label=note.label,
    )
