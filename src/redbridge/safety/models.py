"""Reports and the audit log. The queue items reports join live with the pipeline's decisions in
``moderation.models`` (a hold opens one in the note's or comment's own transaction, and that layer
sits below every content feature)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime
from redbridge.moderation.models import SUBJECT_KIND

CATEGORIES = ("harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data")
REPORT_REASONS = (*CATEGORIES, "other")


class Report(Base):
    """One person's report of one queue item. A second report by the same person while the item is
    open merges into the first (the unique key); reports by others join the same item and raise its
    ``report_count``. ``outcome`` is the decision's, copied when the item closes, so the reporter's
    list needs no join."""

    __tablename__ = "safety_reports"
    __table_args__ = (
        UniqueConstraint("queue_item_id", "reporter_id", name="uq_safety_reports_item_reporter"),
        Index("ix_safety_reports_reporter", "reporter_id", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    queue_item_id: Mapped[int] = mapped_column(IdType, ForeignKey("moderation_queue.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    subject_kind: Mapped[str] = mapped_column(SUBJECT_KIND)  # note | comment | user
    subject_id: Mapped[int] = mapped_column(IdType)
    reason: Mapped[str] = mapped_column(String(20))  # REPORT_REASONS
    detail: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str | None] = mapped_column(String(10))  # the queue item's, once decided
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Appeal(Base):
    """An author's appeal of a moderator's removal: one per decision (the unique key), opening a
    queue item for the subject again (``queue_item_id``), decided by a moderator other than the one
    who removed it (``removed_by``). ``outcome``: upheld | reinstated, once decided."""

    __tablename__ = "safety_appeals"
    __table_args__ = (
        UniqueConstraint("decision_id", name="uq_safety_appeals_decision"),
        Index("ix_safety_appeals_state", "state", "id"),
        Index("ix_safety_appeals_author", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    decision_id: Mapped[int] = mapped_column(IdType, ForeignKey("moderation_decisions.id", ondelete="CASCADE"))
    queue_item_id: Mapped[int] = mapped_column(IdType, ForeignKey("moderation_queue.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    subject_kind: Mapped[str] = mapped_column(SUBJECT_KIND)  # note | comment
    subject_id: Mapped[int] = mapped_column(IdType)
    text: Mapped[str] = mapped_column(String(1000))
    removed_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    outcome: Mapped[str | None] = mapped_column(String(10))  # upheld | reinstated
    decided_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


ACCOUNT_ACTIONS = ("warn", "mute", "suspend", "ban")
ACTION_REASONS = (*CATEGORIES, "other")


class AccountAction(Base):
    """A moderator's action on an account: ``warn`` (a notice), ``mute`` (no posting until
    ``until``), ``suspend`` (no login until ``until``), ``ban`` (suspended for good: ``until`` is
    None). What is in force is copied onto ``users.muted_until`` / ``suspended_until``
    (``safety.actions._refresh_standing``), so the hot paths never read this table. Lifting early
    sets ``lifted_at`` / ``lifted_by``; rows are never deleted (the account's history)."""

    __tablename__ = "account_actions"
    __table_args__ = (Index("ix_account_actions_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    moderator_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(10))  # ACCOUNT_ACTIONS
    reason: Mapped[str] = mapped_column(String(20))  # ACTION_REASONS
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # mute, suspend
    # The queue item it decided (a reported profile, or the removal it came with), if any.
    queue_item_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("moderation_queue.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
