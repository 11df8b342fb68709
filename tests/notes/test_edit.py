"""PATCH /api/v1/notes/{id}: fields, carousel replacement, authorship."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.core.services import Services
from redbridge.media.models import Media
from redbridge.notes.models import Note
from tests.factories import Factory, UserHandle
from tests.media import hostile

from .helpers import coloured_png, key_of, media_row, post_note, record_events, stored_files


def _patch(client: TestClient, user: UserHandle | None, note_id: str, **changes: Any) -> Any:
    return client.patch(f"/api/v1/notes/{note_id}", headers=user.headers if user else {}, json=changes)


def _get(client: TestClient, note_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/notes/{note_id}")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _cover(services: Services, note_id: str) -> int | None:
    with services.sessions() as session:
        return session.scalar(select(Note.cover_media_id).where(Note.id == int(note_id)))


def test_reorder_the_carousel(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    first, second = (factory.upload(author, coloured_png(i))["id"] for i in range(2))
    note = post_note(client, author, title="Two photos", media_ids=[first, second]).json()
    assert [m["id"] for m in note["media"]] == [first, second]
    assert _cover(services, note["id"]) == int(first)

    response = _patch(client, author, note["id"], media_ids=[second, first])
    assert response.status_code == 200, response.text
    assert [m["id"] for m in response.json()["media"]] == [second, first]
    assert [m["id"] for m in _get(client, note["id"])["media"]] == [second, first]
    assert _cover(services, note["id"]) == int(second)


def test_add_and_remove_photos(client: TestClient, factory: Factory, services: Services,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    author = factory.user()
    keep, drop, new = (factory.upload(author, coloured_png(i)) for i in range(3))
    note = post_note(client, author, media_ids=[keep["id"], drop["id"]]).json()
    seen = record_events(monkeypatch)
    response = _patch(client, author, note["id"], media_ids=[new["id"], keep["id"]])
    assert response.status_code == 200, response.text
    assert [m["id"] for m in response.json()["media"]] == [new["id"], keep["id"]]
    assert ("media.detached", {"media_ids": [int(drop["id"])]}) in seen
    # The removed photo is deleted with its files (jobs run immediately in tests).
    assert media_row(services, drop["id"]) is None
    files = stored_files(services)
    assert key_of(drop["url"]) not in files
    assert key_of(drop["thumb_url"]) not in files
    assert key_of(keep["url"]) in files
    assert client.get(drop["url"]).status_code == 404
    assert client.get(new["url"]).status_code == 200


def test_text_note_can_gain_photos(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    note = post_note(client, author, title="Words first").json()
    assert note["kind"] == "text"
    photo = factory.upload(author)["id"]
    response = _patch(client, author, note["id"], media_ids=[photo])
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "image"
    assert _cover(services, note["id"]) == int(photo)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return hostile.make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=1).read_bytes()


def test_photos_cannot_become_a_video_or_back(client: TestClient, factory: Factory, clip: bytes) -> None:
    author = factory.user()
    photo_note = factory.note(author, images=1)
    video_id = factory.upload(author, clip, "clip.mp4", "video/mp4")["id"]
    response = _patch(client, author, photo_note["id"], media_ids=[video_id])
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"media_ids": "kind_change"}
    assert _get(client, photo_note["id"])["media"] == photo_note["media"]

    video_note = post_note(client, author, media_ids=[video_id]).json()
    assert video_note["kind"] == "video"
    photo = factory.upload(author)["id"]
    response = _patch(client, author, video_note["id"], media_ids=[photo])
    assert response.status_code == 422
    assert _get(client, video_note["id"])["kind"] == "video"


def test_carousel_rules_apply_to_edits(client: TestClient, factory: Factory) -> None:
    author, other = factory.user(), factory.user()
    note = factory.note(author, images=1)
    elsewhere = factory.note(author, images=1)
    theirs = factory.upload(other)["id"]
    mine = note["media"][0]["id"]
    cases = {
        "not_found": [mine, theirs],
        "attached": [mine, elsewhere["media"][0]["id"]],
        "duplicate": [mine, mine],
    }
    for reason, media_ids in cases.items():
        response = _patch(client, author, note["id"], media_ids=media_ids)
        assert response.status_code == 422, (reason, response.text)
        assert response.json()["error"]["fields"] == {"media_ids": reason}
    assert _get(client, note["id"]) == {**note, "liked_by_me": False, "collected_by_me": False}
    assert _get(client, elsewhere["id"])["media"] == elsewhere["media"]


def test_edit_text_redetects_language_and_tags(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    note = post_note(client, author, title="Dinner", body="Great noodles #noodles #dinner", tags=["Favourite"]).json()
    assert note["lang"] == "en"
    assert note["tags"] == ["dinner", "favourite", "noodles"]

    response = _patch(client, author, note["id"], title="晚饭", body="今天吃了很好吃的面条 #面条 #dinner")
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["lang"] == "zh"
    # "noodles" left the body, so it goes; the explicit tag stays; the new body tag arrives.
    assert edited["tags"] == sorted(["favourite", "dinner", "面条"])
    assert edited["updated_at"] >= note["updated_at"]

    response = _patch(client, author, note["id"], tags=["Supper"])
    assert response.json()["tags"] == sorted(["supper", "dinner", "面条"])
    assert response.json()["lang"] == "zh"


def test_edit_topic_and_place(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    note = post_note(client, author, title="Trip", place={"name": "Paris"}).json()
    response = _patch(client, author, note["id"], topic="travel", place={"name": "Lyon", "lat": 45.76, "lng": 4.83})
    assert response.json()["topic"] == "travel"
    assert response.json()["place"] == {"name": "Lyon", "lat": 45.76, "lng": 4.83}
    response = _patch(client, author, note["id"], clear_place=True)
    assert response.json()["place"] is None
    assert response.json()["topic"] == "travel"


def test_empty_patch_changes_nothing(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    note = factory.note(author, images=1)
    response = _patch(client, author, note["id"])
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "updated_at"} == {
        k: v for k, v in note.items() if k != "updated_at"
    }


def test_someone_else_cannot_edit(client: TestClient, factory: Factory, services: Services,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    author, other = factory.user(), factory.user()
    note = factory.note(author, images=2, title="Mine")
    seen = record_events(monkeypatch)
    other_photo = factory.upload(other)["id"]
    attempts: list[dict[str, Any]] = [
        {"title": "Hijacked"},
        {"media_ids": [other_photo]},
        {"media_ids": list(reversed([m["id"] for m in note["media"]]))},
    ]
    for changes in attempts:
        response = _patch(client, other, note["id"], **changes)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert _get(client, note["id"]) == {**note, "liked_by_me": False, "collected_by_me": False}
    assert media_row(services, other_photo).note_id is None  # type: ignore[union-attr]
    assert not [name for name, _ in seen if name.startswith("note.")]


def test_not_logged_in(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    note = factory.note(author, images=1)
    response = _patch(client, None, note["id"], title="Anonymous edit")
    assert response.status_code == 401
    assert _get(client, note["id"])["title"] == note["title"]


def test_unknown_and_malformed_ids(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    for bad in ["abc", "0", "99999999999", "9" * 20]:
        response = _patch(client, author, bad, title="x")
        assert response.status_code == 404, bad


def test_bad_edits(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    note = factory.note(author, images=1)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "   "}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 41}, "title"),
        ({"body": "y" * 2001}, "body"),
        ({"media_ids": []}, "media_ids"),
        ({"media_ids": [str(i) for i in range(19)]}, "media_ids"),
        ({"tags": ["#"]}, "tags"),
        ({"kind": "video"}, "kind"),
        ({"place": {"name": "x", "lng": 181}}, "place.lng"),
    ]
    for changes, field in cases:
        response = _patch(client, author, note["id"], **changes)
        assert response.status_code == 422, (changes, response.text)
        assert field in response.json()["error"]["fields"], (changes, response.text)
    assert _get(client, note["id"]) == {**note, "liked_by_me": False, "collected_by_me": False}
    with services.sessions() as session:
        assert session.scalar(select(Media.note_id).where(Media.id == int(note["media"][0]["id"]))) == int(note["id"])
