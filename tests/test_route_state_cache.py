"""The test apps share FastAPI's per-route state (``tests.route_state_cache``): it is in effect,
and an app built with it is the same app as one built without it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.settings import Settings
from tests import route_state_cache


def _contexts(app: FastAPI) -> list[Any]:
    return [context for route in app.router.routes if isinstance(route, _IncludedRouter)
            for context in route.effective_route_contexts()]


def _shape(app: FastAPI) -> list[tuple[Any, ...]]:
    """What each route's state decides: its path, methods, parameters, body and response fields."""
    shape = []
    for context in _contexts(app):
        dependant = context.dependant
        params = tuple((f.name, f.alias, repr(f.field_info)) for f in (
            *dependant.path_params, *dependant.query_params, *dependant.header_params, *dependant.cookie_params,
            *dependant.body_params))
        responses = tuple(sorted((str(code), f.name, repr(f.field_info)) for code, f in context.response_fields.items()))
        response = None if context.response_field is None else (context.response_field.name,
                                                                 repr(context.response_field.field_info))
        shape.append((context.path, tuple(sorted(context.methods)), context.unique_id, params,
                      len(dependant.dependencies), responses, response))
    return shape


def test_shared_route_state_is_in_effect_and_changes_nothing(settings: Settings) -> None:
    assert route_state_cache.installed(), \
        "FastAPI's internals changed: tests/route_state_cache.py no longer applies (the suite is slower)"
    apps: list[FastAPI] = []
    try:
        with route_state_cache.bypassed():
            apps.append(create_app(settings, SystemClock()))
            plain_shape, plain_document = _shape(apps[0]), apps[0].openapi()
        apps += [create_app(settings, SystemClock()), create_app(settings, SystemClock())]
        first, second = (_contexts(app) for app in apps[1:])
        assert len(first) == len(second) > 100
        shared = sum(a.dependant is b.dependant for a, b in zip(first, second, strict=True))
        assert shared == len(first), f"only {shared} of {len(first)} routes share their state"
        for app in apps[1:]:
            assert _shape(app) == plain_shape
            assert app.openapi() == plain_document
    finally:
        for app in apps:
            app.state.services.close()
