"""One visibility rule for everything scoped to a note (``notes.queries.get_visible``).

A matrix: blocked either way (the note's author blocks the viewer; the viewer blocks the author)
× every note-, comment- and collection-scoped endpoint. The blocked party gets the same 404 as for
something that does not exist, and nothing changes; the very same call by an unblocked third user
succeeds (so each case can fail).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from redbridge.accounts.models import User
from redbridge.core.services import Services
from tests.engagement.helpers import comment_counts, note_counts
from tests.factories import Factory, UserHandle


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {note}, {comment}, {collection}
    status: int  # when allowed
    not_found: str  # the error code when hidden
    body: dict[str, Any] | None = None


ENDPOINTS = {
    "get note": Endpoint("GET", "/api/v1/notes/{note}", 200, "note.not_found"),
    "list comments": Endpoint("GET", "/api/v1/notes/{note}/comments", 200, "note.not_found"),
    "list replies": Endpoint("GET", "/api/v1/comments/{comment}/replies", 200, "comment.not_found"),
    "like note": Endpoint("POST", "/api/v1/notes/{note}/like", 200, "note.not_found"),
    "unlike note": Endpoint("DELETE", "/api/v1/notes/{note}/like", 200, "note.not_found"),
    "collect note": Endpoint("POST", "/api/v1/notes/{note}/collect", 200, "note.not_found"),
    "uncollect note": Endpoint("DELETE", "/api/v1/notes/{note}/collect", 200, "note.not_found"),
    "comment": Endpoint("POST", "/api/v1/notes/{note}/comments", 201, "note.not_found", {"body": "hi"}),
    "reply": Endpoint("POST", "/api/v1/notes/{note}/comments", 201, "note.not_found",
                      {"body": "hi", "parent_id": "{comment}"}),
    "like comment": Endpoint("POST", "/api/v1/comments/{comment}/like", 200, "comment.not_found"),
    "unlike comment": Endpoint("DELETE", "/api/v1/comments/{comment}/like", 200, "comment.not_found"),
    "get collection": Endpoint("GET", "/api/v1/collections/{collection}", 200, "collection.not_found"),
}
DIRECTIONS = ["author_blocks_viewer", "viewer_blocks_author"]


@dataclass
class World:
    author: UserHandle
    viewer: UserHandle  # the blocked party, either way
    third: UserHandle
    ids: dict[str, str]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def build(client: TestClient, factory: Factory) -> World:
    """A note by ``author`` with a comment, and a public collection of ``author``'s holding it; the
    viewer and the third user have each liked and collected the note, liked the comment and read the
    note page (so its cache is warm), so that every undo has something to undo."""
    author, viewer, third = factory.user(), factory.user(), factory.user()
    note = factory.note(author, images=0)["id"]
    comment = ok(client.post(f"/api/v1/notes/{note}/comments", headers=author.headers, json={"body": "first"}),
                 201)["id"]
    collection = ok(client.post("/api/v1/collections", headers=author.headers, json={"name": "Eats"}), 201)["id"]
    ok(client.post(f"/api/v1/notes/{note}/collect", headers=author.headers, json={"collection_id": collection}))
    for user in (viewer, third):
        ok(client.post(f"/api/v1/notes/{note}/like", headers=user.headers))
        ok(client.post(f"/api/v1/notes/{note}/collect", headers=user.headers))
        ok(client.post(f"/api/v1/comments/{comment}/like", headers=user.headers))
        ok(client.get(f"/api/v1/notes/{note}", headers=user.headers))
    ok(client.get(f"/api/v1/notes/{note}"))
    return World(author, viewer, third, {"note": note, "comment": comment, "collection": collection})


def block(client: TestClient, world: World, direction: str) -> None:
    blocker, blocked = (world.author, world.viewer) if direction == "author_blocks_viewer" else (
        world.viewer, world.author)
    ok(client.post(f"/api/v1/users/{blocked.username}/block", headers=blocker.headers), 204)


def call(client: TestClient, endpoint: Endpoint, world: World, user: UserHandle | None) -> Any:
    body = {key: value.format(**world.ids) for key, value in endpoint.body.items()} if endpoint.body else None
    return client.request(endpoint.method, endpoint.path.format(**world.ids), json=body,
                          headers=user.headers if user else None)


def state(services: Services, world: World) -> tuple[dict[str, int], dict[str, int]]:
    return note_counts(services, int(world.ids["note"])), comment_counts(services, world.ids["comment"])


def assert_hidden(response: Any, code: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == {"error": {"code": code, "message": "Not found.", "fields": {}}}


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_blocked_party_gets_404_and_others_do_not(
    client: TestClient, factory: Factory, services: Services, direction: str, name: str
) -> None:
    endpoint = ENDPOINTS[name]
    world = build(client, factory)
    block(client, world, direction)

    before = state(services, world)
    assert_hidden(call(client, endpoint, world, world.viewer), endpoint.not_found)
    assert state(services, world) == before  # a hidden note is not written to either
    # Twice: the first answer must not have warmed anything that lets the second through.
    assert_hidden(call(client, endpoint, world, world.viewer), endpoint.not_found)

    ok(call(client, endpoint, world, world.third), endpoint.status)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_comment_author_may_still_delete_own_comment_across_a_block(
    client: TestClient, factory: Factory, services: Services, direction: str
) -> None:
    """The documented exception: your own words stay yours to remove; someone else's are 404."""
    world = build(client, factory)
    note = world.ids["note"]
    own = ok(client.post(f"/api/v1/notes/{note}/comments", headers=world.viewer.headers, json={"body": "mine"}),
             201)["id"]
    block(client, world, direction)

    assert_hidden(client.delete(f"/api/v1/comments/{world.ids['comment']}", headers=world.viewer.headers),
                  "comment.not_found")
    comments = note_counts(services, int(note))["comments"]
    ok(client.delete(f"/api/v1/comments/{own}", headers=world.viewer.headers), 204)
    assert note_counts(services, int(note))["comments"] == comments - 1
    # An unblocked stranger still may not delete the author's comment (403), the author may.
    forbidden = client.delete(f"/api/v1/comments/{world.ids['comment']}", headers=world.third.headers)
    assert forbidden.status_code == 403, forbidden.text
    ok(client.delete(f"/api/v1/comments/{world.ids['comment']}", headers=world.author.headers), 204)


