"""The read side's caches (docs/caches.md): no routes of its own; importing its modules
subscribes them to the announcements of ``core.changes``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.reads import callers, cards, note_page

if TYPE_CHECKING:
    from redbridge.core.services import Services

SUBSCRIBERS = (callers, cards, note_page)  # imported for their @changes subscriptions


def install(app: FastAPI, services: Services) -> None:
    del app, services  # nothing to mount: see SUBSCRIBERS
