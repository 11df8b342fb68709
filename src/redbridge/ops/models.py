"""The readiness check's heartbeat: one row per serving process, rewritten by ``/readyz``.

A real write is the only cheap proof that the database takes writes: a read-only file, a full
disk or a read-only replica all answer ``SELECT 1`` and ``BEGIN`` happily.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from redbridge.core.db import Base, UTCDateTime


class Heartbeat(Base):
    __tablename__ = "ops_heartbeats"

    process: Mapped[str] = mapped_column(String(120), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
