"""The media API: uploads, the file server, avatars."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from redbridge.core.services import Services
from redbridge.media import actions as media_actions
from redbridge.media.processing import MEDIA_ERROR_CODES
from redbridge.settings import Settings
from tests.factories import Factory, png_bytes
from tests.notes.helpers import custom_app, decode_image, key_of, media_count, media_row, stored_files, upload

from . import hostile

CACHE_FOREVER = "public, max-age=31536000, immutable"


def test_every_processing_failure_has_a_message() -> None:
    assert set(media_actions.MESSAGES) == MEDIA_ERROR_CODES


def _assert_served(client: TestClient, url: str, content_type: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text)
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == CACHE_FOREVER
    assert response.headers["x-content-type-options"] == "nosniff"
    return response.content


def test_upload_image(client: TestClient, factory: Factory, services: Services) -> None:
    user = factory.user()
    response = upload(client, user, png_bytes(1200, 600), alt="  A red square  ")
    assert response.status_code == 201, response.text
    media = response.json()
    assert media["kind"] == "image"
    assert media["status"] == "ready"
    assert media["content_type"] == "image/webp"
    assert (media["width"], media["height"]) == (1200, 600)
    # Feed thumbnail: narrower, same aspect ratio (two-column masonry).
    assert media["thumb_width"] < 1200
    assert media["thumb_width"] == 2 * media["thumb_height"]
    assert media["alt"] == "A red square"
    assert media["poster_url"] is None
    assert media["duration_s"] is None
    stored = _assert_served(client, media["url"], "image/webp")
    assert decode_image(stored).size == (1200, 600)
    thumb = _assert_served(client, media["thumb_url"], "image/webp")
    assert decode_image(thumb).size == (media["thumb_width"], media["thumb_height"])
    assert {key_of(media["url"]), key_of(media["thumb_url"])} == stored_files(services)
    assert key_of(media["url"]).startswith("i/")
    row = media_row(services, media["id"])
    assert row is not None
    assert row.owner_id == user.int_id
    assert row.note_id is None


def test_get_own_media(client: TestClient, factory: Factory) -> None:
    owner, other = factory.user(), factory.user()
    media = factory.upload(owner)
    response = client.get(f"/api/v1/media/{media['id']}", headers=owner.headers)
    assert response.status_code == 200
    assert response.json() == media
    assert client.get(f"/api/v1/media/{media['id']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/media/{media['id']}").status_code == 401
    for bad in ["abc", "0", "9" * 20, str(int(media["id"]) + 1)]:
        assert client.get(f"/api/v1/media/{bad}", headers=owner.headers).status_code == 404


def test_upload_needs_login(client: TestClient, services: Services) -> None:
    response = client.post("/api/v1/media", files={"file": ("a.png", png_bytes(), "image/png")})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"
    assert media_count(services) == 0
    assert stored_files(services) == set()


def test_upload_bad_form(client: TestClient, factory: Factory, services: Services) -> None:
    user = factory.user()
    no_file = client.post("/api/v1/media", headers=user.headers, data={"alt": "x"})
    assert no_file.status_code == 422
    assert "file" in no_file.json()["error"]["fields"]
    long_alt = upload(client, user, png_bytes(), alt="x" * 201)
    assert long_alt.status_code == 422
    assert "alt" in long_alt.json()["error"]["fields"]
    as_json = client.post("/api/v1/media", headers=user.headers, json={"file": "data"})
    assert as_json.status_code == 422
    assert media_count(services) == 0


def test_upload_rate_limit(settings: Settings) -> None:
    with custom_app(settings, rate_limits={"upload_per_account": (2, 3600)}) as (client, factory):
        user, other = factory.user(), factory.user()
        assert upload(client, user, png_bytes()).status_code == 201
        assert upload(client, user, png_bytes()).status_code == 201
        limited = upload(client, user, png_bytes())
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert upload(client, other, png_bytes()).status_code == 201


def test_serving_unknown_keys_is_404(client: TestClient, services: Services) -> None:
    services.storage.put("i/2025/01/notes.txt", b"plain text")
    for path in ["/media/i/2025/01/nothing.webp", "/media/i/2025/01/notes.txt", "/media/", "/media/UPPER.webp",
                 "/media/i//x.webp"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] in {"media.not_found", "not_found"}


def test_path_traversal_is_404(client: TestClient, services: Services, settings: Settings) -> None:
    outside = settings.var_dir / "secret.webp"
    outside.write_bytes(b"secret")
    root = services.settings.resolved_media_dir
    (root / "x").mkdir(parents=True, exist_ok=True)
    for path in [
        "/media/../secret.webp",
        "/media/%2e%2e/secret.webp",
        "/media/x/%2e%2e/%2e%2e/secret.webp",
        "/media/x/..%2f..%2fsecret.webp",
        "/media/%2fetc%2fpasswd",
        f"/media/{outside}",
        "/media/x/%00.webp",
    ]:
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert b"secret" not in response.content


def test_range_requests(client: TestClient, factory: Factory) -> None:
    media = factory.upload(factory.user(), png_bytes(300, 300))
    whole = client.get(media["url"]).content
    part = client.get(media["url"], headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.content == whole[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(whole)}"


def _avatar(client: TestClient, headers: dict[str, str], data: bytes, name: str = "me.png",
            content_type: str = "image/png") -> Any:
    return client.put("/api/v1/auth/me/avatar", headers=headers, files={"file": (name, data, content_type)})


def test_avatar_is_a_centered_square(client: TestClient, factory: Factory, services: Services) -> None:
    user = factory.user()
    # Wide picture: left third blue, middle third red, right third green. The crop keeps the middle.
    wide = hostile.solid((900, 300), (0, 0, 255))
    wide.paste((255, 0, 0), (300, 0, 600, 300))
    wide.paste((0, 255, 0), (600, 0, 900, 300))
    response = _avatar(client, user.headers, hostile.encode(wide, "PNG"))
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["username"] == user.username
    assert me["avatar_url"].startswith("/media/a/")
    img = decode_image(_assert_served(client, me["avatar_url"], "image/webp")).convert("RGB")
    assert img.size == (256, 256)
    for x in (5, 128, 250):
        r, g, b = img.getpixel((x, 128))  # type: ignore[misc]
        assert (r > 200, g < 60, b < 60) == (True, True, True), (x, (r, g, b))
    assert client.get("/api/v1/auth/me", headers=user.headers).json()["avatar_url"] == me["avatar_url"]
    profile = client.get(f"/api/v1/users/{user.username}").json()
    assert profile["avatar_url"] == me["avatar_url"]
    assert media_count(services) == 0  # an avatar is not a note upload


def test_replacing_and_removing_the_avatar_deletes_old_files(
    client: TestClient, factory: Factory, services: Services
) -> None:
    user = factory.user()
    first = _avatar(client, user.headers, png_bytes(300, 300)).json()["avatar_url"]
    second = _avatar(client, user.headers, png_bytes(400, 300, (0, 0, 255))).json()["avatar_url"]
    assert first != second
    assert stored_files(services) == {key_of(second)}
    assert client.get(first).status_code == 404

    response = client.delete("/api/v1/auth/me/avatar", headers=user.headers)
    assert response.status_code == 200
    assert response.json()["avatar_url"] is None
    assert stored_files(services) == set()
    # Removing when there is none is fine.
    assert client.delete("/api/v1/auth/me/avatar", headers=user.headers).json()["avatar_url"] is None


def test_avatar_needs_login(client: TestClient, factory: Factory, services: Services) -> None:
    assert _avatar(client, {}, png_bytes()).status_code == 401
    assert client.delete("/api/v1/auth/me/avatar").status_code == 401
    assert stored_files(services) == set()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (hostile.NOT_IMAGES["html"], "media.not_image"),
        (hostile.png_bomb(), "media.too_many_pixels"),
        (hostile.truncate(hostile.encode(hostile.noise((64, 64)), "PNG")), "media.truncated"),
    ],
)
def test_avatar_refuses_bad_files(client: TestClient, factory: Factory, services: Services, data: bytes,
                                  code: str) -> None:
    user = factory.user()
    before = _avatar(client, user.headers, png_bytes()).json()["avatar_url"]
    response = _avatar(client, user.headers, data, "avatar.jpg", "image/jpeg")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert client.get("/api/v1/auth/me", headers=user.headers).json()["avatar_url"] == before
    assert stored_files(services) == {key_of(before)}


def test_avatar_oversize(settings: Settings) -> None:
    with custom_app(settings, media={"max_image_bytes": 10_000}) as (client, factory):
        user = factory.user()
        response = _avatar(client, user.headers, hostile.encode(hostile.noise((200, 200)), "PNG"))
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "media.too_large"
        assert stored_files(client.app.state.services) == set()  # type: ignore[attr-defined]


def test_avatar_has_no_exif(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    url = _avatar(client, user.headers, hostile.jpeg_from_phone((400, 300)), "me.jpg", "image/jpeg").json()["avatar_url"]
    served = client.get(url).content
    assert not {"EXIF", "XMP ", "ICCP"} & set(hostile.riff_chunks(served))
    assert b"RedbridgeCam" not in served
    assert len(decode_image(served).getexif()) == 0
