"""POST /api/v1/notes: the carousel rules, text analysis, counters, limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from redbridge.core.services import Services
from redbridge.media.models import Media
from redbridge.notes.models import Note, NoteTag
from redbridge.settings import Settings
from tests.factories import Factory, UserHandle
from tests.media import hostile

from .helpers import coloured_png, custom_app, post_note, record_events


def _upload_images(factory: Factory, user: UserHandle, n: int) -> list[str]:
    return [factory.upload(user, coloured_png(i))["id"] for i in range(n)]


def _note_row(services: Services, note_id: str) -> Note:
    with services.sessions() as session:
        note = session.get(Note, int(note_id))
        assert note is not None
        return note


def _me(client: TestClient, user: UserHandle) -> dict[str, Any]:
    response = client.get("/api/v1/auth/me", headers=user.headers)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _rejected(response: Any, field: str, reason: str | None = None) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert field in error["fields"], error
    if reason is not None:
        assert error["fields"][field] == reason, error
    assert error["message"]


def test_text_note(client: TestClient, factory: Factory, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    author = factory.user()
    seen = record_events(monkeypatch)
    response = post_note(
        client, author, title="  Best   hotpot\nin town ", body="Went with friends #Hotpot #成都 and @nobody_here",
        tags=["#Food", "ＴＲＡＶＥＬ", "food"], place={"name": "Chengdu", "lat": 30.66, "lng": 104.06},
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["kind"] == "text"
    assert note["title"] == "Best hotpot in town"
    assert note["media"] == []
    assert note["author"]["username"] == author.username
    # Explicit tags normalised like body tags (NFKC, lower case, no '#'), merged without duplicates.
    assert note["tags"] == sorted(["food", "travel", "hotpot", "成都"])
    assert note["lang"] == "en"
    assert note["topic"] == "food"
    assert note["place"] == {"name": "Chengdu", "lat": 30.66, "lng": 104.06}
    assert note["share_url"] == f"{services.settings.base_url}/n/{note['id']}"
    assert note["liked_by_me"] is False
    assert note["like_count"] == 0
    assert _me(client, author)["note_count"] == 1
    assert ("note.created", {"note_id": int(note["id"]), "author_id": author.int_id}) in seen
    row = _note_row(services, note["id"])
    assert row.cover_media_id is None
    assert row.hot > 0


def test_chinese_note_is_stored_as_zh(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    response = post_note(client, author, title="成都火锅真好吃", body="和朋友一起去吃了火锅，味道非常正宗。#美食")
    assert response.status_code == 201, response.text
    assert response.json()["lang"] == "zh"
    assert response.json()["tags"] == ["美食"]
    assert _note_row(services, response.json()["id"]).lang == "zh"


def test_english_note_is_stored_as_en(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    response = post_note(client, author, title="Weekend in Kyoto", body="We walked along the river and ate matcha.")
    assert response.status_code == 201
    assert _note_row(services, response.json()["id"]).lang == "en"


def test_given_topic_wins_over_the_guess(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    response = post_note(client, author, title="Hotpot night", body="#food", topic="travel")
    assert response.json()["topic"] == "travel"


def test_tags_are_capped_at_ten_explicit_first(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    body = " ".join(f"#body{i}" for i in range(8))
    response = post_note(client, author, title="Lots of tags", body=body, tags=[f"given{i}" for i in range(5)])
    assert response.status_code == 201
    tags = response.json()["tags"]
    assert len(tags) == 10
    assert {f"given{i}" for i in range(5)} <= set(tags)


def test_images_keep_their_order_and_the_first_is_the_cover(
    client: TestClient, factory: Factory, services: Services
) -> None:
    author = factory.user()
    ids = _upload_images(factory, author, 3)
    order = [ids[2], ids[0], ids[1]]
    response = post_note(client, author, title="Three photos", media_ids=order)
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["kind"] == "image"
    assert [m["id"] for m in note["media"]] == order
    assert all(m["url"].startswith("/media/") and m["thumb_url"] for m in note["media"])
    assert _note_row(services, note["id"]).cover_media_id == int(order[0])


def test_eighteen_images_are_fine_nineteen_are_not(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    ids = _upload_images(factory, author, 19)
    _rejected(post_note(client, author, media_ids=ids), "media_ids")
    response = post_note(client, author, media_ids=ids[:18])
    assert response.status_code == 201, response.text
    assert len(response.json()["media"]) == 18


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return hostile.make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=1).read_bytes()


def test_video_note_and_pending_video_is_allowed(
    client: TestClient, factory: Factory, services: Services, clip: bytes
) -> None:
    author = factory.user()
    video = factory.upload(author, clip, "clip.mp4", "video/mp4")
    # Jobs run at once in tests; put the row back to "poster not made yet".
    with services.sessions() as session:
        session.execute(update(Media).where(Media.id == int(video["id"])).values(status="pending"))
        session.commit()
    response = post_note(client, author, title="A clip", media_ids=[video["id"]])
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "video"
    assert response.json()["media"][0]["status"] == "pending"


@pytest.fixture
def clip_id(factory: Factory, clip: bytes) -> tuple[UserHandle, str]:
    author = factory.user()
    return author, factory.upload(author, clip, "clip.mp4", "video/mp4")["id"]


def test_video_and_image_cannot_mix(client: TestClient, factory: Factory, clip_id: tuple[UserHandle, str]) -> None:
    author, video = clip_id
    image = factory.upload(author)["id"]
    _rejected(post_note(client, author, media_ids=[image, video]), "media_ids", "mixed")
    _rejected(post_note(client, author, media_ids=[video, image]), "media_ids", "mixed")


def test_only_one_video(client: TestClient, factory: Factory, clip_id: tuple[UserHandle, str], clip: bytes) -> None:
    author, video = clip_id
    other = factory.upload(author, clip, "b.mp4", "video/mp4")["id"]
    _rejected(post_note(client, author, media_ids=[video, other]), "media_ids", "too_many_videos")


def test_failed_video_is_refused(
    client: TestClient, services: Services, clip_id: tuple[UserHandle, str]
) -> None:
    author, video = clip_id
    with services.sessions() as session:
        session.execute(update(Media).where(Media.id == int(video)).values(status="failed"))
        session.commit()
    _rejected(post_note(client, author, media_ids=[video]), "media_ids", "failed")


def test_someone_elses_media_reads_as_not_found(
    client: TestClient, factory: Factory, services: Services
) -> None:
    owner, thief = factory.user(), factory.user()
    theirs = factory.upload(owner)["id"]
    _rejected(post_note(client, thief, media_ids=[theirs]), "media_ids", "not_found")
    mine = factory.upload(thief)["id"]
    _rejected(post_note(client, thief, media_ids=[mine, theirs]), "media_ids", "not_found")
    # Nothing was attached or counted; the owner can still use the upload, the thief theirs.
    with services.sessions() as session:
        assert session.scalars(select(Media.note_id).where(Media.id.in_([int(theirs), int(mine)]))).all() == [None, None]
    assert _me(client, thief)["note_count"] == 0
    assert post_note(client, owner, media_ids=[theirs]).status_code == 201
    assert post_note(client, thief, media_ids=[mine]).status_code == 201


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "9" * 25, "123456789012345"])
def test_malformed_or_unknown_media_ids(client: TestClient, factory: Factory, bad: str) -> None:
    author = factory.user()
    _rejected(post_note(client, author, media_ids=[bad]), "media_ids", "not_found")


def test_duplicate_media(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    image = factory.upload(author)["id"]
    _rejected(post_note(client, author, media_ids=[image, image]), "media_ids", "duplicate")


def test_media_already_on_a_note(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    image = factory.upload(author)["id"]
    first = post_note(client, author, media_ids=[image])
    assert first.status_code == 201
    _rejected(post_note(client, author, title="Again", media_ids=[image]), "media_ids", "attached")
    with services.sessions() as session:
        assert session.scalar(select(Media.note_id).where(Media.id == int(image))) == int(first.json()["id"])
    assert _me(client, author)["note_count"] == 1


def test_rejected_note_leaves_no_rows(client: TestClient, factory: Factory, services: Services,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    author = factory.user()
    seen = record_events(monkeypatch)
    image = factory.upload(author)["id"]
    _rejected(post_note(client, author, body="#lost", media_ids=[image, "nope"]), "media_ids")
    with services.sessions() as session:
        assert session.scalars(select(Note.id)).all() == []
        assert session.scalars(select(NoteTag.tag)).all() == []
        assert session.scalar(select(Media.note_id).where(Media.id == int(image))) is None
    assert not [name for name, _ in seen if name == "note.created"]


def test_not_logged_in(client: TestClient, services: Services) -> None:
    response = post_note(client, None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"
    with services.sessions() as session:
        assert session.scalars(select(Note.id)).all() == []


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"title": ""}, "title"),
    ({"title": "   \n\t "}, "title"),
    ({"title": "x" * 41}, "title"),
    ({"title": "ok", "body": "y" * 2001}, "body"),
    ({"title": "ok", "tags": [f"t{i}" for i in range(11)]}, "tags"),
    ({"title": "ok", "tags": ["x" * 31]}, "tags.0"),
    ({"title": "ok", "tags": ["2024"]}, "tags"),
    ({"title": "ok", "tags": ["!!!"]}, "tags"),
    ({"title": "ok", "topic": "politics"}, "topic"),
    ({"title": "ok", "place": {"name": "x", "lat": 91}}, "place.lat"),
    ({"title": "ok", "place": {"name": ""}}, "place.name"),
    ({"title": "ok", "media_ids": "abc"}, "media_ids"),
    ({"title": "ok", "author_id": "1"}, "author_id"),
    ({"body": "no title"}, "title"),
]


def test_bad_input(client: TestClient, factory: Factory, services: Services) -> None:
    # One app for all cases: each case is one request, building an app per case would dominate.
    author = factory.user()
    for payload, field in BAD_INPUT:
        response = client.post("/api/v1/notes", headers=author.headers, json=payload)
        assert response.status_code == 422, (payload, response.text)
        assert field in response.json()["error"]["fields"], (payload, response.text)
    assert _me(client, author)["note_count"] == 0
    with services.sessions() as session:
        assert session.scalars(select(Note.id)).all() == []


def test_title_of_forty_characters_and_body_of_two_thousand(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    response = post_note(client, author, title="标" * 40, body="字" * 2000)
    assert response.status_code == 201, response.text
    assert len(response.json()["title"]) == 40


def test_not_json(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    response = client.post("/api/v1/notes", headers={**author.headers, "content-type": "application/json"},
                           content=b"{not json")
    assert response.status_code == 422


def test_oversize_request_body(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    response = post_note(client, author, body="x" * (2 * 1024 * 1024))
    assert response.status_code == 413


def test_rate_limited_per_account(settings: Settings) -> None:
    with custom_app(settings, rate_limits={"note_per_account": (2, 3600)}) as (client, factory):
        author, other = factory.user(), factory.user()
        assert post_note(client, author).status_code == 201
        assert post_note(client, author).status_code == 201
        limited = post_note(client, author)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert "retry-after" in limited.headers
        assert post_note(client, other).status_code == 201


def test_rate_limited_per_ip(settings: Settings) -> None:
    with custom_app(settings, rate_limits={"note_per_ip": (2, 3600)}) as (client, factory):
        users = [factory.user() for _ in range(3)]
        assert post_note(client, users[0]).status_code == 201
        assert post_note(client, users[1]).status_code == 201
        assert post_note(client, users[2]).status_code == 429


def test_concurrent_notes_cannot_share_an_upload(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    contested = factory.upload(author)["id"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(
            lambda i: post_note(client, author, title=f"Race {i}", media_ids=[contested]).status_code, range(4)
        ))
    assert sorted(results) == [201, 422, 422, 422]
    assert _me(client, author)["note_count"] == 1


def test_concurrent_creates_count_exactly(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: post_note(client, author, title=f"Note {i}").status_code, range(8)))
    assert results == [201] * 8
    assert _me(client, author)["note_count"] == 8
