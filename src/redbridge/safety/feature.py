"""Trust and safety: reports, the review queue, decisions, the audit log, roles (docs/moderation.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.safety import image_tasks, routes, tasks

if TYPE_CHECKING:
    from redbridge.core.services import Services

JOBS = tasks  # imported for its @job registrations (the semantic check)
IMAGE_JOBS = image_tasks  # the image blocklist's job


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
