"""GET /api/v1/notes/{id} and /share: visibility, viewer flags, query budget."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from redbridge.accounts.models import User
from redbridge.core import ids
from redbridge.core.services import Services
from redbridge.engagement.models import Collect, Like
from redbridge.reads import note_page as page
from tests.factories import Factory

from .helpers import coloured_png, count_queries, post_note

MALFORMED = ["abc", "0", "-1", "1.5", "9" * 20, "１２３", "%20"]


def _like_and_collect(services: Services, user_id: int, note_id: str) -> None:
    now = services.clock.now()
    with services.sessions() as session:
        session.add(Like(user_id=user_id, note_id=int(note_id), created_at=now))
        session.add(Collect(id=ids.new_id(now), user_id=user_id, note_id=int(note_id), collection_id=None,
                            created_at=now))
        session.commit()


def test_anyone_can_read_a_note(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    created = factory.note(author, images=2, title="Morning market", body="Fresh #fruit")
    response = client.get(f"/api/v1/notes/{created['id']}")
    assert response.status_code == 200, response.text
    note = response.json()
    assert note == {**created, "liked_by_me": False, "collected_by_me": False}
    assert note["title"] == "Morning market"
    assert note["tags"] == ["fruit"]
    assert len(note["media"]) == 2


def test_viewer_flags(client: TestClient, factory: Factory, services: Services) -> None:
    author, fan, stranger = factory.user(), factory.user(), factory.user()
    note_id = factory.note(author, images=1)["id"]
    _like_and_collect(services, fan.int_id, note_id)
    mine = client.get(f"/api/v1/notes/{note_id}", headers=fan.headers).json()
    assert mine["liked_by_me"] is True
    assert mine["collected_by_me"] is True
    theirs = client.get(f"/api/v1/notes/{note_id}", headers=stranger.headers).json()
    assert theirs["liked_by_me"] is False
    assert theirs["collected_by_me"] is False
    anonymous = client.get(f"/api/v1/notes/{note_id}").json()
    assert anonymous["liked_by_me"] is False


@pytest.mark.parametrize("path", ["/api/v1/notes/{}", "/api/v1/notes/{}/share"])
def test_unknown_and_malformed_ids_are_404(client: TestClient, factory: Factory, path: str) -> None:
    author = factory.user()
    factory.note(author, images=0)
    unknown = str(ids.new_id(factory.services.clock.now()))
    for bad in [unknown, *MALFORMED]:
        response = client.get(path.format(bad), headers=author.headers)
        assert response.status_code == 404, (bad, response.text)
        assert response.json()["error"]["code"] in {"note.not_found", "not_found"}


@pytest.mark.parametrize("path", ["/api/v1/notes/{}", "/api/v1/notes/{}/share"])
def test_blocks_hide_notes_both_ways(client: TestClient, factory: Factory, path: str) -> None:
    author, blocker, blocked = factory.user(), factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    assert client.post(f"/api/v1/users/{author.username}/block", headers=blocker.headers).status_code == 204
    assert client.post(f"/api/v1/users/{blocked.username}/block", headers=author.headers).status_code == 204
    assert client.get(path.format(note_id), headers=blocker.headers).status_code == 404
    assert client.get(path.format(note_id), headers=blocked.headers).status_code == 404
    # Everyone else, the author and anonymous readers still see it.
    assert client.get(path.format(note_id), headers=factory.user().headers).status_code == 200
    assert client.get(path.format(note_id), headers=author.headers).status_code == 200
    assert client.get(path.format(note_id)).status_code == 200


def test_deactivated_authors_notes_are_gone(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    note_id = factory.note(author, images=0)["id"]
    with services.sessions() as session:
        session.execute(update(User).where(User.id == author.int_id).values(is_active=False))
        session.commit()
    assert client.get(f"/api/v1/notes/{note_id}").status_code == 404
    assert client.get(f"/api/v1/notes/{note_id}/share").status_code == 404


def _queries_for(client: TestClient, services: Services, note_id: str, headers: dict[str, str]) -> int:
    client.get(f"/api/v1/notes/{note_id}", headers=headers)  # warm the viewer's session cache paths
    # A full miss of the note page cache (tests/notes/test_page_cache.py covers the hits).
    for memo in (page._state(services).bodies, page._state(services).authors, page._state(services).flags):
        memo.clear()
    with count_queries(services) as statements:
        assert client.get(f"/api/v1/notes/{note_id}", headers=headers).status_code == 200
    return len(statements)


def test_reading_a_note_costs_a_fixed_number_of_queries(
    client: TestClient, factory: Factory, services: Services
) -> None:
    author, reader = factory.user(), factory.user()
    small = factory.note(author, images=1)["id"]
    big_ids = [factory.upload(author, coloured_png(i))["id"] for i in range(8)]
    big = post_note(client, author, title="Eight", body="#a #b #c #d #e", media_ids=big_ids).json()["id"]
    for headers in ({}, reader.headers):
        assert _queries_for(client, services, small, headers) == _queries_for(client, services, big, headers)
    # Viewer lookup (session) + note/author + block check + tags + flags + media.
    assert _queries_for(client, services, big, reader.headers) <= 6


def test_share(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    note = post_note(client, author, title="成都火锅", body="好吃").json()
    response = client.get(f"/api/v1/notes/{note['id']}/share")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body == {
        "url": f"{services.settings.base_url}/n/{note['id']}",
        "title": "成都火锅",
        "text": "成都火锅 — Redbridge",
    }
    assert body["url"] == note["share_url"]
