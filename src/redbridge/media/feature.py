"""Media: uploads, processing and the file server (docs/media.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.core.features import allow_large_bodies
from redbridge.media import routes, tasks

if TYPE_CHECKING:
    from redbridge.core.services import Services

JOBS = tasks  # imported for its @job registrations


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
    allow_large_bodies(app, ("POST", "/api/v1/media"), ("PUT", "/api/v1/auth/me/avatar"))
