"""The durable tier of the translation cache: one row per (source, target, engine, text hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
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
