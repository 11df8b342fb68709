"""Helpers for search tests: the index made current before a search (writes commit after a delay)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from redbridge.core.services import Services
from redbridge.search.wiring import backend
from tests.factories import UserHandle


def indexed(services: Services) -> None:
    """Commit what the jobs wrote to the index, as the commit timer would a moment later."""
    backend(services).flush()


def search(client: TestClient, services: Services, q: str, user: UserHandle | None = None,
           **params: Any) -> dict[str, Any]:
    indexed(services)
    response = client.get("/api/v1/search/notes", params={"q": q, **params},
                          headers=user.headers if user is not None else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(page: dict[str, Any]) -> list[str]:
    return [card["id"] for card in page["items"]]
