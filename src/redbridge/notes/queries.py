"""Reads for notes: visibility and the full note shape (NoteOut) in a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from redbridge.accounts.models import User
from redbridge.accounts.queries import BLOCKED_EITHER_WAY, brief, is_blocked_either_way
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.engagement.models import Collect, Like
from redbridge.media.queries import for_note, media_out
from redbridge.notes.models import Note, NoteTag
from redbridge.notes.schemas import NoteOut, Place, ShareOut


def get_visible(session: Session, note_id: int, viewer_id: int | None, *, lock: bool = False) -> tuple[Note, User]:
    """The note and its author as ``viewer_id`` (None: anonymous) may see them; 404 when the note
    does not exist, its author is deactivated, or either of the two has blocked the other.

    The one visibility rule of a note: every note-, comment- and collect-scoped read and write
    (the note page, its comments and replies, likes, collects, comments) answers through it, so a
    note hidden from someone is hidden in every way they could reach it. ``lock``: in a write
    transaction, also lock the note row (``FOR NO KEY UPDATE``: the lock order of the notes and
    engagement actions, and the note cannot be deleted under the write)."""
    query = select(Note, User).join(User, User.id == Note.author_id).where(Note.id == note_id)
    if lock:
        query = query.with_for_update(key_share=True, of=Note).execution_options(populate_existing=True)
    row = session.execute(query).first()
    if row is None:
        raise not_found("note")
    note, author = row
    if not author.is_active:
        raise not_found("note")
    if viewer_id is not None and viewer_id != author.id and is_blocked_either_way(session, viewer_id, author.id):
        raise not_found("note")
    return note, author


def share_url(base_url: str, note_id: int) -> str:
    return f"{base_url.rstrip('/')}/n/{ids.encode(note_id)}"


def share(note: Note, base_url: str) -> ShareOut:
    return ShareOut(url=share_url(base_url, note.id), title=note.title, text=f"{note.title} — Redbridge")


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
    )


# How far back tag suggestions look: the newest tag rows only, so the query stays an index range
# scan (``note_tags`` is keyed by note id, and ids grow with time) however large the site gets.
SUGGESTION_WINDOW = 2000


def suggested_tags(session: Session, author_id: int, limit: int = 20) -> list[str]:
    """Tags to suggest in the composer: the author's own most used ones first, then the most used
    on the newest notes site-wide (both counted over the newest tag rows only)."""
    def most_used(*where: ColumnElement[bool]) -> list[str]:
        recent = (select(NoteTag.tag).join(Note, Note.id == NoteTag.note_id).where(*where)
                  .order_by(NoteTag.note_id.desc()).limit(SUGGESTION_WINDOW).subquery())
        uses = func.count()
        return list(session.scalars(
            select(recent.c.tag).group_by(recent.c.tag).order_by(uses.desc(), recent.c.tag).limit(limit)
        ))

    own = most_used(Note.author_id == author_id)
    return list(dict.fromkeys([*own, *most_used()]))[:limit]
