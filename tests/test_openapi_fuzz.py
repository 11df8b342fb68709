"""Schemathesis over the whole OpenAPI document: generated requests (valid and invalid) against
every operation, as a logged-in user with real data around. Zero 5xx; every response matches
the documented status codes, content types and schemas."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import Factory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api(app: FastAPI, factory: Factory) -> Any:
    user = factory.user()
    other = factory.user()
    factory.note(other, images=1, body="hi #travel @" + user.username)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    schema.fuzz_headers = user.headers  # type: ignore[attr-defined]
    return schema


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: Any, api: Any) -> None:
    case.call_and_validate(headers=api.fuzz_headers, checks=CHECKS)
