"""Search (docs/search.md): the notes search API, its indexing jobs and hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.search import routes, tasks

if TYPE_CHECKING:
    from redbridge.core.services import Services

JOBS = tasks  # imported for its @job registrations and commit hooks


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
