"""The following feed's page cache (``feeds.queries.following_json`` / ``peek_following``): a page
read twice is served from memory, and every write the page shows retires it before the write
answers — a followed author's new note or deletion (the author generation), the viewer's own like
(the viewer generation), a follow or unfollow (the follows generation), an edit (the content
generation), a block or mute (the caller's stamp). Each test first checks that the page *is*
cached, so it fails if the announcement that should retire it does not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from redbridge.core.security import token_digest
from redbridge.core.services import Services
from redbridge.feeds import queries
from redbridge.reads import callers, viewers
from tests.factories import Factory, UserHandle
from tests.feeds.helpers import FOLLOWING, get_page, page_ids
from tests.notes.helpers import count_queries


def follow(client: TestClient, user: UserHandle, target: UserHandle, verb: str = "follow") -> None:
    response = client.post(f"/api/v1/users/{target.username}/{verb}", headers=user.headers)
    assert response.status_code in (200, 204), response.text


def cached(services: Services, user: UserHandle, cursor: str | None = None, limit: int = 20) -> bytes | None:
    caller = callers.peek(services, token_digest(user.token))
    return queries.peek_following(services, caller, cursor, limit) if caller is not None else None


def warm(client: TestClient, services: Services, user: UserHandle) -> dict[str, object]:
    body = get_page(client, FOLLOWING, user)
    assert cached(services, user) is not None, "the page should be cached now"
    return body


def test_a_second_read_is_served_from_the_cache(client: TestClient, factory: Factory, services: Services) -> None:
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    factory.note_row(alice, title="one")
    assert cached(services, viewer) is None
    body = warm(client, services, viewer)
    with count_queries(services) as statements:
        assert get_page(client, FOLLOWING, viewer) == body
    assert statements == []
    other = factory.user()
    follow(client, other, alice)
    assert cached(services, other) is None  # per viewer


def test_a_followed_authors_new_note_shows_on_the_next_request(client: TestClient, factory: Factory,
                                                               services: Services) -> None:
    viewer, alice, bob = factory.user(), factory.user(), factory.user()
    follow(client, viewer, alice)
    follow(client, viewer, bob)
    older = factory.note(alice, images=0, title="older")["id"]
    warm(client, services, viewer)
    newer = factory.note(bob, images=0, title="newer")["id"]  # through the API: announced
    assert page_ids(get_page(client, FOLLOWING, viewer)) == [int(newer), int(older)]


def test_a_deleted_note_leaves_the_cached_page(client: TestClient, factory: Factory, services: Services) -> None:
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    kept = factory.note(alice, images=0, title="kept")["id"]
    gone = factory.note(alice, images=0, title="gone")["id"]
    assert page_ids(warm(client, services, viewer)) == [int(gone), int(kept)]
    assert client.delete(f"/api/v1/notes/{gone}", headers=alice.headers).status_code == 204
    assert page_ids(get_page(client, FOLLOWING, viewer)) == [int(kept)]


def test_an_edit_shows_on_the_next_request(client: TestClient, factory: Factory, services: Services) -> None:
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    note = factory.note(alice, images=0, title="before")["id"]
    warm(client, services, viewer)
    assert client.patch(f"/api/v1/notes/{note}", headers=alice.headers, json={"title": "after"}).status_code == 200
    assert [c["title"] for c in get_page(client, FOLLOWING, viewer)["items"]] == ["after"]


def test_own_like_shows_on_the_next_request(client: TestClient, factory: Factory, services: Services) -> None:
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    note = factory.note_row(alice)
    warm(client, services, viewer)
    assert client.post(f"/api/v1/notes/{note}/like", headers=viewer.headers).status_code == 200
    [card] = get_page(client, FOLLOWING, viewer)["items"]
    assert (card["liked_by_me"], card["like_count"]) == (True, 1)
    assert client.delete(f"/api/v1/notes/{note}/like", headers=viewer.headers).status_code == 200
    [card] = get_page(client, FOLLOWING, viewer)["items"]
    assert (card["liked_by_me"], card["like_count"]) == (False, 0)


def test_follow_and_unfollow_show_on_the_next_request(client: TestClient, factory: Factory,
                                                      services: Services) -> None:
    viewer, alice, bob = factory.user(), factory.user(), factory.user()
    follow(client, viewer, alice)
    a = factory.note_row(alice)
    b = factory.note_row(bob)
    assert page_ids(warm(client, services, viewer)) == [a]
    follow(client, viewer, bob)
    assert page_ids(warm(client, services, viewer)) == [b, a]
    assert client.delete(f"/api/v1/users/{alice.username}/follow", headers=viewer.headers).status_code in (200, 204)
    assert page_ids(get_page(client, FOLLOWING, viewer)) == [b]


@pytest.mark.parametrize("verb", ["mute", "block"])
def test_a_mute_or_block_hides_the_author_on_the_next_request(client: TestClient, factory: Factory,
                                                              services: Services, verb: str) -> None:
    viewer, alice, bob = factory.user(), factory.user(), factory.user()
    follow(client, viewer, alice)
    follow(client, viewer, bob)
    a = factory.note_row(alice)
    b = factory.note_row(bob)
    assert page_ids(warm(client, services, viewer)) == [b, a]
    follow(client, viewer, bob, verb)
    assert page_ids(get_page(client, FOLLOWING, viewer)) == [a]


def test_being_blocked_by_a_followed_author_hides_them(client: TestClient, factory: Factory,
                                                       services: Services) -> None:
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    factory.note_row(alice)
    warm(client, services, viewer)
    follow(client, alice, viewer, "block")
    assert page_ids(get_page(client, FOLLOWING, viewer)) == []


def test_later_pages_are_cached_by_cursor(client: TestClient, factory: Factory, services: Services) -> None:
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    notes = [factory.note_row(alice) for _ in range(3)]
    first = get_page(client, FOLLOWING, viewer, limit=2)
    cursor = first["next_cursor"]
    assert isinstance(cursor, str)
    second = get_page(client, FOLLOWING, viewer, limit=2, cursor=cursor)
    assert page_ids(first) + page_ids(second) == sorted(notes, reverse=True)
    assert cached(services, viewer, cursor, 2) is not None


def test_a_viewer_following_too_many_is_not_cached(client: TestClient, factory: Factory, services: Services,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(viewers, "FOLLOWS_LIMIT", 1)
    viewer, alice, bob = factory.user(), factory.user(), factory.user()
    follow(client, viewer, alice)
    follow(client, viewer, bob)
    a, b = factory.note_row(alice), factory.note_row(bob)
    assert page_ids(get_page(client, FOLLOWING, viewer)) == [b, a]
    assert cached(services, viewer) is None
    assert page_ids(get_page(client, FOLLOWING, viewer)) == [b, a]
