"""``create_app(settings)``: the composition root. Routers, middleware, lifespan, services."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from redbridge import __version__
from redbridge import services as services_mod
from redbridge.core import errors
from redbridge.core.clock import Clock
from redbridge.core.middleware import (
    BodyLimitMiddleware,
    LocaleMiddleware,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
)
from redbridge.settings import Settings

log = logging.getLogger("redbridge")

# Feature modules, imported for their routers and for the jobs/event subscriptions they register.
ROUTERS = (
    ("redbridge.ops.routes", "router"),
    ("redbridge.accounts.routes", "auth_router"),
    ("redbridge.accounts.routes", "users_router"),
    ("redbridge.media.routes", "router"),
    ("redbridge.notes.routes", "router"),
    ("redbridge.engagement.routes", "router"),
    ("redbridge.feeds.routes", "router"),
    ("redbridge.notifications.routes", "router"),
)
TASK_MODULES = (
    "redbridge.accounts.tasks",
    "redbridge.media.tasks",
    "redbridge.notes.tasks",
    "redbridge.engagement.tasks",
    "redbridge.notifications.tasks",
)


def _optional_module(name: str) -> object | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    for module in TASK_MODULES:
        _optional_module(module)
    services = services_mod.build(settings, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.jobs_mode == "embedded":
            services.queue.start_embedded_worker()
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
    for module_name, router_name in ROUTERS:
        module = _optional_module(module_name)
        if module is not None:
            app.include_router(getattr(module, router_name))

    # Outermost last: metrics see everything, the body cap runs before any parsing.
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=1024 * 1024,
        upload_limit=settings.media.max_video_bytes + 1024 * 1024,
        upload_prefixes=("/api/v1/media", "/api/v1/auth/me/avatar"),
    )
    app.add_middleware(LocaleMiddleware, default=settings.default_locale)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, registry=app.state.metrics)
    return app
