"""Search (docs/search.md): the notes search API, its indexing jobs and hooks."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.search import routes, tasks, wiring

if TYPE_CHECKING:
    from redbridge.core.services import Services

JOBS = tasks  # imported for its @job registrations and commit hooks


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
    # Open the vector side in the background at start (the model and its means load in 1-3 s;
    # opening enqueues the reconciliation that embeds what the index lacks, e.g. a fresh demo's
    # notes), so the first search does not pay for it. Not in tests: hundreds of apps start there.
    if services.settings.search.dense and services.settings.env != "test":
        threading.Thread(target=wiring.dense, args=(services,), name="search-vectors", daemon=True).start()
