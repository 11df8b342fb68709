"""Reads for media: rows by id or note, and the public (URL) shape of a stored file."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.media.models import Media
from redbridge.media.schemas import MediaOut, media_url

# Content types by the extensions this feature writes. Serving anything else is refused: every
# stored key ends in one of these, so another name is either garbage or a storage temp file.
CONTENT_TYPES: dict[str, str] = {
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
}


def content_type_for(key: str) -> str | None:
    """The content type a stored key is served with, or None for a name we never write."""
    _, dot, ext = key.rpartition(".")
    return CONTENT_TYPES.get(ext) if dot else None


def media_out(media: Media) -> MediaOut:
    return MediaOut(
        id=ids.encode(media.id),
        kind=media.kind,
        status=media.status,
        content_type=media.content_type,
        url=media_url(media.key) or "",
        thumb_url=media_url(media.thumb_key),
        poster_url=media_url(media.poster_key),
        width=media.width,
        height=media.height,
        thumb_width=media.thumb_width,
        thumb_height=media.thumb_height,
        duration_s=media.duration_s,
        alt=media.alt,
    )


def by_ids(session: Session, media_ids: Iterable[int]) -> dict[int, Media]:
    wanted = list(set(media_ids))
    if not wanted:
        return {}
    return {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(wanted)))}


def for_note(session: Session, note_id: int) -> list[Media]:
    """A note's carousel in display order, freshly read (a poster job may have finished since
    these rows were loaded into the session)."""
    query = select(Media).where(Media.note_id == note_id).order_by(Media.position, Media.id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def owned(session: Session, media_id: int, owner_id: int) -> Media:
    """One of the owner's uploads; anyone else's (or an unknown id) is not found."""
    media = session.get(Media, media_id)
    if media is None or media.owner_id != owner_id:
        raise not_found("media")
    return media
