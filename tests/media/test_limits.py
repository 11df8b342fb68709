"""Memory per image upload is bounded (security review, MEDIUM).

The finding: a 154 KB PNG of 6300×6300 RGBA zeros (under the 40 MP cap) cost ~520 MB, twelve
at once 6.2 GB, and the process kept 3.1 GB. What bounds it now, each proved here:

* a cap on decoded bytes, checked from the header before any pixel is decoded;
* JPEGs decoded at reduced size (libjpeg draft mode);
* a gate: one upload per slot (default one per CPU), a bounded wait queue, then 503 + Retry-After;
* decoding in worker processes that are recycled and shut down with the app.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFile

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.media import workers as media_workers
from redbridge.media.processing import ImageLimits, MediaError, decoded_bytes, process_image
from redbridge.settings import MediaSettings, Settings
from tests.conftest import prepare_schema
from tests.factories import Factory, png_bytes
from tests.notes.helpers import custom_app, media_count, stored_files, upload

from . import hostile


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[int, int]]]:
    """(mode, size) of every pixel decode in this process."""
    calls: list[tuple[str, tuple[int, int]]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        calls.append((self.mode, self.size))
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def _code(raw: bytes, limits: ImageLimits = ImageLimits()) -> str:
    with pytest.raises(MediaError) as err:
        process_image(raw, limits)
    return err.value.code


def rgba_png(width: int, height: int) -> bytes:
    return hostile.encode(Image.new("RGBA", (width, height)), "PNG")


# -------------------------------------------------------------------------------------------
# Decoded-size cap
# -------------------------------------------------------------------------------------------


def test_decoded_bytes_follow_pillows_storage() -> None:
    assert decoded_bytes("L", (100, 10)) == 1000
    assert decoded_bytes("P", (100, 10)) == 1000
    assert decoded_bytes("I;16", (100, 10)) == 2000
    assert decoded_bytes("RGB", (100, 10)) == 4000  # padded to four bytes per pixel
    assert decoded_bytes("RGBA", (100, 10)) == 4000
    assert decoded_bytes("F", (100, 10)) == 4000


def test_reported_6300_square_rgba_png_is_refused_before_decoding(
    loads: list[tuple[str, tuple[int, int]]],
) -> None:
    # The review's file, header for header (6300×6300 RGBA: 39.7 MP, under the pixel cap,
    # 159 MB decoded): under a decode cap below that, refused from the header, nothing decoded.
    # Old code had no such cap. (The default cap admits a 40 MP RGBA picture; what 12 of them at
    # once cost is bench/upload_memory.py's figure.)
    forged = hostile.forge_png_size(rgba_png(1, 1), 6300, 6300)
    assert ImageLimits().max_pixels >= 6300 * 6300
    assert ImageLimits().max_decode_bytes >= 6300 * 6300 * 4
    assert _code(forged, ImageLimits(max_decode_bytes=6300 * 6300 * 4 - 1)) == "media.too_many_pixels"
    assert loads == []


def test_decode_cap_boundary(loads: list[tuple[str, tuple[int, int]]]) -> None:
    raw = rgba_png(300, 200)
    limit = ImageLimits(max_decode_bytes=300 * 200 * 4)
    assert process_image(raw, limit).width == 300
    assert set(loads) == {("RGBA", (300, 200))}
    loads.clear()
    assert _code(raw, ImageLimits(max_decode_bytes=300 * 200 * 4 - 1)) == "media.too_many_pixels"
    assert loads == []  # refused before decoding


def test_palette_image_counts_its_rgb_copy_too() -> None:
    # A 1-byte-per-pixel palette PNG becomes RGB(A) before scaling: both copies count.
    raw = hostile.encode(Image.new("P", (300, 200)), "PNG")
    assert _code(raw, ImageLimits(max_decode_bytes=300 * 200 * 4)) == "media.too_many_pixels"
    assert process_image(raw, ImageLimits(max_decode_bytes=300 * 200 * 5)).width == 300


def test_large_jpeg_is_decoded_at_reduced_size(loads: list[tuple[str, tuple[int, int]]]) -> None:
    raw = hostile.encode(hostile.noise((6000, 4000)), "JPEG", quality=70)
    out = process_image(raw)
    assert (out.width, out.height) == (2160, 1440)
    [(mode, size)] = set(loads)  # load() is re-entered by later steps; one decode size
    # 1/2 scale: 3000×2000 (24 MB) decoded instead of 6000×4000 (96 MB).
    assert size == (3000, 2000)
    assert mode == "RGB"


def test_jpeg_over_the_cap_at_full_size_is_fine_once_drafted() -> None:
    raw = hostile.encode(hostile.noise((4400, 2200)), "JPEG", quality=70)
    # Full size would be 4400×2200×4 = 38.7 MB; drafted to 1/2 it is 9.7 MB.
    limits = ImageLimits(max_decode_bytes=20 * 1024 * 1024)
    assert process_image(raw, limits).width == 2160


def test_decode_cap_through_the_api(settings: Settings) -> None:
    with custom_app(settings, media={"max_decode_bytes": 100 * 100 * 4 - 1}) as (client, factory):
        user = factory.user()
        response = upload(client, user, rgba_png(100, 100))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "media.too_many_pixels"
        assert upload(client, user, rgba_png(99, 100)).status_code == 201


def test_orientation_still_applied_after_downscaling() -> None:
    # Orientation is applied to the downscaled copy now (never to a copy of the full decode).
    raw = hostile.jpeg_from_phone((3000, 1000), orientation=6, icc=False)
    out = process_image(raw)
    assert (out.width, out.height) == (720, 2160)


# -------------------------------------------------------------------------------------------
# The gate: slots, bounded wait queue, 503
# -------------------------------------------------------------------------------------------


def test_busy_server_answers_503_with_retry_after(settings: Settings) -> None:
    media = {"processing_slots": 1, "processing_queue": 0, "processing_retry_after_s": 7}
    with custom_app(settings, media=media) as (client, factory):
        user = factory.user()
        workers = media_workers.for_services(factory.services)
        workers.acquire()  # another upload is being processed
        try:
            response = upload(client, user, png_bytes())
            assert response.status_code == 503
            assert response.headers["retry-after"] == "7"
            assert response.json()["error"]["code"] == "media.busy"
            assert response.json()["error"]["message"]
            zh = client.post("/api/v1/media", headers={**user.headers, "Accept-Language": "zh-CN"},
                             files={"file": ("a.png", png_bytes(), "image/png")})
            assert zh.status_code == 503
        finally:
            workers.release()
        assert media_count(factory.services) == 0
        assert stored_files(factory.services) == set()
        assert upload(client, user, png_bytes()).status_code == 201


def test_busy_applies_to_videos_and_avatars(settings: Settings, tmp_path: Path) -> None:
    clip = hostile.make_video(tmp_path / "clip.mp4", seconds=1)
    with custom_app(settings, media={"processing_slots": 1, "processing_queue": 0}) as (client, factory):
        user = factory.user()
        workers = media_workers.for_services(factory.services)
        workers.acquire()
        try:
            assert upload(client, user, clip.read_bytes(), "clip.mp4", "video/mp4").status_code == 503
            avatar = client.put("/api/v1/auth/me/avatar", headers=user.headers,
                                files={"file": ("me.png", png_bytes(), "image/png")})
            assert avatar.status_code == 503
        finally:
            workers.release()
        assert upload(client, user, clip.read_bytes(), "clip.mp4", "video/mp4").status_code == 201


def test_a_queued_upload_waits_for_a_free_slot(settings: Settings) -> None:
    media = {"processing_slots": 1, "processing_queue": 1, "processing_wait_s": 10}
    with custom_app(settings, media=media) as (client, factory):
        user = factory.user()
        workers = media_workers.for_services(factory.services)
        workers.acquire()
        releaser = threading.Timer(0.5, workers.release)
        releaser.start()
        started = time.monotonic()
        response = upload(client, user, png_bytes())
        assert response.status_code == 201
        assert time.monotonic() - started >= 0.4
        releaser.join()


def test_the_wait_queue_is_bounded_and_the_wait_timed() -> None:
    workers = media_workers.MediaWorkers(
        MediaSettings(processing_slots=1, processing_queue=1, processing_wait_s=0.3, image_workers="inline"))
    workers.acquire()
    outcomes: list[str] = []

    def wait() -> None:
        try:
            workers.acquire()
        except media_workers.Busy:
            outcomes.append("busy")

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    assert workers.waiting == 1
    with pytest.raises(media_workers.Busy):
        workers.acquire()  # queue full: refused at once
    waiter.join()
    assert outcomes == ["busy"]  # timed out after processing_wait_s
    assert workers.waiting == 0


def test_slots_default_to_the_cpu_count() -> None:
    assert media_workers.MediaWorkers(MediaSettings()).slots == (os.cpu_count() or 1)


# -------------------------------------------------------------------------------------------
# Worker processes
# -------------------------------------------------------------------------------------------


def test_media_error_survives_the_trip_from_a_worker() -> None:
    err = pickle.loads(pickle.dumps(MediaError("media.truncated", "cut")))
    assert (err.code, err.detail) == ("media.truncated", "cut")


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def test_images_are_decoded_in_recycled_worker_processes(settings: Settings) -> None:
    update = {"media": settings.media.model_copy(update={"worker_max_tasks": 1, "processing_slots": 1})}
    app = create_app(settings.model_copy(update=update), SystemClock())
    prepare_schema(app.state.services)
    seen: set[int] = set()
    with TestClient(app) as client:
        factory = Factory(client, app.state.services)
        user = factory.user()
        workers = media_workers.for_services(app.state.services)
        for used in range(1, 4):
            assert upload(client, user, png_bytes(300, 200)).status_code == 201
            # The child that did the work exits after its one task; the pool notices shortly.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                seen |= set(workers.worker_pids())
                if len(seen) >= used:
                    break
                time.sleep(0.02)
        bad = upload(client, user, hostile.truncate(hostile.encode(hostile.noise((64, 64)), "PNG")))
        assert bad.json()["error"]["code"] == "media.truncated"  # the worker's MediaError, intact
    assert seen
    assert os.getpid() not in seen
    # One image per process: each upload was decoded by a fresh child.
    assert len(seen) >= 3
    # The app's shutdown stopped them.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in seen):
        time.sleep(0.05)
    assert not [pid for pid in seen if _alive(pid)]
    app.state.services.close()


def test_a_worker_killed_mid_upload_costs_only_that_upload(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    assert upload(client, user, png_bytes()).status_code == 201
    workers = media_workers.for_services(factory.services)
    for pid in workers.worker_pids():
        os.kill(pid, signal.SIGKILL)  # as the OOM killer would
    time.sleep(0.2)
    killed = upload(client, user, png_bytes())
    assert killed.status_code in {201, 422}  # 422 media.not_image if it met the dead pool
    if killed.status_code == 422:
        assert killed.json()["error"]["code"] == "media.not_image"
    assert upload(client, user, png_bytes()).status_code == 201


def test_inline_mode_processes_in_the_request_thread(settings: Settings,
                                                     loads: list[tuple[str, tuple[int, int]]]) -> None:
    with custom_app(settings, media={"image_workers": "inline"}) as (client, factory):
        assert upload(client, factory.user(), png_bytes(50, 40)).status_code == 201
        assert media_workers.for_services(factory.services).worker_pids() == []
    assert ("RGB", (50, 40)) in loads


def test_big_png_pixels_do_not_pile_up(settings: Settings) -> None:
    # Two large uploads in a row through one recycled worker: both succeed.
    raw = rgba_png(4000, 4000)  # 64 MB decoded, under the default cap
    assert len(raw) < 1_000_000
    with custom_app(settings, media={"worker_max_tasks": 1}) as (client, factory):
        user = factory.user()
        for _ in range(2):
            response = upload(client, user, raw)
            assert response.status_code == 201, response.text
            assert (response.json()["width"], response.json()["height"]) == (2160, 2160)
