"""Likes, collects (收藏) into named collections, comments with one level of replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime


class Like(Base):
    __tablename__ = "likes"
    __table_args__ = (Index("ix_likes_note", "note_id"), Index("ix_likes_user_time", "user_id", "created_at"))

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    note_id: Mapped[int] = mapped_column(IdType, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_collections_owner_name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200), default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    note_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Collect(Base):
    """A user's collect of a note: once per user and note, optionally filed in one collection."""

    __tablename__ = "collects"
    __table_args__ = (
        Index("ix_collects_note", "note_id"),
        Index("ix_collects_collection", "collection_id", "id"),
        Index("ix_collects_user", "user_id", "id"),
        UniqueConstraint("user_id", "note_id", name="uq_collects_user_note"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(IdType, ForeignKey("notes.id", ondelete="CASCADE"))
    collection_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("collections.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Comment(Base):
    """A comment on a note; ``parent_id`` set makes it a reply (one level: replies to replies
    hang off the same top-level comment and name the person answered in ``reply_to_user_id``)."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_note_top", "note_id", "parent_id", "id"),
        Index("ix_comments_parent", "parent_id", "id"),
        Index("ix_comments_status", "status", "id"),  # held comments for the review queue (phase 2)
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    note_id: Mapped[int] = mapped_column(IdType, ForeignKey("notes.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("comments.id", ondelete="CASCADE"))
    reply_to_user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # published | held | removed, as a note's (``notes.models.NOTE_STATES``): a held comment is
    # shown to its author (marked) and moderators only, and is not in any count others see.
    status: Mapped[str] = mapped_column(String(10), default="published", server_default="published")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommentLike(Base):
    __tablename__ = "comment_likes"

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    comment_id: Mapped[int] = mapped_column(IdType, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
