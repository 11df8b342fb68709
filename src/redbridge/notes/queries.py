"""Reads for notes: visibility and the full note shape (NoteOut) in a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.accounts.queries import brief, is_blocked_either_way
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.engagement.models import Collect, Like
from redbridge.media.queries import for_note, media_out
from redbridge.notes.models import Note, NoteTag
from redbridge.notes.schemas import NoteOut, Place, ShareOut


def get_visible(session: Session, note_id: int, viewer_id: int | None) -> tuple[Note, User]:
    """The note and its author as ``viewer_id`` (None: anonymous) may see them; 404 when the note
    does not exist, its author is deactivated, or either of the two has blocked the other."""
    row = session.execute(select(Note, User).join(User, User.id == Note.author_id).where(Note.id == note_id)).first()
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


def _viewer_flags(session: Session, note_id: int, viewer_id: int | None) -> tuple[bool, bool]:
    if viewer_id is None:
        return False, False
    liked, collected = session.execute(
        select(
            exists().where(Like.user_id == viewer_id, Like.note_id == note_id),
            exists().where(Collect.user_id == viewer_id, Collect.note_id == note_id),
        )
    ).one()
    return bool(liked), bool(collected)


def note_out(session: Session, note: Note, viewer_id: int | None, base_url: str, *,
             author: User | None = None) -> NoteOut:
    """The full note: author (pass it when already loaded), tags, media, viewer flags — at most
    four queries whatever the carousel size."""
    author = author if author is not None else session.get(User, note.author_id)
    if author is None:
        raise not_found("note")
    tags = sorted(session.scalars(select(NoteTag.tag).where(NoteTag.note_id == note.id)))
    liked, collected = _viewer_flags(session, note.id, viewer_id)
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
