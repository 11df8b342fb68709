"""Translation in the product: the API, its jobs and store (docs/translation.md "In the product")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.translations import routes, tasks

if TYPE_CHECKING:
    from redbridge.core.services import Services

JOBS = tasks  # imported for its @job registrations


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
