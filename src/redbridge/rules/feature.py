"""The rules editor: administrators' moderation rules and overrides of the shipped lists (docs/moderation.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.rules import routes

if TYPE_CHECKING:
    from redbridge.core.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
