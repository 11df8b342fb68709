"""Helpers of the rules editor's tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from redbridge.core.services import Services
from redbridge.moderation.live import live_rules
from tests.factories import UserHandle

BASE = "/api/v1/admin/moderation/rules"


def add_rule(client: TestClient, admin: UserHandle, expected: int = 201, **fields: Any) -> dict[str, Any]:
    body = {"kind": "term", "category": "spam", "action": "hold", **fields}
    response = client.post(BASE, headers=admin.headers, json=body)
    assert response.status_code == expected, response.text
    out: dict[str, Any] = response.json()
    return out


def settle(services: Services) -> None:
    """Wait until this app's checker reflects every committed rules change."""
    live_rules(services).settle()
