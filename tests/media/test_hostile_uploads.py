"""Hostile uploads through the API: each gets a clear 4xx, nothing is stored, and the server and
the data already there are unharmed. Every file is built in the test (tests/media/hostile.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from redbridge.core.services import Services
from redbridge.media import actions as media_actions
from redbridge.media.models import Media
from redbridge.settings import Settings
from tests.factories import Factory, UserHandle
from tests.notes.helpers import (
    custom_app,
    decode_image,
    key_of,
    media_count,
    media_row,
    post_note,
    stored_files,
    upload,
)

from . import hostile

METADATA_CHUNKS = {"EXIF", "XMP ", "ICCP"}


class Baseline:
    """A note with a photo posted before the attack, and a way to check it survived."""

    def __init__(self, client: TestClient, factory: Factory) -> None:
        self.client = client
        self.services = factory.services
        self.user = factory.user()
        self.note = factory.note(self.user, images=1, title="Before the attack")
        self.image = self.client.get(self.note["media"][0]["url"]).content
        self.files = stored_files(self.services)
        self.media = media_count(self.services)

    def assert_intact(self) -> None:
        assert self.client.get("/healthz").status_code == 200
        response = self.client.get(f"/api/v1/notes/{self.note['id']}")
        assert response.status_code == 200
        assert response.json() == {**self.note, "liked_by_me": False, "collected_by_me": False}
        assert self.client.get(self.note["media"][0]["url"]).content == self.image
        # Nothing new was stored: no row, no file, not even a temp file.
        assert stored_files(self.services) == self.files
        assert media_count(self.services) == self.media


@pytest.fixture
def baseline(client: TestClient, factory: Factory) -> Baseline:
    return Baseline(client, factory)


def _refused(response: Any, status: int, code: str | set[str]) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] in ({code} if isinstance(code, str) else code), error
    assert error["message"]
    assert "Traceback" not in response.text


IMAGE_ATTACKS: dict[str, tuple[Callable[[], bytes], str]] = {
    "png-bomb": (hostile.png_bomb, "media.too_many_pixels"),
    "gif-bomb": (hostile.gif_bomb, "media.too_many_pixels"),
    "jpeg-bomb": (hostile.jpeg_bomb, "media.too_many_pixels"),
    "truncated-jpeg": (lambda: hostile.truncate(hostile.encode(hostile.noise((128, 128)), "JPEG", quality=95)),
                       "media.truncated"),
    "truncated-png": (lambda: hostile.truncate(hostile.encode(hostile.noise((128, 128)), "PNG")), "media.truncated"),
    "text-as-jpg": (lambda: hostile.NOT_IMAGES["text"], "media.not_image"),
    "html-as-jpg": (lambda: hostile.NOT_IMAGES["html"], "media.not_image"),
    "svg-as-jpg": (lambda: hostile.NOT_IMAGES["svg"], "media.not_image"),
    "zip-as-jpg": (lambda: hostile.NOT_IMAGES["zip"], "media.not_image"),
    "elf-as-jpg": (lambda: hostile.NOT_IMAGES["elf"], "media.not_image"),
    "empty": (lambda: b"", "media.not_image"),
    "tiff": (lambda: hostile.other_formats()["tiff"], "media.unsupported_format"),
    "bmp": (lambda: hostile.other_formats()["bmp"], "media.unsupported_format"),
}


@pytest.mark.parametrize("attack", sorted(IMAGE_ATTACKS))
def test_hostile_image(client: TestClient, baseline: Baseline, attack: str) -> None:
    build, code = IMAGE_ATTACKS[attack]
    response = upload(client, baseline.user, build(), "holiday.jpg", "image/jpeg")
    _refused(response, 422, code)
    baseline.assert_intact()


def test_error_messages_follow_the_callers_language(client: TestClient, factory: Factory,
                                                     baseline: Baseline) -> None:
    chinese = factory.user(ui_lang="zh-Hans")
    response = upload(client, chinese, hostile.png_bomb(), "x.jpg", "image/jpeg")
    _refused(response, 422, "media.too_many_pixels")
    assert response.json()["error"]["fields"] == {"file": "too_many_pixels"}
    assert "像素" in response.json()["error"]["message"]
    baseline.assert_intact()


def test_gps_exif_is_gone_from_the_served_copy(client: TestClient, baseline: Baseline) -> None:
    phone = hostile.jpeg_from_phone((400, 200), orientation=6)
    assert b"RedbridgeCam" in phone  # the upload really carries the metadata
    media = upload(client, baseline.user, phone, "IMG_0001.JPG", "image/jpeg").json()
    for url in (media["url"], media["thumb_url"]):
        served = client.get(url).content
        chunks = set(hostile.riff_chunks(served))
        assert not METADATA_CHUNKS & chunks, chunks
        for marker in (b"RedbridgeCam", b"GPSLatitude", b"taken at home", b"Exif"):
            assert marker not in served
        img = decode_image(served)
        assert len(img.getexif()) == 0
        assert not img.getexif().get_ifd(0x8825)
    # Orientation 6 was applied to the pixels before the EXIF went: portrait now.
    assert (media["width"], media["height"]) == (200, 400)
    assert client.get("/healthz").status_code == 200


def test_image_over_the_byte_cap(settings: Settings) -> None:
    with custom_app(settings, media={"max_image_bytes": 20_000}) as (client, factory):
        baseline = Baseline(client, factory)
        big = hostile.encode(hostile.noise((200, 200)), "PNG")
        assert len(big) > 20_000
        response = upload(client, baseline.user, big, "big.png", "image/png")
        _refused(response, 413, "media.too_large")
        assert "MB" in response.json()["error"]["message"]
        baseline.assert_intact()


def test_body_over_the_server_cap(settings: Settings) -> None:
    # The whole request is refused before parsing when it exceeds the video cap (+ form overhead).
    with custom_app(settings, media={"max_video_bytes": 50_000}) as (client, factory):
        baseline = Baseline(client, factory)
        response = upload(client, baseline.user, b"\0" * (2 * 1024 * 1024), "huge.mp4", "video/mp4")
        _refused(response, 413, {"too_large", "media.too_large"})
        baseline.assert_intact()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=1)


def test_video_becomes_ready_with_a_poster(client: TestClient, baseline: Baseline, services: Services,
                                           clip: Path) -> None:
    response = upload(client, baseline.user, clip.read_bytes(), "clip.mp4", "video/mp4", alt="test pattern")
    assert response.status_code == 201, response.text
    pending = response.json()
    assert pending["kind"] == "video"
    assert pending["status"] == "pending"
    assert pending["poster_url"] is None
    assert pending["content_type"] == "video/mp4"
    assert (pending["width"], pending["height"]) == (320, 240)
    assert pending["duration_s"] == pytest.approx(1.0, abs=0.2)
    assert key_of(pending["url"]).startswith("v/")

    # The poster job ran after commit (jobs are immediate in tests).
    ready = client.get(f"/api/v1/media/{pending['id']}", headers=baseline.user.headers).json()
    assert ready["status"] == "ready"
    poster = decode_image(client.get(ready["poster_url"]).content)
    assert poster.size == (320, 240)
    thumb = client.get(ready["thumb_url"])
    assert thumb.headers["content-type"] == "image/webp"
    video = client.get(ready["url"], headers={"Range": "bytes=0-99"})
    assert video.status_code == 206
    assert video.headers["content-type"] == "video/mp4"
    # The stored copy is the metadata-free remux (tests/media/test_video_metadata.py), with the
    # index up front (faststart) so playback starts before the whole file has arrived.
    whole = client.get(ready["url"]).content
    assert video.content == whole[:100]
    assert 0 < whole.find(b"moov") < whole.find(b"mdat")

    note = post_note(client, baseline.user, title="A clip", media_ids=[ready["id"]]).json()
    assert note["kind"] == "video"
    assert note["media"][0]["poster_url"] == ready["poster_url"]
    assert client.get("/healthz").status_code == 200


def test_video_by_extension_only(client: TestClient, baseline: Baseline, clip: Path) -> None:
    response = upload(client, baseline.user, clip.read_bytes(), "clip.MP4", "application/octet-stream")
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "video"


def test_video_without_ffmpeg(settings: Settings, clip: Path) -> None:
    with custom_app(settings, media={"ffmpeg": "definitely-missing-ffmpeg"}) as (client, factory):
        baseline = Baseline(client, factory)
        response = upload(client, baseline.user, clip.read_bytes(), "clip.mp4", "video/mp4")
        _refused(response, 422, "media.ffmpeg_missing")
        assert "ffmpeg" in response.json()["error"]["message"]
        baseline.assert_intact()


def test_video_over_the_byte_cap(settings: Settings, clip: Path) -> None:
    data = clip.read_bytes()
    with custom_app(settings, media={"max_video_bytes": len(data) - 1}) as (client, factory):
        baseline = Baseline(client, factory)
        _refused(upload(client, baseline.user, data, "clip.mp4", "video/mp4"), 413, "media.too_large")
        baseline.assert_intact()


def test_video_over_the_duration_cap(settings: Settings, clip: Path) -> None:
    with custom_app(settings, media={"max_video_seconds": 0.5}) as (client, factory):
        baseline = Baseline(client, factory)
        _refused(upload(client, baseline.user, clip.read_bytes(), "clip.mp4", "video/mp4"), 422,
                 "media.video_too_long")
        baseline.assert_intact()


VIDEO_ATTACKS: dict[str, Callable[[Path, Path], bytes]] = {
    "text-as-mp4": lambda _clip, _tmp: b"definitely not a video\n" * 50,
    "image-as-mp4": lambda _clip, _tmp: hostile.encode(hostile.solid((64, 64)), "PNG"),
    "truncated-mp4": lambda clip, _tmp: clip.read_bytes()[: len(clip.read_bytes()) // 3],
    "hls-playlist-as-mp4": lambda clip, tmp: hostile.hls_playlist(tmp / "p.m3u8", clip).read_bytes(),
    "ffconcat-as-mp4": lambda clip, tmp: hostile.ffconcat_script(tmp / "c.txt", clip).read_bytes(),
    "audio-only": lambda _clip, tmp: hostile.audio_only(tmp / "a.m4a").read_bytes(),
}


@pytest.mark.parametrize("attack", sorted(VIDEO_ATTACKS))
def test_hostile_video(client: TestClient, baseline: Baseline, clip: Path, tmp_path: Path, attack: str) -> None:
    data = VIDEO_ATTACKS[attack](clip, tmp_path)
    response = upload(client, baseline.user, data, "movie.mp4", "video/mp4")
    _refused(response, 422, {"media.not_video", "media.video_unreadable", "media.unsupported_format"})
    baseline.assert_intact()


def _pending_video(client: TestClient, services: Services, user: UserHandle, clip: Path) -> dict[str, Any]:
    media: dict[str, Any] = upload(client, user, clip.read_bytes(), "clip.mp4", "video/mp4").json()
    with services.sessions() as session:
        session.execute(update(Media).where(Media.id == int(media["id"]))
                        .values(status="pending", poster_key=None, thumb_key=None))
        session.commit()
    return media


def test_poster_failure_marks_the_video_failed(client: TestClient, baseline: Baseline, services: Services,
                                               clip: Path) -> None:
    media = _pending_video(client, services, baseline.user, clip)
    # A video whose stored file cannot be decoded any more (here: replaced with garbage).
    services.storage.put(key_of(media["url"]), b"garbage")
    media_actions.make_video_poster(services, int(media["id"]))
    row = media_row(services, media["id"])
    assert row is not None
    assert row.status == "failed"
    assert row.poster_key is None
    response = post_note(client, baseline.user, media_ids=[media["id"]])
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"media_ids": "failed"}


def test_poster_job_leaves_ready_videos_alone(client: TestClient, baseline: Baseline, services: Services,
                                              clip: Path) -> None:
    media = upload(client, baseline.user, clip.read_bytes(), "clip.mp4", "video/mp4").json()
    before = stored_files(services)
    ready = client.get(f"/api/v1/media/{media['id']}", headers=baseline.user.headers).json()
    media_actions.make_video_poster(services, int(media["id"]))  # a retried or repeated job
    assert stored_files(services) == before
    assert client.get(f"/api/v1/media/{media['id']}", headers=baseline.user.headers).json() == ready


def test_poster_of_a_video_deleted_meanwhile_leaves_no_files(
    client: TestClient, baseline: Baseline, services: Services, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = _pending_video(client, services, baseline.user, clip)
    video_key = key_of(media["url"])
    for key in stored_files(services):
        if key.startswith(video_key.rpartition(".")[0] + "_"):
            services.storage.delete(key)  # the poster files of the (immediate) first run
    files = stored_files(services)
    real = media_actions.make_poster

    def deleted_while_ffmpeg_runs(*args: Any, **kwargs: Any) -> Any:
        with services.sessions() as session:
            session.execute(delete(Media).where(Media.id == int(media["id"])))
            session.commit()
        return real(*args, **kwargs)

    monkeypatch.setattr(media_actions, "make_poster", deleted_while_ffmpeg_runs)
    media_actions.make_video_poster(services, int(media["id"]))
    assert media_row(services, media["id"]) is None
    assert stored_files(services) == files
