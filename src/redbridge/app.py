"""``create_app(settings)``: the composition root. Routers, middleware, lifespan, services."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.routing import BaseRoute, Route, compile_path
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from redbridge import __version__
from redbridge.accounts import feature as accounts
from redbridge.core import errors
from redbridge.core import services as services_mod
from redbridge.core.admission import Admission, AdmissionMiddleware
from redbridge.core.clock import Clock
from redbridge.core.features import Install
from redbridge.core.middleware import (
    BodyLimitMiddleware,
    LocaleMiddleware,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
    UploadRoute,
)
from redbridge.core.outbox import OutboxGauges
from redbridge.engagement import feature as engagement
from redbridge.feeds import feature as feeds
from redbridge.glossary import feature as glossary
from redbridge.media import feature as media
from redbridge.notes import feature as notes
from redbridge.notifications import feature as notifications
from redbridge.ops import feature as ops
from redbridge.ops.checks import Readiness
from redbridge.reads import feature as reads
from redbridge.rules import feature as rules
from redbridge.safety import feature as safety
from redbridge.search import feature as search
from redbridge.settings import Settings
from redbridge.translations import feature as translations
from redbridge.web import feature as web

log = logging.getLogger("redbridge")

# Every feature, each installing itself (``core.features``). Order is the order routes are matched
# in, one by one, for every request: the hottest reads (feeds, then note pages) come first after
# ops; no two features' paths overlap, so it changes nothing else; the pages come last, after
# the API.
FEATURES: tuple[Install, ...] = (
    ops.install,
    feeds.install,
    search.install,
    notes.install,
    accounts.install,
    media.install,
    engagement.install,
    notifications.install,
    safety.install,
    rules.install,
    glossary.install,
    reads.install,
    translations.install,
    web.install,
)


def _all_routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # an included router (FastAPI >= 0.160)
        if inner is not None:
            yield from _all_routes(inner.routes)
        else:
            yield route


def upload_routes(app: FastAPI) -> tuple[UploadRoute, ...]:
    """The routes the features allowed large bodies (``core.features.allow_large_bodies``) as the
    app really has them; a route renamed without updating its feature fails here, at start-up,
    rather than silently getting the small limit."""
    have = {(method, r.path) for r in _all_routes(app.routes) if isinstance(r, Route) for method in r.methods or ()}
    found: list[UploadRoute] = []
    for method, path in app.state.large_bodies:
        if (method, path) not in have:
            raise RuntimeError(f"upload route {method} {path} does not exist")
        found.append(UploadRoute(frozenset({method}), compile_path(path)[0]))
    return tuple(found)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    services = services_mod.build(settings, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One thread per admitted request (each uses at most one at a time): see core.admission.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.capacity.max_inflight
        if settings.jobs_mode == "embedded":
            services.queue.start_embedded_worker()  # relays the outbox, then runs the jobs
        elif settings.jobs_mode == "redis":
            services.queue.start_relay()  # every app process relays (woken on commit, swept each second)
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
            app.state.readiness.close()
            app.state.outbox_gauges.close()
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
    app.state.outbox_gauges = OutboxGauges(app.state.metrics, services.sessions)
    app.state.large_bodies = []
    errors.install(app)
    for install in FEATURES:
        install(app, services)

    # Outermost last: metrics see everything, the body cap runs before any parsing.
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=1024 * 1024,
        upload_limit=settings.media.max_video_bytes + 1024 * 1024,
        upload_routes=upload_routes(app),
    )
    # Admission inside the locale (a 503 is in the caller's language) and the security headers,
    # outside everything that does work.
    app.state.admission = Admission(settings.capacity, app.state.metrics)
    app.state.readiness = Readiness(services, app.state.admission)
    app.add_middleware(AdmissionMiddleware, admission=app.state.admission)
    app.add_middleware(LocaleMiddleware, default=settings.default_locale)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, registry=app.state.metrics)
    if settings.trusted_proxies:
        # Outermost: every layer inside (rate limits, logs) sees the client's real address.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
