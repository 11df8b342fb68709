"""The note page cache (``notes.page``): a second read runs no query, and every write the page
shows — edit, delete, the reader's own like or collect, another reader's like, a comment, a block
either way — is seen by the very next read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import create_model
from sqlalchemy import update

from redbridge.accounts.models import User
from redbridge.core.security import token_digest
from redbridge.core.services import Services
from redbridge.notes.schemas import NoteOut
from redbridge.reads import callers
from redbridge.reads import note_page as page
from tests.factories import Factory, UserHandle

from .helpers import count_queries


def url(note_id: str) -> str:
    return f"/api/v1/notes/{note_id}"


def read(client: TestClient, note_id: str, user: UserHandle | None = None) -> dict[str, Any]:
    response = client.get(url(note_id), headers=user.headers if user else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cached(services: Services, note_id: str, user: UserHandle | None) -> bytes | None:
    caller = callers.peek(services, token_digest(user.token)) if user is not None else None
    return page.peek(services, caller, int(note_id))


@pytest.mark.parametrize("as_user", [False, True])
def test_a_second_read_is_served_from_the_cache(client: TestClient, factory: Factory, services: Services,
                                                as_user: bool) -> None:
    author = factory.user()
    reader = factory.user() if as_user else None
    note_id = factory.note(author, images=2, title="Cached")["id"]
    first = client.get(url(note_id), headers=reader.headers if reader else {})
    assert cached(services, note_id, reader) == first.content
    with count_queries(services) as statements:
        again = client.get(url(note_id), headers=reader.headers if reader else {})
    assert again.content == first.content
    assert statements == []


def test_the_cached_page_is_the_uncached_one(client: TestClient, factory: Factory, services: Services) -> None:
    """The cache cuts the JSON around the viewer's flags; every combination must come back whole."""
    author, reader = factory.user(), factory.user()
    quoted = '"liked_by_me":false,"collected_by_me":false,'
    note_id = factory.note(author, images=1, title="Quotes", body=quoted)["id"]
    for verb in ("like", "collect"):
        assert client.post(f"{url(note_id)}/{verb}", headers=reader.headers).status_code == 200
        fresh = read(client, note_id, reader)
        assert read(client, note_id, reader) == fresh
        assert fresh["body"] == quoted
    assert (fresh["liked_by_me"], fresh["collected_by_me"]) == (True, True)
    assert (read(client, note_id)["liked_by_me"], read(client, note_id)["collected_by_me"]) == (False, False)


def test_own_like_and_collect_show_at_once(client: TestClient, factory: Factory) -> None:
    author, reader, other = factory.user(), factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    for user in (reader, other, None):
        read(client, note_id, user)
    assert client.post(f"{url(note_id)}/like", headers=reader.headers).status_code == 200
    assert client.post(f"{url(note_id)}/collect", headers=reader.headers).status_code == 200
    mine = read(client, note_id, reader)
    assert (mine["like_count"], mine["liked_by_me"], mine["collect_count"], mine["collected_by_me"]) == (1, True, 1, True)
    theirs = read(client, note_id, other)
    assert (theirs["like_count"], theirs["liked_by_me"], theirs["collected_by_me"]) == (1, False, False)
    assert read(client, note_id)["like_count"] == 1
    assert client.delete(f"{url(note_id)}/like", headers=reader.headers).status_code == 200
    assert client.delete(f"{url(note_id)}/collect", headers=reader.headers).status_code == 200
    mine = read(client, note_id, reader)
    assert (mine["like_count"], mine["liked_by_me"], mine["collect_count"], mine["collected_by_me"]) == (0, False, 0, False)


def test_a_comment_updates_the_count(client: TestClient, factory: Factory) -> None:
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    assert read(client, note_id)["comment_count"] == 0
    response = client.post(f"{url(note_id)}/comments", headers=reader.headers, json={"body": "Lovely"})
    assert response.status_code == 201, response.text
    assert read(client, note_id)["comment_count"] == 1


def test_an_edit_shows_at_once(client: TestClient, factory: Factory) -> None:
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=0, title="Before", body="old #tea")["id"]
    for user in (author, reader, None):
        read(client, note_id, user)
    response = client.patch(url(note_id), headers=author.headers, json={"title": "After", "body": "new #coffee"})
    assert response.status_code == 200, response.text
    for user in (author, reader, None):
        body = read(client, note_id, user)
        assert (body["title"], body["body"], body["tags"]) == ("After", "new #coffee", ["coffee"])


def test_a_deleted_note_is_gone_at_once(client: TestClient, factory: Factory, services: Services) -> None:
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=1)["id"]
    for user in (reader, None):
        read(client, note_id, user)
    assert client.delete(url(note_id), headers=author.headers).status_code == 204
    for user in (reader, None):
        assert client.get(url(note_id), headers=user.headers if user else {}).status_code == 404
        assert cached(services, note_id, user) is None


