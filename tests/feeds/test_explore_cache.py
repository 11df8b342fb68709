"""Explore's page cache (pages inside the ranked pool, per viewer and per anonymous language) and
the way every write a reader must see retires it: their own likes, blocks and mutes (either
side), profile edits, and deleted notes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from redbridge.core import ids
from redbridge.core.security import token_digest
from redbridge.core.services import Services
from redbridge.feeds import explore
from redbridge.reads import callers
from tests.factories import Factory, UserHandle
from tests.feeds.helpers import EXPLORE, get_page, page_ids, walk

LIMIT = 5


@pytest.fixture
def authors(factory: Factory) -> list[UserHandle]:
    """Twelve authors with two liked notes each: 24 notes, so a page of 5 stays inside the pool."""
    people = [factory.user() for _ in range(12)]
    for k, person in enumerate(people):
        for j in range(2):
            factory.note_row(person, title=f"note {k}-{j}", likes=100 - 4 * k - j)
    return people


def first(client: TestClient, user: UserHandle | None) -> dict[str, object]:
    return get_page(client, EXPLORE, user, limit=LIMIT)


def cached_page(services: Services, user: UserHandle | None) -> bytes | None:
    caller = callers.peek(services, token_digest(user.token)) if user is not None else None
    if user is not None and caller is None:
        return None
    return explore.peek(services, caller, "en", None, None, LIMIT)


def author_of(body: dict[str, object], note_id: int) -> str:
    items = body["items"]
    assert isinstance(items, list)
    return str(next(card["author"]["username"] for card in items if int(card["id"]) == note_id))


def test_pages_inside_the_pool_are_cached_per_viewer(client: TestClient, services: Services, factory: Factory,
                                                     authors: list[UserHandle]) -> None:
    reader, other = factory.user(), factory.user()
    assert cached_page(services, reader) is None
    body = first(client, reader)
    assert body["next_cursor"] is not None
    hit = cached_page(services, reader)
    assert hit is not None
    assert page_ids(explore.FeedPage.model_validate_json(hit).model_dump()) == page_ids(body)
    assert cached_page(services, other) is None  # another viewer: another page
    assert cached_page(services, None) is None  # and not the anonymous one either
    assert first(client, reader) == body


def test_own_like_shows_on_the_very_next_page(client: TestClient, services: Services, factory: Factory,
                                              authors: list[UserHandle]) -> None:
    reader, other = factory.user(), factory.user()
    body = first(client, reader)
    first(client, other)
    note = ids.encode(page_ids(body)[0])
    assert body["items"][0]["liked_by_me"] is False  # type: ignore[index]
    assert client.post(f"/api/v1/notes/{note}/like", headers=reader.headers).status_code == 200
    assert first(client, reader)["items"][0]["liked_by_me"] is True  # type: ignore[index]
    assert first(client, other)["items"][0]["liked_by_me"] is False  # type: ignore[index]
    assert client.delete(f"/api/v1/notes/{note}/like", headers=reader.headers).status_code == 200
    assert first(client, reader)["items"][0]["liked_by_me"] is False  # type: ignore[index]


@pytest.mark.parametrize("who", ["reader blocks", "author blocks", "reader mutes"])
def test_hidden_authors_leave_cached_pages_at_once(client: TestClient, services: Services, factory: Factory,
                                                   authors: list[UserHandle], who: str) -> None:
    reader = factory.user()
    body = first(client, reader)
    top = page_ids(body)[0]
    author = next(a for a in authors if a.username == author_of(body, top))
    warm_anonymous = first(client, None)
    if who == "reader blocks":
        response = client.post(f"/api/v1/users/{author.username}/block", headers=reader.headers)
    elif who == "author blocks":
        response = client.post(f"/api/v1/users/{reader.username}/block", headers=author.headers)
    else:
        response = client.post(f"/api/v1/users/{author.username}/mute", headers=reader.headers)
    assert response.status_code == 204
    after = first(client, reader)
    assert all(card["author"]["username"] != author.username for card in after["items"])  # type: ignore[attr-defined]
    assert len(page_ids(after)) == LIMIT
    # Nobody else's view changed.
    assert first(client, None) == warm_anonymous


def test_a_deleted_note_leaves_every_cached_page(client: TestClient, services: Services, factory: Factory,
                                                 authors: list[UserHandle]) -> None:
    reader = factory.user()
    body = first(client, reader)
    top = page_ids(body)[0]
    first(client, None)
    author = next(a for a in authors if a.username == author_of(body, top))
    assert client.delete(f"/api/v1/notes/{ids.encode(top)}", headers=author.headers).status_code == 204
    assert top not in page_ids(first(client, reader))
    assert top not in page_ids(first(client, None))


def test_a_profile_edit_gives_the_next_first_page_a_new_key(client: TestClient, services: Services,
                                                             factory: Factory, authors: list[UserHandle]) -> None:
    reader = factory.user()
    first(client, reader)
    assert cached_page(services, reader) is not None
    assert client.patch("/api/v1/auth/me", headers=reader.headers, json={"read_langs": ["zh"]}).status_code == 200
    assert cached_page(services, reader) is None


def test_scrolling_through_cached_pages_neither_skips_nor_repeats(client: TestClient, factory: Factory,
                                                                  authors: list[UserHandle]) -> None:
    reader = factory.user()
    once = walk(client, EXPLORE, reader, limit=LIMIT)
    again = walk(client, EXPLORE, reader, limit=LIMIT)  # every in-pool page now from the cache
    assert once == again
    assert len(once) == len(set(once)) == 24
