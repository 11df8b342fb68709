"""Notes (笔记) and their tags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime

PUBLISHED, HELD, REMOVED = "published", "held", "removed"
NOTE_STATES = (PUBLISHED, HELD, REMOVED)


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_author", "author_id", "id"),
        Index("ix_notes_hot", "hot"),
        Index("ix_notes_topic_hot", "topic", "hot"),
        # Held and removed notes, oldest first: the review queue's scan (phase 2) and counts. Feeds
        # do not need it: they read published notes through their own indexes and drop the rare
        # others as they go (``status`` is on every row they touch).
        Index("ix_notes_status", "status", "id"),
        # Search's place filter finds a place by name, in any case (``search.queries.place_point``).
        Index("ix_notes_place_name_lower", func.lower(text("place_name"))),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # image | video | text
    title: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(8))  # en | zh | mixed | other
    topic: Mapped[str | None] = mapped_column(String(20))
    place_name: Mapped[str | None] = mapped_column(String(80))
    place_lat: Mapped[float | None] = mapped_column(Float)
    place_lng: Mapped[float | None] = mapped_column(Float)
    cover_media_id: Mapped[int | None] = mapped_column(IdType)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    collect_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Time-invariant "hot" rank (log engagement + creation time / gravity), kept current by a job
    # after every engagement change. Its index serves explore's candidate pool without a scan.
    hot: Mapped[float] = mapped_column(Float, default=0.0)
    # published | held (visible to its author and moderators only, until reviewed) | removed
    # (``NOTE_STATES``); docs/moderation.md, "Decisions and visibility".
    status: Mapped[str] = mapped_column(String(10), default=PUBLISHED, server_default=PUBLISHED)
    # Shown with the note (e.g. "sensitive"), from a ``label`` decision; None: no label.
    label: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoteTag(Base):
    __tablename__ = "note_tags"
    __table_args__ = (Index("ix_note_tags_tag", "tag", "note_id"),)

    note_id: Mapped[int] = mapped_column(IdType, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)


class NoteView(Base):
    """A reader opened a note (its page or ``GET /api/v1/notes/{id}``): the last time, once per
    reader and note. What search's "not yet seen" scope leaves out (docs/search.md). Written in
    batches off the read path (``notes.views``), so a crash loses at most the last few seconds."""

    __tablename__ = "note_views"
    # The reader's newest views first: the scope reads the most recent ``search.unseen_window``.
    __table_args__ = (Index("ix_note_views_user_viewed", "user_id", "viewed_at"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    note_id: Mapped[int] = mapped_column(IdType, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
