"""How a feature joins the app: one ``install(app, services)`` in ``<feature>/feature.py``, listed
once in ``app.FEATURES``.

``install`` registers everything the feature brings: its routers (in the order the app should
match them), the routes that take a media-sized body (:func:`allow_large_bodies`), and — by
importing its ``tasks`` and read modules — its jobs and its subscriptions to the announcements of
``core.changes``. A feature's state (memos, worker pools) is a typed object reached through
``services.state(Kind)``, made on first use and closed with the services; nothing is kept under
string keys. Adding a feature is: create its folder with a ``feature.py``, add it to
``app.FEATURES``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:
    from redbridge.core.services import Services

Install = Callable[[FastAPI, "Services"], None]


def allow_large_bodies(app: FastAPI, *routes: tuple[str, str]) -> None:
    """Let ``routes`` ((method, path template) of routes the feature has) take bodies up to the
    upload limit; every other route gets 1 MiB (``core.middleware.BodyLimitMiddleware``). Checked
    against the real routes at start-up (``app.upload_routes``)."""
    large: list[tuple[str, str]] = app.state.large_bodies
    large.extend(routes)
