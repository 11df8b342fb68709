"""Accounts: sign-up, sessions, profiles, the follow graph (docs/accounts.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.accounts import routes, tasks

if TYPE_CHECKING:
    from redbridge.core.services import Services

JOBS = tasks  # imported for its @job registrations


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.auth_router)
    app.include_router(routes.users_router)
