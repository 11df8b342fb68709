"""Every media job delivered twice (the outbox delivers at least once) has the effect of one
delivery: one poster per video, files removed once and no error on the second removal."""

from __future__ import annotations

from pathlib import Path

import pytest

from redbridge.core.services import Services
from redbridge.settings import Settings
from tests.core.outbox_helpers import paused, redeliver
from tests.factories import Factory
from tests.notes.helpers import key_of, media_count, media_row, stored_files, upload

from . import hostile


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return paused(settings)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.make_video(tmp_path_factory.mktemp("redelivery") / "clip.mp4", seconds=1)


def test_poster_job_delivered_twice_makes_one_poster(client, factory: Factory, services: Services,
                                                     clip: Path) -> None:
    user = factory.user()
    media = upload(client, user, clip.read_bytes(), "clip.mp4", "video/mp4").json()
    row = media_row(services, media["id"])
    assert row is not None
    assert row.status == "pending"
    assert redeliver(services) == ["media.make_poster"]
    row = media_row(services, media["id"])
    assert row is not None
    assert row.status == "ready"
    assert row.poster_key
    assert row.thumb_key
    # The video, its poster and its thumbnail: a second run left nothing of its own behind.
    assert stored_files(services) == {key_of(media["url"]), row.poster_key, row.thumb_key}


def test_file_removal_jobs_delivered_twice_remove_once(client, factory: Factory, services: Services) -> None:
    user = factory.user()
    note = factory.note(user, images=2)
    keep, drop = (m["id"] for m in note["media"])
    kept, dropped = media_row(services, keep), media_row(services, drop)
    assert kept is not None
    assert dropped is not None
    edited = client.patch(f"/api/v1/notes/{note['id']}", headers=user.headers, json={"media_ids": [keep]})
    assert edited.status_code == 200, edited.text
    assert "media.purge_detached" in redeliver(services)
    assert media_row(services, drop) is None
    assert media_row(services, keep) is not None
    assert stored_files(services) == {kept.key, kept.thumb_key}

    assert client.delete(f"/api/v1/notes/{note['id']}", headers=user.headers).status_code == 204
    assert "media.delete_note_files" in redeliver(services)
    assert media_count(services) == 0
    assert stored_files(services) == set()
