"""Stored videos carry no metadata: no place, no device, no time (security review, HIGH).

Each video is built with the tags phones really write, uploaded through the API, fetched back
from ``/media/<key>`` and examined two ways: ffprobe's view of every container/stream tag and
chapter, and a plain search of the served bytes for every value the "phone" put in. Before the
remux the served file was the upload byte for byte, so every one of these tests failed.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from redbridge.core.services import Services
from tests.factories import Factory
from tests.notes.helpers import media_row, upload

from . import hostile

LAT_LON = "+37.4219-122.0840"
PHONE_TAGS: dict[str, str] = {
    "location": f"{LAT_LON}/",
    "location-eng": f"{LAT_LON}/",
    "com.apple.quicktime.location.ISO6709": f"{LAT_LON}+012.345/",
    "com.apple.quicktime.make": "RedbridgeMaker",
    "com.apple.quicktime.model": "RedbridgePhone 15 Pro",
    "com.apple.quicktime.software": "RedbridgeOS 17.4.1",
    "com.apple.quicktime.creationdate": "2024-05-01T10:11:12+0800",
    "creation_time": "2024-05-01T02:11:12Z",
    "com.android.version": "RedbridgeDroid 14",
    "title": "Home sweet home at 12 Secret Lane",
    "comment": "RedbridgeComment",
}
STREAM_TAGS: dict[str, str] = {"creation_time": "2023-03-03T03:03:03Z", "handler_name": "RedbridgeCoreMedia",
                               "title": "RedbridgeStreamTitle"}
CHAPTER = "RedbridgeChapterAtHome"
XMP = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>{LAT_LON}</exif:GPSLatitude>'
       "<tiff:Model>RedbridgeXmpModel</tiff:Model></x:xmpmeta>")
SECRETS = ["37.4219", "122.0840", "RedbridgeMaker", "RedbridgePhone", "RedbridgeOS", "2024-05-01", "RedbridgeDroid",
           "Secret Lane", "RedbridgeComment", "RedbridgeCoreMedia", "RedbridgeStreamTitle", "2023-03-03", CHAPTER,
           "RedbridgeXmpModel", "xmpmeta"]
FORBIDDEN_KEY_PARTS = ("location", "gps", "6709", "make", "model", "software", "creation", "date", "android",
                       "title", "comment", "xmp")
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")


def ffprobe_json(path: Path) -> dict[str, Any]:
    _, ffprobe = hostile.require_ffmpeg()
    out = subprocess.run(
        [ffprobe, "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json", str(path)],
        capture_output=True, timeout=30, check=True,
    ).stdout
    info: dict[str, Any] = json.loads(out)
    return info


def all_tags(info: dict[str, Any]) -> dict[str, str]:
    tags = {f"format:{k}": v for k, v in info.get("format", {}).get("tags", {}).items()}
    for stream in info.get("streams", []):
        tags.update({f"stream{stream['index']}:{k}": v for k, v in stream.get("tags", {}).items()})
    return tags


def rotation(info: dict[str, Any]) -> int:
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    value = video.get("tags", {}).get("rotate", 0)
    for item in video.get("side_data_list", []):
        value = item.get("rotation", value)
    return round(float(value)) % 360


def _chapters_file(path: Path) -> Path:
    path.write_text(f";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle={CHAPTER}\n")
    return path


def phone_video(tmp: Path, name: str, *, apple_keys: bool, rotate: int | None = None) -> Path:
    """A clip with audio, tagged like a phone: place, device, time, chapters, stream tags, XMP."""
    base = tmp / f"base-{name}"
    hostile.ffmpeg_run(
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-f", "lavfi", "-i", "sine=frequency=440",
        "-t", "1", "-c:v", "libx264" if hostile.has_encoder("libx264") else "mpeg4", "-pix_fmt", "yuv420p",
        "-c:a", "aac", str(base),
    )  # fmt: skip
    args = ["-i", str(base), "-i", str(_chapters_file(tmp / f"{name}.ffmeta")), "-map", "0",
            "-map_chapters", "1", "-c", "copy"]
    for key, value in PHONE_TAGS.items():
        args += ["-metadata", f"{key}={value}"]
    for spec in ("v:0", "a:0"):
        for key, value in STREAM_TAGS.items():
            args += [f"-metadata:s:{spec}", f"{key}={value}"]
    if rotate is not None:
        args += ["-metadata:s:v:0", f"rotate={rotate}"]
    if apple_keys:
        # iPhones write the com.apple.quicktime.* keys into a 'meta'/'keys' box (mdta).
        args += ["-movflags", "use_metadata_tags"]
    out = tmp / name
    hostile.ffmpeg_run(*args, str(out))
    # An XMP packet in a top-level uuid box, as cameras and editing apps add it.
    xmp = XMP.encode()
    with out.open("ab") as fh:
        fh.write(struct.pack(">I", 8 + 16 + len(xmp)) + b"uuid" + _XMP_UUID + xmp)
    return out


@pytest.fixture(scope="module")
def video_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    hostile.require_ffmpeg()
    return tmp_path_factory.mktemp("phone-videos")


def _upload_and_fetch(client: TestClient, factory: Factory, path: Path, content_type: str,
                      tmp: Path) -> tuple[dict[str, Any], Path]:
    user = factory.user()
    response = upload(client, user, path.read_bytes(), path.name, content_type)
    assert response.status_code == 201, response.text
    media: dict[str, Any] = response.json()
    served = client.get(media["url"])
    assert served.status_code == 200
    out = tmp / f"served-{media['id']}{path.suffix}"
    out.write_bytes(served.content)
    return media, out


@pytest.mark.parametrize(
    ("name", "content_type", "apple_keys"),
    [("phone.mp4", "video/mp4", False), ("phone-keys.mp4", "video/mp4", True),
     ("iphone.mov", "video/quicktime", True), ("camera.mov", "video/quicktime", False)],
)
def test_served_video_has_no_metadata(client: TestClient, factory: Factory, services: Services, video_tmp: Path,
                                      name: str, content_type: str, apple_keys: bool) -> None:
    original = phone_video(video_tmp, name, apple_keys=apple_keys)
    before = ffprobe_json(original)
    # The input really carries what a phone writes (otherwise the test proves nothing).
    assert any("location" in k or "6709" in k for k in all_tags(before)), all_tags(before)
    assert before["chapters"]
    raw = original.read_bytes()
    present = {"37.4219", "Secret Lane", "RedbridgeCoreMedia", CHAPTER, "RedbridgeXmpModel"}
    if apple_keys:
        present |= {"RedbridgeMaker", "RedbridgePhone", "RedbridgeOS", "2024-05-01", "RedbridgeDroid"}
    assert [s for s in sorted(present) if s.encode() not in raw] == []

    media, served = _upload_and_fetch(client, factory, original, content_type, video_tmp)
    assert media["content_type"] == content_type
    after = ffprobe_json(served)
    leaked = {k: v for k, v in all_tags(after).items()
              if any(part in k.lower() for part in FORBIDDEN_KEY_PARTS)}
    assert leaked == {}
    assert after["chapters"] == []
    # Only the muxer's own technical tags remain.
    assert {k.split(":", 1)[1] for k in all_tags(after)} <= {
        "major_brand", "minor_version", "compatible_brands", "handler_name", "vendor_id", "language"}
    data = served.read_bytes()
    assert [s for s in SECRETS if s.encode() in data] == []
    # Still the same video: one video and one audio stream, same duration.
    assert sorted(s["codec_type"] for s in after["streams"]) == ["audio", "video"]
    assert float(after["format"]["duration"]) == pytest.approx(float(before["format"]["duration"]), abs=0.1)
    row = media_row(services, media["id"])
    assert row is not None
    assert row.size_bytes == len(data)
    # The poster job ran (jobs are immediate in tests) on the clean copy.
    assert client.get(f"/api/v1/media/{media['id']}", headers=factory.user().headers).status_code == 404
    assert row.status == "ready"


@pytest.mark.parametrize(("name", "content_type"), [("portrait.mp4", "video/mp4"), ("portrait.mov", "video/quicktime")])
def test_rotation_survives_the_remux(client: TestClient, factory: Factory, video_tmp: Path, name: str,
                                     content_type: str) -> None:
    original = phone_video(video_tmp, name, apple_keys=False, rotate=90)
    wanted = rotation(ffprobe_json(original))
    assert wanted in {90, 270}
    media, served = _upload_and_fetch(client, factory, original, content_type, video_tmp)
    after = ffprobe_json(served)
    assert rotation(after) == wanted
    assert not [s for s in SECRETS if s.encode() in served.read_bytes()]
    # Shown as portrait, like before.
    assert (media["width"], media["height"]) == (240, 320)


def test_webm_loses_its_tags(client: TestClient, factory: Factory, video_tmp: Path) -> None:
    if not hostile.has_encoder("libvpx-vp9"):
        pytest.skip("this ffmpeg has no VP9 encoder")
    plain = hostile.make_webm(video_tmp / "plain.webm", seconds=1)
    tagged = video_tmp / "tagged.webm"
    hostile.ffmpeg_run("-i", str(plain), "-c", "copy", "-metadata", f"location={LAT_LON}/",
                       "-metadata", "title=RedbridgeMaker", "-metadata:s:v:0", "title=RedbridgeStreamTitle",
                       str(tagged))
    assert b"RedbridgeMaker" in tagged.read_bytes()
    media, served = _upload_and_fetch(client, factory, tagged, "video/webm", video_tmp)
    assert media["content_type"] == "video/webm"
    data = served.read_bytes()
    assert [s for s in SECRETS if s.encode() in data] == []
    tags = all_tags(ffprobe_json(served))
    assert {k.split(":", 1)[1].lower() for k in tags} <= {"encoder", "duration"}, tags
