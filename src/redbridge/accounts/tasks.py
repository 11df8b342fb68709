"""Background jobs of the accounts feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redbridge.accounts import actions
from redbridge.core.jobs import job
from redbridge.core.services import Services


@job("accounts.touch_session", retries=0)
def touch_session(services: Services, payload: dict[str, Any]) -> None:
    # Off the request path: a read must never wait on the write lock to bump a timestamp.
    with services.sessions() as session:
        actions.touch_session(session, int(payload["session_id"]), datetime.fromisoformat(payload["at"]))
