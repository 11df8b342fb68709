"""The note page answers a reader's ``liked_by_me`` / ``collected_by_me`` from the reader's
engagement (``reads.viewers``: every note they like and collect, memoised per viewer generation),
so a reader's first look at a note whose body is cached needs no query — and their own like,
unlike, collect or uncollect retires it (``engagement_changed``) before the write answers."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from redbridge.core.security import token_digest
from redbridge.core.services import Services
from redbridge.reads import callers, viewers
from redbridge.reads import note_page as page
from tests.factories import Factory, UserHandle, png_bytes

from .helpers import count_queries


def url(note_id: str) -> str:
    return f"/api/v1/notes/{note_id}"


def flags(client: TestClient, note_id: str, user: UserHandle) -> tuple[bool, bool]:
    response = client.get(url(note_id), headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["liked_by_me"], body["collected_by_me"]


def peeked(services: Services, note_id: str, user: UserHandle) -> bytes | None:
    caller = callers.peek(services, token_digest(user.token))
    assert caller is not None
    return page.peek(services, caller, int(note_id))


def test_a_first_look_at_a_cached_note_needs_no_query(client: TestClient, factory: Factory,
                                                      services: Services) -> None:
    author, reader, other = factory.user(), factory.user(), factory.user()
    first, second = (factory.note(author, images=0)["id"] for _ in range(2))
    assert client.post(f"{url(second)}/like", headers=reader.headers).status_code == 200
    assert client.post(f"{url(second)}/collect", headers=reader.headers).status_code == 200
    for note_id in (first, second):
        flags(client, note_id, other)  # the bodies are cached by someone else's reads
    assert flags(client, first, reader) == (False, False)  # loads the reader's engagement
    # The reader never opened the second note: answered on the event loop, flags from memory.
    hit = peeked(services, second, reader)
    assert hit is not None
    with count_queries(services) as statements:
        assert flags(client, second, reader) == (True, True)
    assert statements == []


@pytest.mark.parametrize("verb", ["like", "collect"])
def test_own_engagement_retires_the_memo(client: TestClient, factory: Factory, services: Services,
                                         verb: str) -> None:
    """The note's body is rebuilt by another reader after the like, so only the viewer's
    generation (not the note's) stands between the reader and a stale ``liked_by_me``."""
    author, reader, other = factory.user(), factory.user(), factory.user()
    seen, target = (factory.note(author, images=0)["id"] for _ in range(2))
    for note_id in (seen, target):
        flags(client, note_id, other)
    flags(client, seen, reader)  # the reader's engagement is memoised now
    assert peeked(services, target, reader) is not None
    assert client.post(f"{url(target)}/{verb}", headers=reader.headers).status_code == 200
    flags(client, target, other)  # the body again, under the note's new generation
    expected = (True, False) if verb == "like" else (False, True)
    assert flags(client, target, reader) == expected
    assert client.delete(f"{url(target)}/{verb}", headers=reader.headers).status_code == 200
    flags(client, target, other)
    assert flags(client, target, reader) == (False, False)


def test_more_engagement_than_the_memo_holds_reads_the_flags_per_note(
        client: TestClient, factory: Factory, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(viewers, "ENGAGEMENT_LIMIT", 1)
    author, reader, other = factory.user(), factory.user(), factory.user()
    notes = [factory.note(author, images=0)["id"] for _ in range(3)]
    for note_id in notes[:2]:
        assert client.post(f"{url(note_id)}/like", headers=reader.headers).status_code == 200
    for note_id in notes:
        flags(client, note_id, other)
    assert [flags(client, note_id, reader) for note_id in notes] == [(True, False), (True, False), (False, False)]
    token = viewers.viewer_generation(services, reader.int_id)
    with services.sessions() as session:
        assert viewers.engagement(services, session, reader.int_id, token) is None


def test_an_expired_author_brief_is_served_while_one_reload_runs(client: TestClient, factory: Factory,
                                                                 services: Services) -> None:
    """Stale-while-revalidate for the author brief: just past its expiry the cached brief is still
    served (a popular note's readers do not all miss at once) and one background reload brings
    the current one; past ``AUTHOR_STALE_S`` a read takes the miss path. (A stale brief under the
    current account generation is what a change that announces nothing leaves: an account
    deactivated straight in the database.)"""
    author, reader = factory.user(), factory.user()
    response = client.patch("/api/v1/auth/me", headers=author.headers, json={"display_name": "Before"})
    assert response.status_code == 200, response.text
    note_id = factory.note(author, images=0)["id"]
    flags(client, note_id, reader)
    state = page._state(services)
    key = (author.int_id, viewers.account_generation(services, author.int_id))
    _expires, brief = state.authors.get(key) or (0.0, b"")
    assert b"Before" in brief
    response = client.patch("/api/v1/auth/me", headers=author.headers, json={"display_name": "After"})
    assert response.status_code == 200, response.text
    key = (author.int_id, viewers.account_generation(services, author.int_id))  # retired by the rename
    state.authors.put(key, (time.monotonic() - 1, brief))  # just expired
    # With a shared cache (Redis) the cached path runs on a worker thread, without a loop to reload
    # on: it takes the miss path instead.
    stale = "Before" if services.cache.local else "After"
    assert client.get(url(note_id), headers=reader.headers).json()["author"]["display_name"] == stale
    deadline = time.monotonic() + 30  # how long the background reload may take on a busy machine
    while author.int_id in state.reloading and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.get(url(note_id), headers=reader.headers).json()["author"]["display_name"] == "After"
    state.authors.put(key, (time.monotonic() - page.AUTHOR_STALE_S - 1, brief))  # long expired
    assert client.get(url(note_id), headers=reader.headers).json()["author"]["display_name"] == "After"


def test_a_rename_shows_on_the_next_read(client: TestClient, factory: Factory, services: Services) -> None:
    """The author brief is keyed by the account generation, which ``account_changed`` retires."""
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    flags(client, note_id, reader)
    assert peeked(services, note_id, reader) is not None
    response = client.patch("/api/v1/auth/me", headers=author.headers, json={"display_name": "Renamed"})
    assert response.status_code == 200, response.text
    assert client.get(url(note_id), headers=reader.headers).json()["author"]["display_name"] == "Renamed"


def test_a_new_avatar_shows_on_the_next_read(client: TestClient, factory: Factory) -> None:
    """An avatar change announces ``account_changed``: the cached author brief is retired."""
    author, reader = factory.user(), factory.user()
    note_id = factory.note(author, images=0)["id"]
    assert client.get(url(note_id), headers=reader.headers).json()["author"]["avatar_url"] is None
    client.get(url(note_id), headers=reader.headers)  # cached now
    response = client.put("/api/v1/auth/me/avatar", headers=author.headers,
                          files={"file": ("me.png", png_bytes(), "image/png")})
    assert response.status_code == 200, response.text
    avatar = response.json()["avatar_url"]
    assert avatar
    assert client.get(url(note_id), headers=reader.headers).json()["author"]["avatar_url"] == avatar
