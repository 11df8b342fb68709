"""The image blocklist's job: a hash added to the list holds the notes that already show a match."""

from __future__ import annotations

from typing import Any

from redbridge.core.jobs import job
from redbridge.core.services import Services
from redbridge.safety import actions


@job("safety.hold_blocked_images", on=("safety.image_blocked",), retries=3, retry_delay=5.0)
def hold_blocked_images(services: Services, payload: dict[str, Any]) -> None:
    """Scan the stored pictures for each new entry (``actions.hold_blocked_matches``; idempotent)."""
    for entry_id in payload.get("entry_ids", ()):
        actions.hold_blocked_matches(services, int(entry_id))
