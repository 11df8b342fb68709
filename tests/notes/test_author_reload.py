"""Expired author briefs are reloaded by one background job that drains every queued author in
batches (``reads.note_page._reload_pending``), not one thread-pool job and session each: what a
change that announces nothing (written straight in the database) shows after the reload, and a
deactivated author's notes answer 404 once their brief is reloaded."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from redbridge.accounts.models import User
from redbridge.core.services import Services
from redbridge.reads import note_page as page
from redbridge.reads import viewers
from tests.factories import Factory


def url(note_id: str) -> str:
    return f"/api/v1/notes/{note_id}"


def test_expired_briefs_of_several_authors_reload_together(client: TestClient, factory: Factory,
                                                           services: Services) -> None:
    renamed, deactivated, reader = factory.user(), factory.user(), factory.user()
    notes = {author.int_id: factory.note(author, images=0)["id"] for author in (renamed, deactivated)}
    for note_id in notes.values():
        assert client.get(url(note_id), headers=reader.headers).status_code == 200
    state = page._state(services)
    keys = {author_id: (author_id, viewers.account_generation(services, author_id)) for author_id in notes}
    old = {author_id: state.authors.get(key) for author_id, key in keys.items()}
    assert all(hit is not None and hit[0] > time.monotonic() for hit in old.values())
    with services.sessions() as session:  # straight in the database: nothing is announced
        session.execute(update(User).where(User.id == renamed.int_id).values(display_name="Renamed quietly"))
        session.execute(update(User).where(User.id == deactivated.int_id).values(is_active=False))
        session.commit()
    for author_id, key in keys.items():
        hit = old[author_id]
        assert hit is not None
        state.authors.put(key, (time.monotonic() - 1, hit[1]))  # just expired
    first = [client.get(url(note_id), headers=reader.headers) for note_id in notes.values()]
    if services.cache.local:  # served stale while the reload runs (with Redis: the miss path)
        assert [response.status_code for response in first] == [200, 200]
    deadline = time.monotonic() + 30  # how long the background reload may take on a busy machine
    while (state.reloading or state.draining) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not state.reloading
    assert not state.pending
    assert not state.draining
    response = client.get(url(notes[renamed.int_id]), headers=reader.headers)
    assert response.status_code == 200, response.text
    assert response.json()["author"]["display_name"] == "Renamed quietly"
    assert client.get(url(notes[deactivated.int_id]), headers=reader.headers).status_code == 404


def test_a_failed_reload_leaves_no_job_behind(client: TestClient, factory: Factory, services: Services,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever escapes a batch, the job does not stay marked as running (the next expiry starts a
    new one) and the authors of that batch are no longer marked as reloading."""
    author = factory.user()
    state = page._state(services)
    calls: list[list[int]] = []

    def failing(_services: Services, author_ids: list[int]) -> None:
        calls.append(list(author_ids))
        raise RuntimeError("database away")

    monkeypatch.setattr(page, "_reload", failing)
    state.reloading.add(author.int_id)
    state.pending.append(author.int_id)
    state.draining = True
    with pytest.raises(RuntimeError):
        page._reload_pending(services)
    assert calls == [[author.int_id]]
    assert not state.reloading
    assert not state.pending
    assert not state.draining
