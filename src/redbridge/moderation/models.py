"""Stored moderation decisions: what the pipeline (and, in phase 2, a moderator) decided about a
piece of content, with the reason codes and the evidence.

This package sits just above ``text`` in the layers (``core`` and ``text`` only), so it imports
no feature: the tables it points at are named by string (``users.id``), and the subject is a
(kind, id) pair rather than a foreign key, since it may be a note, a comment or a profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime

SUBJECT_KINDS = ("note", "comment", "profile")
SOURCES = ("pipeline", "moderator", "appeal")  # appeal: a moderator's decision on an appeal
# What a moderator decides about a queue item (``moderation_decisions.decision`` for source
# ``moderator``); the pipeline's are allow | label | hold | reject.
MODERATOR_DECISIONS = ("approve", "remove", "label")
QUEUE_KINDS = ("note", "comment", "user")
OPEN, CLOSED = "open", "closed"


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


class QueueItem(Base):
    """One piece of content waiting for a moderator: held by the pipeline, reported, or both.

    At most one *open* item per subject (the partial unique index): a second hold or a new report
    joins it (``moderation.queue.open_item``). A decision closes it with its ``outcome``; content
    reported again after that opens a new item. ``categories`` is the set of category codes the
    pipeline and the reporters gave, stored as ``",spam,threat,"`` so one ``LIKE '%,spam,%'``
    filters it on both engines. ``subject_kind`` is ``note`` / ``comment`` / ``user`` (the queue's
    kinds; a user's decision rows say ``profile``)."""

    __tablename__ = "moderation_queue"
    __table_args__ = (
        # The queue's scan: open items, oldest first.
        Index("ix_moderation_queue_state", "state", "id"),
        Index("uq_moderation_queue_open_subject", "subject_kind", "subject_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    subject_kind: Mapped[str] = mapped_column(String(10))  # QUEUE_KINDS
    subject_id: Mapped[int] = mapped_column(IdType)
    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    held: Mapped[bool] = mapped_column(Boolean, default=False)  # held by the pipeline (not only reported)
    categories: Mapped[str] = mapped_column(String(200), default=",")
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default=OPEN)  # open | closed
    # approved | removed | labelled (a moderator), lifted (a clean edit lifted the pipeline's hold)
    outcome: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))


class AuditEntry(Base):
    """One moderator or admin action (or a rules change from the command line: ``actor_id`` None),
    written in the action's own transaction (:func:`redbridge.moderation.audit.audit`): a decision
    that happened has its row, and a row never describes one that rolled back. It lives in this
    layer, below every staff feature (safety, rules), so each writes its own rows."""

    __tablename__ = "safety_audit"
    __table_args__ = (Index("ix_safety_audit_actor", "actor_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    actor_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # queue.approve | queue.remove | queue.label | role.set
    subject_kind: Mapped[str] = mapped_column(String(10))  # note | comment | user
    subject_id: Mapped[int] = mapped_column(IdType)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- the rules editor (migration 0007) ----------------------------------------------------------


class ModerationRule(Base):
    """An administrator's rule: a term or a regex, compiled into the checker in force next to the
    shipped lists (``redbridge.moderation.live``). Its lexicon id is ``admin:<encoded id>``. A
    pattern is stored once per kind (the unique key), so an import can match a file's entries to
    rows by (kind, pattern)."""

    __tablename__ = "moderation_rules"
    __table_args__ = (
        UniqueConstraint("kind", "pattern", name="uq_moderation_rules_kind_pattern"),
        Index("ix_moderation_rules_category", "category", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(5))  # term | regex
    pattern: Mapped[str] = mapped_column(String(512))
    category: Mapped[str] = mapped_column(String(20))  # rules.CATEGORIES
    lang: Mapped[str] = mapped_column(String(3))  # en | zh | any
    action: Mapped[str] = mapped_column(String(10))  # label | hold | reject
    allow: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleOverride(Base):
    """An administrator's change to one shipped rule, named by its id (``spam_zh:加vx``): disabled,
    or another action. The shipped files stay as shipped; removing the row restores the rule."""

    __tablename__ = "moderation_rule_overrides"
    __table_args__ = (UniqueConstraint("rule_id", name="uq_moderation_rule_overrides_rule_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    rule_id: Mapped[str] = mapped_column(String(300))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    action: Mapped[str | None] = mapped_column(String(10))  # None: the shipped action
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RulesVersion(Base):
    """One row (id 1): bumped in the transaction of every rules change, polled by every process
    (at most once a second) to notice that its checker is out of date. In the database rather than
    a cache generation: it commits with the change it counts, and survives a Redis flush — a
    flushed generation would read as "changed" everywhere at once (every process rebuilding), and a
    lost bump would never be noticed."""

    __tablename__ = "moderation_rules_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
