"""The page routers, one module per area. Part of the site's URL space (not under /api/): every
route here is ``include_in_schema=False`` — the OpenAPI document describes the JSON API only."""

from __future__ import annotations

from fastapi import APIRouter

from redbridge.web.pages import (
    auth,
    compose,
    feeds,
    moderation,
    moderation_users,
    notes,
    notifications,
    profiles,
    rules,
    search,
    search_history,
    settings,
    translations,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router, compose.router, feeds.router, moderation.router, moderation_users.router, notes.router, notifications.router, profiles.router,
    rules.router, search.router, search_history.router, settings.router, translations.router,
)
