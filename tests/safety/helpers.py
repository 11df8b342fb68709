"""Helpers of the safety tests: staff accounts, the stand-in checker, finding queue items."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from redbridge.accounts.models import User
from redbridge.core.services import Services
from redbridge.moderation.live import live_rules
from redbridge.moderation.models import AuditEntry
from tests.factories import Factory, UserHandle
from tests.moderation.test_screening import HOLD, FakeChecker

__all__ = ["HOLD", "audit_rows", "find_item", "install_fake_checker", "removal", "report", "staff"]


def staff(factory: Factory, services: Services, role: str, **extra: Any) -> UserHandle:
    user = factory.user(**extra)
    with services.sessions() as session:
        session.execute(update(User).where(User.id == user.int_id).values(role=role))
        session.commit()
    return user


def install_fake_checker(services: Services) -> None:
    live = live_rules(services)
    live.pin(FakeChecker())  # type: ignore[arg-type]
    assert isinstance(live.current(), FakeChecker)


def audit_rows(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def report(client: TestClient, user: UserHandle, subject: str, ref: str, reason: str = "spam",
           expected: int = 201, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/reports", headers=user.headers,
                           json={"subject": subject, "id": ref, "reason": reason, **extra})
    assert response.status_code == expected, response.text
    body: dict[str, Any] = response.json()
    return body


def find_item(client: TestClient, moderator: UserHandle, subject_id: str, **filters: str) -> dict[str, Any] | None:
    """The open queue item about ``subject_id`` (walking every page), or None."""
    cursor: str | None = None
    while True:
        params = {**filters, **({"cursor": cursor} if cursor else {}), "limit": "50"}
        response = client.get("/api/v1/moderation/queue", headers=moderator.headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        for item in page["items"]:
            if item["subject_id"] == subject_id:
                found: dict[str, Any] = item
                return found
        cursor = page["next_cursor"]
        if not cursor:
            return None


def removal(client: TestClient, author: UserHandle, remover: UserHandle, reporter: UserHandle,
            **note: Any) -> tuple[dict[str, Any], str]:
    """A note of ``author``'s, reported by ``reporter`` and removed by ``remover``: (the note, the id of
    the removal decision as its author sees it in /moderation/mine)."""
    made = client.post("/api/v1/notes", headers=author.headers,
                       json={"title": "A note", "body": "Nothing wrong with this one", **note})
    assert made.status_code == 201, made.text
    created: dict[str, Any] = made.json()
    report(client, reporter, "note", created["id"])
    item = find_item(client, remover, created["id"])
    assert item is not None
    response = client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=remover.headers,
                           json={"action": "remove", "reason": "spam"})
    assert response.status_code == 200, response.text
    mine = client.get("/api/v1/moderation/mine", headers=author.headers).json()["items"]
    decision = next(d for d in mine if d["subject_id"] == created["id"] and d["decision"] == "remove")
    return created, str(decision["id"])