@pytest.mark.parametrize("direction", ["author blocks reader", "reader blocks author"])
def test_a_block_hides_a_cached_note_at_once(client: TestClient, factory: Factory, direction: str) -> None:
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    read(client, note_id, reader)
    read(client, note_id, reader)
    blocker, target = (author, reader) if direction == "author blocks reader" else (reader, author)
    assert client.post(f"/api/v1/users/{target.username}/block", headers=blocker.headers).status_code == 204
    assert client.get(url(note_id), headers=reader.headers).status_code == 404
    assert read(client, note_id)["id"] == note_id  # anonymous readers still see it
    assert client.delete(f"/api/v1/users/{target.username}/block", headers=blocker.headers).status_code == 204
    assert read(client, note_id, reader)["id"] == note_id


def test_a_muted_authors_note_stays_readable(client: TestClient, factory: Factory) -> None:
    """Mute hides an author from feeds, not from their note page (it takes the database path)."""
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    read(client, note_id, reader)
    assert client.post(f"/api/v1/users/{author.username}/mute", headers=reader.headers).status_code == 204
    assert read(client, note_id, reader)["id"] == note_id
    assert read(client, note_id, reader)["id"] == note_id


def test_a_retired_generation_never_comes_back(factory: Factory, services: Services) -> None:
    """Generations are random tokens, not counters: an evicted or expired one cannot revive an old
    cached page."""
    note_id = factory.note_row(factory.user())
    seen = set()
    for _ in range(20):
        token = page.generation(services, note_id)
        assert token == page.generation(services, note_id)
        seen.add(token)
        services.cache.delete(f"notes:page-gen:{note_id}")
    assert len(seen) == 20


def test_the_author_is_reread_on_its_own(client: TestClient, factory: Factory, services: Services) -> None:
    """The author brief is memoised apart from the note (for ``AUTHOR_CACHE_S``, not covered by the
    note's generation): once it has expired, a read of a cached note fetches the author and the
    reader's flags alone, and shows a rename."""
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    read(client, note_id, reader)
    response = client.patch("/api/v1/auth/me", headers=author.headers, json={"display_name": "Renamed"})
    assert response.status_code == 200, response.text
    page._state(services).authors.clear()
    page._state(services).flags.clear()
    with count_queries(services) as statements:
        body = read(client, note_id, reader)
    assert body["author"]["display_name"] == "Renamed"
    assert len(statements) == 2, statements  # the author; flags and block check in one


def test_a_deactivated_author_is_seen_with_the_author(client: TestClient, factory: Factory,
                                                      services: Services) -> None:
    author = factory.user()
    note_id = factory.note(author, images=0)["id"]
    read(client, note_id)
    with services.sessions() as session:
        session.execute(update(User).where(User.id == author.int_id).values(is_active=False))
        session.commit()
    page._state(services).authors.clear()  # what AUTHOR_CACHE_S does in time
    assert client.get(url(note_id)).status_code == 404


@pytest.mark.parametrize("order", ["reversed", "personal_last", "personal_between"])
def test_the_cached_page_does_not_depend_on_noteouts_field_order(client: TestClient, factory: Factory,
                                                                  order: str) -> None:
    # The page is split into what every reader shares and the personal fields, then composed: a
    # NoteOut whose fields come in any other order composes to the same object. (The old cache cut
    # the JSON around the author, which had to come third, and the flags.)
    author = factory.user()
    note = factory.note(author, title='a "quoted" title', body='with "liked_by_me":true, in it')
    out = NoteOut.model_validate(read(client, note["id"], author))
    names = list(NoteOut.model_fields)
    personal = ["author", "liked_by_me", "collected_by_me"]
    rest = [n for n in names if n not in personal]
    reordered_names = {
        "reversed": names[::-1],
        "personal_last": rest + personal,
        "personal_between": [*rest[:3], "liked_by_me", *rest[3:6], "author", *rest[6:], "collected_by_me"],
    }[order]
    assert sorted(reordered_names) == sorted(names)
    fields: dict[str, Any] = {n: (NoteOut.model_fields[n].annotation, ...) for n in reordered_names}
    reordered = create_model("Reordered", **fields)
    shuffled = reordered(**{n: getattr(out, n) for n in reordered_names})
    assert list(json.loads(shuffled.model_dump_json())) == reordered_names  # really another order
    for liked, collected in [(False, False), (True, False), (False, True), (True, True)]:
        composed = page.compose(page.split(shuffled), out.author.model_dump_json().encode(), liked, collected)
        expected = {**out.model_dump(mode="json"), "liked_by_me": liked, "collected_by_me": collected}
        assert json.loads(composed) == expected
