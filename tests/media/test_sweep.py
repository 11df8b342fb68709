"""Nothing stays pending forever (security review, LOW): a video whose poster job died with its
worker (kill -9 after huey had taken the job off the queue) is found by the sweep and processed.
Before the sweep existed such a row stayed ``pending`` for good."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.media import actions as media_actions
from redbridge.media.models import Media
from redbridge.settings import Settings
from tests.conftest import prepare_schema
from tests.factories import Factory, UserHandle
from tests.notes.helpers import key_of, media_row, stored_files, upload

from . import hostile


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.make_video(tmp_path_factory.mktemp("sweep") / "clip.mp4", seconds=1)


def crashed_video(client: TestClient, services: Services, user: UserHandle, clip: Path,
                  age: timedelta = timedelta(hours=1)) -> dict[str, Any]:
    """A video row as a crash leaves it: stored file, row ``pending``, no poster, job gone."""
    media: dict[str, Any] = upload(client, user, clip.read_bytes(), "clip.mp4", "video/mp4").json()
    stem = key_of(media["url"]).rpartition(".")[0]
    for key in stored_files(services):
        if key.startswith(stem + "_"):
            services.storage.delete(key)  # the poster files of the (immediate) first run
    with services.sessions() as session:
        session.execute(update(Media).where(Media.id == int(media["id"])).values(
            status="pending", poster_key=None, thumb_key=None, thumb_width=0, thumb_height=0,
            created_at=services.clock.now() - age))
        session.commit()
    return media


def _status(services: Services, media: dict[str, Any]) -> str:
    row = media_row(services, media["id"])
    assert row is not None
    return row.status


def test_sweep_processes_videos_left_pending(client: TestClient, factory: Factory, services: Services,
                                             clip: Path) -> None:
    user = factory.user()
    lost = [crashed_video(client, services, user, clip) for _ in range(3)]
    # Pending for a few seconds only: its job may well still be queued, so it is left alone.
    fresh = crashed_video(client, services, user, clip, age=timedelta(seconds=5))

    result = media_actions.sweep_pending(services)
    assert sorted(result.requeued) == sorted(int(m["id"]) for m in lost)
    assert result.failed == []
    for media in lost:
        row = media_row(services, media["id"])
        assert row is not None
        assert row.status == "ready"
        assert row.poster_key is not None
        assert services.storage.path(row.poster_key) is not None
    assert _status(services, fresh) == "pending"

    # Idempotent: sweeping again finds nothing, and re-running a finished job changes nothing.
    files = stored_files(services)
    assert media_actions.sweep_pending(services).requeued == []
    for media in lost:
        media_actions.make_video_poster(services, int(media["id"]))
    assert stored_files(services) == files


def test_sweep_gives_up_on_videos_pending_for_a_day(client: TestClient, factory: Factory, services: Services,
                                                    clip: Path) -> None:
    media = crashed_video(client, services, factory.user(), clip, age=timedelta(days=2))
    result = media_actions.sweep_pending(services)
    assert result.failed == [int(media["id"])]
    assert _status(services, media) == "failed"


def test_a_duplicate_run_keeps_the_files_of_the_run_that_won(
    client: TestClient, factory: Factory, services: Services, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sweep may queue a job that is in fact still queued: two runs for one video. The one
    # that finishes second must not delete the poster the first one stored (same keys).
    media = crashed_video(client, services, factory.user(), clip)
    real = media_actions.make_poster
    nested: list[bool] = []

    def other_run_finishes_first(*args: Any, **kwargs: Any) -> Any:
        if not nested:
            nested.append(True)
            media_actions.make_video_poster(services, int(media["id"]))  # the duplicate, completing
        return real(*args, **kwargs)

    monkeypatch.setattr(media_actions, "make_poster", other_run_finishes_first)
    media_actions.make_video_poster(services, int(media["id"]))
    row = media_row(services, media["id"])
    assert row is not None
    assert row.status == "ready"
    assert row.poster_key is not None
    assert row.thumb_key is not None
    assert services.storage.path(row.poster_key) is not None
    assert services.storage.path(row.thumb_key) is not None


def test_restarted_embedded_worker_sweeps_at_startup(settings: Settings, client: TestClient, factory: Factory,
                                                     services: Services, clip: Path) -> None:
    # The first app (immediate jobs) stands for the process that was killed; the second is the
    # restart, with the embedded worker, on the same database and media directory.
    lost = [crashed_video(client, services, factory.user(), clip, age=timedelta(seconds=1)) for _ in range(2)]
    restarted = create_app(settings.model_copy(update={"jobs_mode": "embedded"}), SystemClock())
    prepare_schema(restarted.state.services)
    try:
        with TestClient(restarted):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(_status(services, m) == "pending" for m in lost):
                time.sleep(0.1)
    finally:
        restarted.state.services.close()
    assert [_status(services, m) for m in lost] == ["ready", "ready"]
