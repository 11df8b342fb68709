"""Jobs of the feeds: keep cached explore pages from outliving the notes on them."""

from __future__ import annotations

from typing import Any

from redbridge.core.jobs import job
from redbridge.feeds import cards
from redbridge.services import Services


@job("feeds.content_changed", on=("note.updated", "note.deleted"), retries=3)
def content_changed(services: Services, payload: dict[str, Any]) -> None:
    """An edited or deleted note must not linger on cached explore pages: retire them all (edits
    are rare next to reads, so a global generation is cheaper than tracking pages per note)."""
    cards.bump_generation(services)
