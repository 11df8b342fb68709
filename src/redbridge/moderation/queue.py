"""The review queue's writes that the content features make in their own transactions: a hold opens
(or joins) the subject's queue item, a clean edit that lifts the pipeline's hold closes it, and a
moderator's decision is stored like the pipeline's. Every function here runs in the caller's
``core.db.write`` block and opens none.

This module is in the moderation package (just above ``text``), so notes, engagement and safety can
all call it without a cycle; the tables it points at are named by string, as in ``models``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.core.db import insert_ignore
from redbridge.moderation.models import OPEN, ModerationDecision, QueueItem


def _categories(existing: str, new: Iterable[str]) -> str:
    have = [c for c in existing.split(",") if c]
    for code in new:
        if code and code not in have:
            have.append(code)
    return "," + "".join(f"{c}," for c in have)


def open_item(session: Session, now: datetime, subject_kind: str, subject_id: int, author_id: int, *,
              categories: Iterable[str], held: bool) -> QueueItem:
    """The subject's open queue item, made if there is none, locked (``FOR UPDATE``) for the rest
    of the caller's transaction, with ``categories`` added and ``held`` set when given. Concurrent
    callers meet on the partial unique index: one inserts, the others join its row."""
    categories = list(categories)
    insert_ignore(session, QueueItem, {
        "id": ids.new_id(now), "subject_kind": subject_kind, "subject_id": subject_id, "author_id": author_id,
        "held": held, "categories": _categories(",", categories), "report_count": 0, "state": OPEN,
        "outcome": None, "created_at": now, "closed_at": None, "closed_by": None,
    })
    item = session.scalar(
        select(QueueItem).where(QueueItem.subject_kind == subject_kind, QueueItem.subject_id == subject_id,
                                QueueItem.state == OPEN)
        .with_for_update().execution_options(populate_existing=True)
    )
    assert item is not None  # inserted above, or the open row that made the insert a no-op
    merged = _categories(item.categories, categories)
    if merged != item.categories:
        item.categories = merged
    if held and not item.held:
        item.held = True
    return item


def hold_lifted(session: Session, now: datetime, subject_kind: str, subject_id: int) -> None:
    """A clean edit lifted the pipeline's hold: the item closes (``lifted``) unless someone
    reported the content too, in which case it stays for a moderator, no longer marked held."""
    item = session.scalar(
        select(QueueItem).where(QueueItem.subject_kind == subject_kind, QueueItem.subject_id == subject_id,
                                QueueItem.state == OPEN).with_for_update()
    )
    if item is None:
        return
    if item.report_count:
        item.held = False
    else:
        close(session, now, item, "lifted", None)


def close(session: Session, now: datetime, item: QueueItem, outcome: str, moderator_id: int | None) -> None:
    session.execute(update(QueueItem).where(QueueItem.id == item.id).values(
        state="closed", outcome=outcome, closed_at=now, closed_by=moderator_id))
    item.state, item.outcome, item.closed_at, item.closed_by = "closed", outcome, now, moderator_id


def record_moderator_decision(session: Session, now: datetime, subject_kind: str, subject_id: int, author_id: int,
                              decision: str, reason: str, moderator_id: int, *,
                              source: str = "moderator") -> ModerationDecision:
    """Store a moderator's decision (``source: "moderator"``, or ``"appeal"`` for a decision on an
    appeal) in the caller's transaction; the latest row of a subject says whose hold it is
    (``screening.held_by_pipeline``)."""
    row = ModerationDecision(
        id=ids.new_id(now), subject_kind=subject_kind, subject_id=subject_id, author_id=author_id,
        decision=decision, reasons=[reason], evidence=[], source=source, moderator_id=moderator_id,
        created_at=now,
    )
    session.add(row)
    return row
