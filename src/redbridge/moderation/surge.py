"""Surge mode: the switch that tightens signup (proof-of-work, ``accounts.proof``) and new accounts'
limits (``accounts.trust``) when the review queue is overwhelmed — the January 2025 arrival of
700,000 people in two days, in which spam rides the wave.

The switch is one row (``spam_surge``) so every app process sees one state: ``off``, ``on``, or
``auto`` (the default, also with no row): on while more than ``spam.surge_queue_threshold`` items
are open in the review queue. The queue is counted with a ``LIMIT`` one past the threshold, so
reading the state costs the same whether the queue holds 10 items or a million. A new account's
writes read it through the cache (:func:`active_cached`, :data:`CACHE_TTL_S`); an admin's switch
retires that entry at once (:data:`SURGE_CHANGED`), the queue count catches up within the TTL.
Signup reads it from the database (:func:`active`), so the challenge says what is in force now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from redbridge.core import changes
from redbridge.core.cache import invalidate, read_through
from redbridge.core.db import insert_ignore
from redbridge.core.services import Services
from redbridge.moderation.models import OPEN, QueueItem, SurgeState

DEFAULT_MODE = "auto"
_ROW = 1
CACHE_KEY = "spam:surge-active"
CACHE_TTL_S = 5.0

# An admin switched surge mode: the cached state is retired (every process sharing the cache).
SURGE_CHANGED = changes.Announcement("surge_changed", "{} — an admin switched surge mode off, auto or on")


@dataclass(frozen=True, slots=True)
class Surge:
    mode: str  # off | auto | on
    active: bool
    queue_open: int  # open review items, counted up to threshold + 1
    threshold: int
    changed_by: int | None
    changed_at: datetime | None


def open_items(session: Session, cap: int) -> int:
    """Open review-queue items, counted up to ``cap`` (bounded cost)."""
    capped = select(QueueItem.id).where(QueueItem.state == OPEN).limit(cap).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


def read(session: Session, threshold: int) -> Surge:
    """The switch and whether surge mode is in force now."""
    row = session.get(SurgeState, _ROW)
    mode = row.mode if row is not None else DEFAULT_MODE
    queue_open = open_items(session, threshold + 1)
    active = mode == "on" or (mode == "auto" and queue_open > threshold)
    return Surge(mode=mode, active=active, queue_open=queue_open, threshold=threshold,
                 changed_by=row.changed_by if row is not None else None,
                 changed_at=row.changed_at if row is not None else None)


def active(session: Session, threshold: int) -> bool:
    """Whether surge mode is in force (the queue is only counted in ``auto``)."""
    row = session.get(SurgeState, _ROW)
    mode = row.mode if row is not None else DEFAULT_MODE
    if mode != "auto":
        return mode == "on"
    return open_items(session, threshold + 1) > threshold


def active_cached(services: Services, session: Session, threshold: int) -> bool:
    """:func:`active`, read through the cache for up to :data:`CACHE_TTL_S` (the write path)."""
    value = read_through(services.cache, CACHE_KEY, CACHE_TTL_S,
                         lambda: b"1" if active(session, threshold) else b"0")
    return value == b"1"


@SURGE_CHANGED.subscribe
def _retire(services: Services, payload: dict[str, Any]) -> None:
    invalidate(services.cache, CACHE_KEY, CACHE_TTL_S)


def set_mode_in_tx(session: Session, now: datetime, mode: str, actor_id: int | None) -> str:
    """Set the switch in the caller's write transaction; the previous mode. The row is created on
    first use (two concurrent first switches meet on its primary key) and then locked."""
    insert_ignore(session, SurgeState, {"id": _ROW, "mode": DEFAULT_MODE, "changed_by": None, "changed_at": now})
    previous = session.scalar(select(SurgeState.mode).where(SurgeState.id == _ROW).with_for_update())
    session.execute(update(SurgeState).where(SurgeState.id == _ROW)
                    .values(mode=mode, changed_by=actor_id, changed_at=now))
    session.expire_all()
    SURGE_CHANGED.announce(session, {})
    return previous or DEFAULT_MODE
