"""Helpers for feeds tests: direct-database shortcuts for engagement rows (volume and speed), and
page walkers that follow ``next_cursor`` to the end."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from redbridge.core import changes, ids
from redbridge.core.services import Services
from redbridge.engagement.models import Collect, Collection, Like
from redbridge.feeds import explore
from redbridge.notes.models import Note
from tests.factories import UserHandle

EXPLORE = "/api/v1/feeds/explore"
FOLLOWING = "/api/v1/feeds/following"
MY_COLLECTS = "/api/v1/me/collects"


def user_notes_url(username: str) -> str:
    return f"/api/v1/users/{username}/notes"


def collection_url(collection_id: int | str) -> str:
    return f"/api/v1/collections/{collection_id}/notes"


def raw_cursor(state: Any) -> str:
    """A cursor as the server would encode ``state`` (to forge bad ones)."""
    return base64.urlsafe_b64encode(json.dumps(state).encode()).rstrip(b"=").decode()


def read_cursor(cursor: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return decoded


def get_page(client: TestClient, url: str, user: UserHandle | None = None, **params: Any) -> dict[str, Any]:
    response = client.get(url, headers=user.headers if user else {}, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def page_ids(body: dict[str, Any]) -> list[int]:
    return [int(card["id"]) for card in body["items"]]


def walk(client: TestClient, url: str, user: UserHandle | None = None, limit: int = 50, max_pages: int = 500,
         between: Callable[[], None] | None = None, **params: Any) -> list[int]:
    """Every id the feed returns, following cursors to the end; ``between`` runs between pages."""
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(max_pages):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = get_page(client, url, user, **query)
        seen.extend(page_ids(body))
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        if between is not None:
            between()
    raise AssertionError("feed did not end")


def make_collection(services: Services, owner: UserHandle, name: str = "saved", public: bool = True) -> int:
    with services.sessions() as session:
        now = services.clock.now()
        collection = Collection(id=ids.new_id(now), owner_id=owner.int_id, name=name, is_public=public,
                                created_at=now)
        session.add(collection)
        session.commit()
        return collection.id


def collect(services: Services, user: UserHandle, note_id: int, collection_id: int | None = None) -> int:
    with services.sessions() as session:
        now = services.clock.now()
        row = Collect(id=ids.new_id(now), user_id=user.int_id, note_id=note_id, collection_id=collection_id,
                      created_at=now)
        session.add(row)
        session.commit()
        return row.id


def like(services: Services, user: UserHandle, note_id: int) -> None:
    with services.sessions() as session:
        session.add(Like(user_id=user.int_id, note_id=note_id, created_at=services.clock.now()))
        session.commit()


def engage(services: Services, note_id: int, likes: int = 0, collects: int = 0) -> None:
    """Bump a note's counters the way engagement actions do (atomic SQL), then let the real job
    recompute its hot rank."""
    with services.sessions() as session:
        session.execute(update(Note).where(Note.id == note_id).values(
            like_count=Note.like_count + likes, collect_count=Note.collect_count + collects))
        session.commit()
    services.queue.enqueue("notes.recompute_hot", {"note_id": note_id})


def delete_all_notes(services: Services) -> None:
    """Delete every note straight in the database, announced as deletions are (``notes.actions``),
    so the read caches retire what showed them."""
    with services.sessions() as session:
        for note_id, author_id in session.execute(select(Note.id, Note.author_id)).all():
            changes.note_visibility_changed(session, note_id, author_id, visible=False)
        session.execute(delete(Note))
        session.commit()


def expire_explore_pools(services: Services) -> None:
    """Simulate every explore pool having left the cache (TTL or eviction)."""
    explore.state_of(services).clear()
    now_version = explore.pool_version(services.clock.now())
    for topic in (None, *explore.TOPICS):
        for version in range(now_version - 40, now_version + 2):
            services.cache.delete(explore.pool_key(topic, version))
