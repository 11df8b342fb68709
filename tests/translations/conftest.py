"""An app per test with the translation settings the test asks for (the rest as tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.settings import Settings, TranslationSettings
from tests.conftest import prepare_schema
from tests.factories import Factory
from tests.translation.tiny_model import build_tiny_model


class Site:
    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        self.services: Services = app.state.services
        self.factory = Factory(client, self.services)


MakeSite = Callable[..., Site]


@pytest.fixture
def make_site(settings: Settings) -> Iterator[MakeSite]:
    """``make_site(engines=[...], lifespan=True, jobs_mode=None, **translation settings)``. Without
    the lifespan no worker runs: jobs wait until the test calls ``services.queue.run_pending()``."""
    with ExitStack() as stack:

        def make(*, lifespan: bool = True, jobs_mode: str | None = None, **translation: Any) -> Site:
            values: dict[str, Any] = {"retry_backoff_s": 0.0, "job_timeout_s": 5.0, **translation}
            update: dict[str, Any] = {"translation": TranslationSettings(**values)}
            if jobs_mode is not None:
                update["jobs_mode"] = jobs_mode
            app = create_app(settings.model_copy(update=update), SystemClock())
            prepare_schema(app.state.services)
            stack.callback(app.state.services.close)
            client = TestClient(app)
            if lifespan:
                stack.enter_context(client)
            return Site(app, client)

        yield make


@pytest.fixture(scope="session")
def marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("ct2") / "opus-mt-tiny")


def chat(url: str) -> dict[str, Any]:
    return {"kind": "openai_chat", "base_url": url, "model": "qwen-test"}


def libre(url: str) -> dict[str, Any]:
    return {"kind": "libretranslate", "url": url}
