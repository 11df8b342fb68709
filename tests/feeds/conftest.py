"""Feeds tests run on a frozen clock: explore pools are versioned by time, so tests decide when a
new pool window starts (``clock.advance(seconds=...)``) instead of racing the wall clock."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from redbridge.app import create_app
from redbridge.core.clock import FrozenClock
from redbridge.settings import Settings
from tests.conftest import prepare_schema


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> FastAPI:
    application = create_app(settings, clock)
    prepare_schema(application.state.services)
    return application
