"""The web pages (docs/web.md): after the API, so the API's routes are matched first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.core.features import allow_large_bodies
from redbridge.web import install as install_pages

if TYPE_CHECKING:
    from redbridge.core.services import Services


def install(app: FastAPI, services: Services) -> None:
    install_pages(app)
    allow_large_bodies(app, ("POST", "/settings/profile"), ("POST", "/compose"), ("POST", "/n/{note_id}/edit"))
