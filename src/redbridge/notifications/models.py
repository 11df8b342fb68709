"""Notifications: likes, collects, comments, replies, follows, @mentions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime

# Notices from the moderators (``actor_id`` is the recipient: moderators act unnamed).
MODERATION_KINDS = frozenset({"moderation", "appeal", "account", "report"})


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient", "recipient_id", "id"),
        Index("ix_notifications_unread", "recipient_id", "read_at"),
        # A redelivered event (the outbox delivers at least once) cannot notify anyone twice.
        Index("ix_notifications_event", "event_id", "recipient_id", unique=True),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    recipient_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # like | collect | comment | reply | follow | mention | comment_like | MODERATION_KINDS
    note_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("notes.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The outbox row that caused it (``core.outbox.EVENT_ID``); None for notifications made otherwise.
    event_id: Mapped[int | None] = mapped_column(IdType)
    # What a moderation notice says (kinds in ``MODERATION_KINDS``: the decision, reason code,
    # outcome, action and its end), so the inbox renders it in the reader's language without
    # reading the safety tables. None for the social kinds.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
