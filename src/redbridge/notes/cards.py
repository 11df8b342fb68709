"""Turning note ids into feed cards: one query for notes, one for authors, one for covers,
one for the viewer's likes — whatever the page size."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.accounts.queries import briefs, media_url
from redbridge.core import ids
from redbridge.engagement.models import Like
from redbridge.media.models import Media
from redbridge.notes.models import Note
from redbridge.notes.schemas import Cover, NoteCard


def cover_of(media: Media) -> Cover:
    if media.kind == "video":
        return Cover(url=media_url(media.thumb_key or media.poster_key) or "", width=media.thumb_width or media.width,
                     height=media.thumb_height or media.height, is_video=True)
    return Cover(url=media_url(media.thumb_key or media.key) or "", width=media.thumb_width or media.width,
                 height=media.thumb_height or media.height)


def cards_for(session: Session, notes: Sequence[Note], viewer_id: int | None) -> list[NoteCard]:
    """Cards in the order given. Notes whose author vanished are dropped."""
    if not notes:
        return []
    authors = briefs(session, {n.author_id for n in notes})
    cover_ids = [n.cover_media_id for n in notes if n.cover_media_id is not None]
    covers = {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(cover_ids)))} if cover_ids else {}
    liked: set[int] = set()
    if viewer_id is not None:
        liked = set(session.scalars(
            select(Like.note_id).where(Like.user_id == viewer_id, Like.note_id.in_([n.id for n in notes]))
        ))
    result = []
    for note in notes:
        author = authors.get(note.author_id)
        if author is None:
            continue
        media = covers.get(note.cover_media_id) if note.cover_media_id is not None else None
        result.append(NoteCard(
            id=ids.encode(note.id), kind=note.kind, title=note.title, lang=note.lang, topic=note.topic,
            author=author, cover=cover_of(media) if media is not None else None, like_count=note.like_count,
            liked_by_me=note.id in liked, created_at=note.created_at,
        ))
    return result


def cards_by_ids(session: Session, note_ids: Sequence[int], viewer_id: int | None) -> list[NoteCard]:
    """Cards for ids in the given order (ids of deleted notes are skipped)."""
    if not note_ids:
        return []
    found = {n.id: n for n in session.scalars(select(Note).where(Note.id.in_(list(note_ids))))}
    return cards_for(session, [found[i] for i in note_ids if i in found], viewer_id)
