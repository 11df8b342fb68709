"""Hostile patterns posted through the API: every answer is 201 or 422 (never a 500), and the
server keeps answering and keeps screening with the rules it accepted."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redbridge.core.services import Services
from tests.factories import Factory, UserHandle
from tests.rules.helpers import BASE, settle
from tests.safety.helpers import staff

HOSTILE = [
    "(a+)+$", "(a*)*b", "([a-z]+)*$", "(.*a){20}", "(a|aa)*c", "(a|a)*", "(aa?)+$", "(\\w|\\d)+x",
    "a{1000000}", "a{99999}{99999}", "(?:a{1,64}){1,64}$", "x{0,2147483647}", "(?<=a+)b", "(?<=ab)c",
    "(?<!x)y", "(a)\\1", "(?P<n>a)(?P=n)", "(?(1)a|b)", "[", "(", "\\", "*a", "a**", "(?P<", "[z-a]",
    "\x00", "a\x00b", "\ud800", "a\udfffb", "x" * 10_000, "(" * 200 + "a" + ")" * 200, "a" * 513,
    "(?i)kill", "\\bqq\\d{5}\\b", "", " ", "\u200b", "😀+", "中文{2,3}",
]


@pytest.fixture
def admin(factory: Factory, services: Services) -> UserHandle:
    return staff(factory, services, "admin")


def _post(client: TestClient, admin: UserHandle, kind: str, pattern: str) -> int:
    # Raw JSON: a lone surrogate reaches the server as written (json.dumps escapes it).
    body = json.dumps({"kind": kind, "pattern": pattern, "category": "spam", "action": "label"}).encode()
    response = client.post(BASE, headers={**admin.headers, "content-type": "application/json"}, content=body)
    assert response.status_code in (201, 409, 422), (pattern[:80], response.status_code, response.text[:200])
    if response.status_code != 201:
        assert set(response.json()["error"]) >= {"code", "message"}
    return response.status_code


@pytest.mark.parametrize("kind", ["regex", "term"])
def test_known_hostile_patterns(client: TestClient, services: Services, admin: UserHandle, kind: str) -> None:
    accepted = [p for p in HOSTILE if _post(client, admin, kind, p) == 201]
    if kind == "regex":
        assert "(a+)+$" not in accepted
        assert "(a)\\1" not in accepted
        assert "\\bqq\\d{5}\\b" in accepted
    settle(services)
    assert client.get("/healthz").status_code == 200
    tried = client.post(f"{BASE}/try", headers=admin.headers, json={"text": "a" * 4999 + "!"})
    assert tried.status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pattern=st.one_of(
    st.text(max_size=40),
    st.text(alphabet="()[]{}*+?|\\^$.a1-:<>=!P#,0123456789wdsb", max_size=40),
    st.lists(st.sampled_from(["(", ")", "a", "+", "*", "?", "{9999}", "|", "(?:", "(?<=", "\\1", "[^a]", "."]),
             max_size=30).map("".join),
))
def test_generated_patterns_never_500(client: TestClient, admin: UserHandle, pattern: str) -> None:
    _post(client, admin, "regex", pattern)
    _post(client, admin, "term", pattern)
