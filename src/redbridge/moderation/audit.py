"""The audit log's one writer: every moderator, admin or rules action adds its row in the action's
own write transaction (tests/safety/test_roles_and_audit.py enforces it for every staff route)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.moderation.models import AuditEntry


def audit(session: Session, now: datetime, actor_id: int | None, action: str, subject_kind: str, subject_id: int,
          details: dict[str, Any]) -> None:
    """The audit row of a staff action, in the action's write transaction. ``actor_id`` None: the
    command line (``redbridge moderation import``), which has no account."""
    session.add(AuditEntry(id=ids.new_id(now), actor_id=actor_id, action=action, subject_kind=subject_kind,
                           subject_id=subject_id, details=details, created_at=now))