def test_unblocking_restores_every_endpoint(client: TestClient, factory: Factory) -> None:
    world = build(client, factory)
    block(client, world, "author_blocks_viewer")
    assert_hidden(call(client, ENDPOINTS["list comments"], world, world.viewer), "note.not_found")
    ok(client.delete(f"/api/v1/users/{world.viewer.username}/block", headers=world.author.headers), 204)
    for endpoint in ENDPOINTS.values():
        ok(call(client, endpoint, world, world.viewer), endpoint.status)


@pytest.mark.parametrize("name", [n for n, e in ENDPOINTS.items() if "{collection}" not in e.path])
def test_a_deactivated_authors_note_is_404_everywhere(
    client: TestClient, factory: Factory, services: Services, name: str
) -> None:
    endpoint = ENDPOINTS[name]
    author, reader = factory.user(), factory.user()
    note = factory.note(author, images=0)["id"]
    comment = ok(client.post(f"/api/v1/notes/{note}/comments", headers=author.headers, json={"body": "x"}), 201)
    world = World(author, reader, reader, {"note": note, "comment": comment["id"], "collection": ""})
    with services.sessions() as session:
        session.execute(update(User).where(User.id == author.int_id).values(is_active=False))
        session.commit()
    assert_hidden(call(client, endpoint, world, reader), endpoint.not_found)
    if endpoint.method == "GET":
        assert_hidden(call(client, endpoint, world, None), endpoint.not_found)
