"""``create_app(settings)``: the composition root. Routers, middleware, lifespan, services."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry

from redbridge import __version__
from redbridge import services as services_mod
from redbridge.accounts import routes as accounts_routes
from redbridge.accounts import tasks as accounts_tasks
from redbridge.core import errors
from redbridge.core.clock import Clock
from redbridge.core.middleware import (
    BodyLimitMiddleware,
    LocaleMiddleware,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
)
from redbridge.engagement import routes as engagement_routes
from redbridge.feeds import routes as feeds_routes
from redbridge.feeds import tasks as feeds_tasks
from redbridge.media import routes as media_routes
from redbridge.media import tasks as media_tasks
from redbridge.notes import routes as notes_routes
from redbridge.notes import tasks as notes_tasks
from redbridge.notifications import routes as notifications_routes
from redbridge.notifications import tasks as notifications_tasks
from redbridge.ops import routes as ops_routes
from redbridge.settings import Settings
from redbridge.web import install as install_web

log = logging.getLogger("redbridge")

# Each feature's routers; importing them also imports (and so registers) the jobs and event
# subscriptions of the feature's tasks module.
# Order is the order routes are matched in, one by one, for every request: the hottest reads
# (feeds, then note pages) come first after ops; no two routers' paths overlap, so it changes
# nothing else.
ROUTERS: tuple[APIRouter, ...] = (
    ops_routes.router,
    feeds_routes.router,
    notes_routes.router,
    accounts_routes.auth_router,
    accounts_routes.users_router,
    media_routes.router,
    engagement_routes.router,
    notifications_routes.router,
)
TASK_MODULES = (accounts_tasks, media_tasks, notes_tasks, notifications_tasks, feeds_tasks)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    services = services_mod.build(settings, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threadpool_size
        if settings.jobs_mode == "embedded":
            services.queue.start_embedded_worker()
        if settings.env != "test":
            # What start-up built (modules, schemas, routes, text dictionaries) lives as long as
            # the process: take it out of the collector's sight, so a full collection scans only
            # what requests created. Unfrozen, one took 100+ ms, stalling every request in flight
            # (the feeds' p99). Not in tests, which start hundreds of apps in one process.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="Redbridge",
        version=__version__,
        description="Bilingual (English / 中文) lifestyle community API.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        responses=errors.ERROR_RESPONSES,
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.services = services
    app.state.metrics = CollectorRegistry()
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    # The pages (and /static): after the API, so the API's routes are matched first.
    install_web(app)

    # Outermost last: metrics see everything, the body cap runs before any parsing.
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=1024 * 1024,
        upload_limit=settings.media.max_video_bytes + 1024 * 1024,
        upload_prefixes=("/api/v1/media", "/api/v1/auth/me/avatar", "/settings/profile", "/compose"),
        upload_suffixes=("/edit",),  # the composer's edit form: /n/<id>/edit
    )
    app.add_middleware(LocaleMiddleware, default=settings.default_locale)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, registry=app.state.metrics)
    return app
