"""Word glosses (docs/translation.md, "Word glosses"): the API routes, the note-changed
subscription (importing ``queries``) and the dictionary's preload."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from fastapi import FastAPI

from redbridge.glossary import queries, routes
from redbridge.translation.glossary import default_glossary

if TYPE_CHECKING:
    from redbridge.core.services import Services

log = logging.getLogger(__name__)
SUBSCRIBERS = (queries,)  # imported for its @changes subscription
_preloading = threading.Lock()
_preloaded = False


def preload() -> None:
    """Load the dictionary and its English index (about 2 + 5 s of CPU, measured in
    docs/translation.md) in a background thread, once per process, so that the first reader
    does not wait for it; a request arriving during the load waits on the glossary's lock."""
    global _preloaded
    with _preloading:
        if _preloaded:
            return
        _preloaded = True

    def run() -> None:
        started = time.perf_counter()
        glossary = default_glossary()
        glossary.lookup("字")
        glossary.lookup_english("word")
        log.info("glossary loaded in %.1f s", time.perf_counter() - started)

    threading.Thread(target=run, name="glossary-preload", daemon=True).start()


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
    # Not in tests: hundreds of apps start in one test process, most never look up a word, and
    # the load would take CPU from them; the tests that do look up words load it on first use.
    if services.settings.env != "test":
        preload()
