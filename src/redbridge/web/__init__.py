"""The web front end: server-rendered pages (Jinja2 + HTMX + small vanilla JS modules), served by
the same app as the API and built on the same actions and queries. See docs/web.md.

Layout: ``render.py`` (Jinja environment, i18n, filters), ``deps.py`` (viewer, CSRF, cookies),
``forms.py`` (form errors), ``static.py`` (fingerprinted assets), ``errors.py`` (HTML error
pages), ``pages/`` (one router per area), ``templates/``, ``static/``.
"""

from __future__ import annotations

from fastapi import FastAPI

from redbridge.web import errors, pages, render, static
from redbridge.web.deps import LoginRequired


def install(app: FastAPI) -> None:
    """Add the pages to ``app``: their routers, the static file route (with the asset manifest
    computed now), HTML error pages for browsers, and the redirect to /login."""
    app.state.static_assets = render.assets()
    render.traditional_topic_labels()
    app.state.error_page = errors.error_page
    app.add_exception_handler(LoginRequired, errors.login_required)
    app.include_router(static.router)
    for router in pages.ROUTERS:
        app.include_router(router)
