"""``notes.recompute_hot`` delivered twice (the outbox delivers at least once) leaves the rank a
single delivery gives: it recomputes from the counters, it does not add to them."""

from __future__ import annotations

import pytest

from redbridge.core.services import Services
from redbridge.notes.models import Note
from redbridge.notes.ranking import hot_score
from redbridge.settings import Settings
from tests.core.outbox_helpers import paused, redeliver
from tests.factories import Factory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return paused(settings)


def test_hot_rank_recomputed_twice_counts_the_like_once(client, factory: Factory, services: Services) -> None:
    author, fan = factory.user(), factory.user()
    note_id = factory.note_row(author)
    assert client.post(f"/api/v1/notes/{note_id}/like", headers=fan.headers).status_code == 200
    assert "notes.recompute_hot" in redeliver(services)
    with services.sessions() as session:
        note = session.get(Note, note_id)
        assert note is not None
        assert note.like_count == 1
        assert note.hot == pytest.approx(hot_score(1, 0, 0, note.created_at))
