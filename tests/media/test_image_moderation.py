"""The upload pipeline's image-moderation measurements, in the real image worker processes with the
real open_nsfw model (docs/media.md, "Images"; thresholds and the blocklist: tests/moderation/test_images.py)."""

from __future__ import annotations

import sys

from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.core import ids
from redbridge.media.models import Media
from redbridge.media.processing import ImageLimits, process_image
from redbridge.media.workers import MediaWorkers
from redbridge.moderation import images
from redbridge.moderation.images import OpenNSFW
from redbridge.moderation.signals import distance
from redbridge.settings import ImageSettings, MediaSettings, Settings
from tests.factories import Factory
from tests.moderation.pictures import jpeg, picture, resized
from tests.safety.helpers import install_fake_checker


def test_process_image_measures_the_thumbnail() -> None:
    data = jpeg(picture(3))
    plain = process_image(data)
    assert plain.phash is not None
    assert plain.nsfw_score is None  # no scorer, no score
    scored = process_image(data, ImageLimits(), OpenNSFW())
    assert scored.phash == plain.phash
    assert scored.nsfw_score is not None
    assert 0.0 <= scored.nsfw_score < 0.8
    # The hash is of the picture, not of the upload's size: a smaller copy hashes (almost) alike.
    small = process_image(jpeg(resized(picture(3), 0.3)))
    assert small.phash is not None
    assert distance(plain.phash, small.phash) <= 4


def _fresh_worker_state() -> tuple[int, bool]:
    """In a worker, before it has done anything: whether the model is built, and scipy's DCT
    (``imagehash.phash``'s lazy import) loaded — both inherited from the forkserver."""
    return images._classifier.cache_info().currsize, "scipy.fftpack" in sys.modules


def test_worker_processes_score_with_the_preloaded_model() -> None:
    workers = MediaWorkers(MediaSettings(processing_slots=1, worker_max_tasks=3), preload_nsfw=True)
    try:
        fresh = workers._executor().submit(_fresh_worker_state).result()  # the pool's first task
        scores = [workers.process_image(jpeg(picture(seed)), ImageLimits(), OpenNSFW()).nsfw_score
                  for seed in range(3)]  # the third runs in a replacement child
        pids = workers.worker_pids()
    finally:
        workers.close()
    assert fresh == (1, True)
    assert all(s is not None and 0.0 <= s < 0.8 for s in scores), scores
    assert pids


def test_upload_through_the_api_stores_the_measurements(client: TestClient, factory: Factory, services: object) -> None:
    install_fake_checker(services)  # type: ignore[arg-type]
    user = factory.user()
    media = factory.upload(user, jpeg(picture(9)), "p.jpg", "image/jpeg")
    with services.sessions() as session:  # type: ignore[attr-defined]
        row = session.scalar(select(Media).where(Media.id == ids.decode(media["id"])))
    assert row is not None
    assert row.phash is not None
    assert row.nsfw_score is not None
    assert 0.0 <= row.nsfw_score < 0.8
    assert (row.verdict, row.blocked_by) == ("allow", None)
    assert set(media) >= {"id"}  # nothing about moderation is in the public answer
    assert "nsfw_score" not in media
    assert "phash" not in media


def test_the_model_can_be_switched_off() -> None:
    """``REDBRIDGE_IMAGES__NSFW=false``: no scorer, so no model is loaded and no score is stored."""

    class _Services:
        settings = Settings(images=ImageSettings(nsfw=False))

    assert images.scorer(_Services()) is None  # type: ignore[arg-type]
