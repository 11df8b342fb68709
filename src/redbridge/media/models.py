"""Stored media: re-encoded images, videos and their derived files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime


class Media(Base):
    """One uploaded image or video.

    ``status`` is ``ready`` once the stored copy exists; images are re-encoded synchronously on
    upload (so a rejected file never becomes a row), video posters are made by a job. A media row
    is attached to at most one note (``note_id``, ``position`` for carousel order) or used as an
    avatar; unattached uploads older than a day are garbage.
    """

    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_note", "note_id", "position"),
        # Deleting a blocklist entry sets its matches' ``blocked_by`` to NULL: found by index.
        Index("ix_media_blocked_by", "blocked_by"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # image | video
    status: Mapped[str] = mapped_column(String(10), default="ready")  # pending | ready | failed
    content_type: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))  # storage key of the served file
    thumb_key: Mapped[str | None] = mapped_column(String(120))  # image thumbnail or video poster thumb
    poster_key: Mapped[str | None] = mapped_column(String(120))  # video poster (full size)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    thumb_width: Mapped[int] = mapped_column(Integer, default=0)
    thumb_height: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    alt: Mapped[str] = mapped_column(String(200), default="")
    note_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("notes.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Image moderation (``moderation.images``), computed in the worker that re-encodes: the 64-bit
    # pHash (signed, as BIGINT holds it), the open_nsfw probability (None: not scored, e.g. a
    # video, or the model is off), the verdict the thresholds gave at upload (allow | label | hold),
    # and the blocklist entry a later match found (``safety.image_blocked``; a refused upload is
    # never a row). A note takes the strongest verdict of its pictures.
    phash: Mapped[int | None] = mapped_column(BigInteger)
    nsfw_score: Mapped[float | None] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(10), default="allow")
    blocked_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("image_blocklist.id", ondelete="SET NULL"))
