"""Share FastAPI's per-route state across the test apps of one process.

Every test builds its own app (``conftest.app``), and FastAPI (>= 0.160) builds each included
router's route state lazily, per app, on the first request that scans that router: for every
route a ``Dependant`` (signature analysis, one pydantic field per parameter) and one pydantic
``ModelField`` per declared response (each route has ~10: the shared error responses), each
building a ``TypeAdapter``. That was ~0.3 s of every test's first requests (0.3-0.5 s for
all 151 routes of an app, against ~0.01 s with this cache; docs/benchmarks.md, "Test suite
time"). Production builds one app per process and pays it once, so this is for the tests only.

What is shared is a pure function of immutable inputs, and never changed after it is built:

* ``create_model_field(name, type_, mode=...)`` as ``fastapi.routing`` calls it (response and
  stream-item fields: no default, field info or alias), keyed by ``(name, type_, mode)``; the
  name carries the route's unique id, so two routes never share a field.
* ``_build_dependant_with_parameterless_dependencies(path, call, dependencies)``, keyed by the
  path template, the endpoint function and the (frozen, hashable) ``Depends`` declarations. A
  ``Dependant`` holds no app: dependency overrides are looked up per request on the app.

The keys hold their objects, so an id is never reused for another one. Anything unhashable is
built as before. If FastAPI's internals change shape, nothing is patched (only slower tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import fastapi.routing as fastapi_routing

_fields: dict[tuple[Any, ...], Any] = {}
_dependants: dict[tuple[Any, ...], Any] = {}
_installed = False
_originals: dict[str, Any] = {}


def install() -> None:
    global _installed
    if _installed:
        return
    build_field = getattr(fastapi_routing, "create_model_field", None)
    build_dependant = getattr(fastapi_routing, "_build_dependant_with_parameterless_dependencies", None)
    undefined = getattr(fastapi_routing, "Undefined", None)
    if build_field is None or build_dependant is None or undefined is None:
        return
    _originals.update(create_model_field=build_field,
                      _build_dependant_with_parameterless_dependencies=build_dependant)

    def create_model_field(name: str, type_: Any, default: Any = undefined, field_info: Any = None,
                           alias: str | None = None, mode: str = "validation") -> Any:
        if default is not undefined or field_info is not None or alias is not None:
            return build_field(name=name, type_=type_, default=default, field_info=field_info, alias=alias,
                               mode=mode)
        key = (name, type_, mode)
        try:
            found = _fields.get(key)
        except TypeError:  # an unhashable annotation
            return build_field(name=name, type_=type_, mode=mode)
        if found is None:
            found = _fields[key] = build_field(name=name, type_=type_, mode=mode)
        return found

    def build_dependant_shared(*, path: str, call: Callable[..., Any], dependencies: Sequence[Any]) -> Any:
        key = (path, call, tuple(dependencies))
        try:
            found = _dependants.get(key)
        except TypeError:
            return build_dependant(path=path, call=call, dependencies=dependencies)
        if found is None:
            found = _dependants[key] = build_dependant(path=path, call=call, dependencies=dependencies)
        return found

    fastapi_routing.create_model_field = create_model_field  # type: ignore[assignment]
    fastapi_routing._build_dependant_with_parameterless_dependencies = build_dependant_shared  # type: ignore[assignment]
    _installed = True


def installed() -> bool:
    return _installed


@contextmanager
def bypassed() -> Iterator[None]:
    """FastAPI's own functions for the block (to compare an app built without the sharing)."""
    patched = {name: getattr(fastapi_routing, name) for name in _originals}
    for name, original in _originals.items():
        setattr(fastapi_routing, name, original)
    try:
        yield
    finally:
        for name, function in patched.items():
            setattr(fastapi_routing, name, function)
