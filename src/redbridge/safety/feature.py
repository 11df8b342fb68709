"""Trust and safety: reports, the review queue, decisions, the audit log, roles (docs/moderation.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.safety import routes

if TYPE_CHECKING:
    from redbridge.core.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
