"""The durable tier of the translation cache: one row per (source, target, engine, text hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime


class StoredTranslation(Base):
    """``subject`` ("note:12", "comment:7") is the item whose text was translated last under this
    key; it is how an edit or delete finds the rows of the old text. The key is content-addressed,
    so two items with the same text share one row (the later one names itself the subject)."""

    __tablename__ = "translations"
    __table_args__ = (
        UniqueConstraint("source", "target", "engine", "digest", name="uq_translations_key"),
        Index("ix_translations_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommunityTranslation(Base):
    """A reader's own translation of a note or comment into ``target``: one per author, subject and
    target (submitting again replaces the text and clears its votes). ``source_digest`` is the
    item's digest (``queries.Item.digest``) when it was written: after an edit it no longer
    matches and the translation is not shown, since it translates text that is gone. ``status``
    is a note's (published | held | removed): submitted text goes through the moderation
    pipeline, and a held one is seen by its author and moderators only."""

    __tablename__ = "community_translations"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "target", "author_id", name="uq_community_translations_author"),
        Index("ix_community_translations_subject", "subject_kind", "subject_id", "target", "status", "score"),
        Index("ix_community_translations_note", "note_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(IdType)
    # The note (a comment's note): deleting a note deletes its comments without an event each, and
    # their translations go by this.
    note_id: Mapped[int] = mapped_column(IdType)
    target: Mapped[str] = mapped_column(String(8))
    source_digest: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="published", server_default="published")
    # up votes minus down votes, and how many voted: kept in the vote's transaction (row locked).
    score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommunityVote(Base):
    """One reader's vote on a community translation: +1 or -1."""

    __tablename__ = "community_translation_votes"

    translation_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("community_translations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
