"""What the media API answers: an upload as clients see it, and the public URL of a stored file."""

from __future__ import annotations

from pydantic import BaseModel


def media_url(key: str | None) -> str | None:
    """The public URL of a stored file (served by ``media.routes``), None for no file."""
    return f"/media/{key}" if key else None


class MediaOut(BaseModel):
    id: str
    kind: str
    status: str
    content_type: str
    url: str
    thumb_url: str | None
    poster_url: str | None
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    duration_s: float | None
    alt: str
