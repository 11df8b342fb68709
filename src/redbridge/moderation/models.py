"""Stored moderation decisions: what the pipeline (and, in phase 2, a moderator) decided about a
piece of content, with the reason codes and the evidence.

This package sits just above ``text`` in the layers (``core`` and ``text`` only), so it imports
no feature: the tables it points at are named by string (``users.id``), and the subject is a
(kind, id) pair rather than a foreign key, since it may be a note, a comment or a profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime

SUBJECT_KINDS = ("note", "comment", "profile")
SOURCES = ("pipeline", "moderator")


class ModerationDecision(Base):
    """One decision about one subject. ``allow`` from the pipeline is not stored (it is the
    overwhelming majority and says nothing); every other decision is, in the transaction of the
    write it decided about, so a held note never exists without the decision that held it."""

    __tablename__ = "moderation_decisions"
    __table_args__ = (
        # A subject's history, newest last: "why is this held", and the latest decision.
        Index("ix_moderation_decisions_subject", "subject_kind", "subject_id", "id"),
        # An author's history (the review queue shows it; phase 2), and the cascade on account deletion.
        Index("ix_moderation_decisions_author", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    subject_kind: Mapped[str] = mapped_column(String(10))  # SUBJECT_KINDS
    subject_id: Mapped[int] = mapped_column(IdType)
    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(10))  # allow | label | hold | reject
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # category codes
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(10))  # SOURCES
    moderator_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
