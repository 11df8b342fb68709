"""DELETE /api/v1/notes/{id}: authorship, cascades, counters, files."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from redbridge.accounts.models import User
from redbridge.core import ids
from redbridge.core.services import Services
from redbridge.engagement.models import Collect, Collection, Comment, CommentLike, Like
from redbridge.media.models import Media
from redbridge.notes.models import Note, NoteTag
from redbridge.notifications.models import Notification
from tests.factories import Factory, UserHandle

from .helpers import key_of, media_count, record_events, stored_files


def _delete(client: TestClient, user: UserHandle | None, note_id: str) -> Any:
    return client.delete(f"/api/v1/notes/{note_id}", headers=user.headers if user else {})


def _note_count(services: Services, user: UserHandle) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(User.note_count).where(User.id == user.int_id)) or 0)


def _engage(services: Services, fan: UserHandle, note_id: int) -> int:
    """Likes, a collect into a collection, a comment with a reply, a comment like and a
    notification on the note, written directly (as the engagement feature would); returns the
    collection id."""
    now = services.clock.now()
    with services.sessions() as session:
        collection = Collection(id=ids.new_id(now), owner_id=fan.int_id, name="saved", note_count=1, created_at=now)
        comment = Comment(id=ids.new_id(now), note_id=note_id, author_id=fan.int_id, body="nice", lang="en", created_at=now)
        reply = Comment(id=ids.new_id(now), note_id=note_id, author_id=fan.int_id, parent_id=comment.id, body="!",
                        lang="other", created_at=now)
        session.add_all([collection, comment])
        session.flush()
        session.add_all([
            reply,
            Like(user_id=fan.int_id, note_id=note_id, created_at=now),
            Collect(id=ids.new_id(now), user_id=fan.int_id, note_id=note_id, collection_id=collection.id, created_at=now),
            CommentLike(user_id=fan.int_id, comment_id=comment.id, created_at=now),
            Notification(id=ids.new_id(now), recipient_id=fan.int_id, actor_id=fan.int_id, kind="comment",
                         note_id=note_id, comment_id=comment.id, created_at=now),
        ])
        session.execute(update(Note).where(Note.id == note_id).values(like_count=1, collect_count=1, comment_count=2))
        session.commit()
        return collection.id


def _rows_for(services: Services, note_id: int) -> dict[str, int]:
    counts = {}
    with services.sessions() as session:
        for name, column in {"notes": Note.id, "tags": NoteTag.note_id, "likes": Like.note_id,
                             "collects": Collect.note_id, "comments": Comment.note_id,
                             "notifications": Notification.note_id, "media": Media.note_id}.items():
            counts[name] = int(session.scalar(select(func.count()).where(column == note_id)) or 0)
        counts["comment_likes"] = int(session.scalar(select(func.count()).select_from(CommentLike)) or 0)
    return counts


def test_author_deletes_note_with_everything_on_it(
    client: TestClient, factory: Factory, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, fan = factory.user(), factory.user()
    note = factory.note(author, images=2, body="lunch #food")
    kept = factory.note(author, images=1)
    note_id = int(note["id"])
    collection_id = _engage(services, fan, note_id)
    assert _rows_for(services, note_id) == {"notes": 1, "tags": 1, "likes": 1, "collects": 1, "comments": 2,
                                            "notifications": 1, "media": 2, "comment_likes": 1}
    keys = {key_of(m[k]) for m in note["media"] for k in ("url", "thumb_url")}
    assert keys <= stored_files(services)
    assert _note_count(services, author) == 2
    seen = record_events(monkeypatch)

    response = _delete(client, author, note["id"])
    assert response.status_code == 204
    assert response.content == b""

    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 404
    assert _rows_for(services, note_id) == dict.fromkeys(
        ("notes", "tags", "likes", "collects", "comments", "notifications", "media", "comment_likes"), 0)
    assert media_count(services) == 1  # the other note's photo
    # Files of the deleted note are gone from disk; the other note's are not.
    files = stored_files(services)
    assert not keys & files
    assert key_of(kept["media"][0]["url"]) in files
    for media in note["media"]:
        assert client.get(media["url"]).status_code == 404
    assert client.get(kept["media"][0]["url"]).status_code == 200
    # Counters kept elsewhere follow.
    assert _note_count(services, author) == 1
    with services.sessions() as session:
        assert session.scalar(select(Collection.note_count).where(Collection.id == collection_id)) == 0
    (event,) = [payload for name, payload in seen if name == "note.deleted"]
    assert event["note_id"] == note_id
    assert event["author_id"] == author.int_id
    assert set(event["media_keys"]) == keys


def test_someone_else_cannot_delete(client: TestClient, factory: Factory, services: Services) -> None:
    author, other = factory.user(), factory.user()
    note = factory.note(author, images=1)
    response = _delete(client, other, note["id"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/notes/{note['id']}").json()["media"] == note["media"]
    assert key_of(note["media"][0]["url"]) in stored_files(services)
    assert _note_count(services, author) == 1


def test_admin_can_delete_any_note(client: TestClient, factory: Factory, services: Services) -> None:
    author, admin = factory.user(), factory.user()
    with services.sessions() as session:
        session.execute(update(User).where(User.id == admin.int_id).values(role="admin"))
        session.commit()
    note = factory.note(author, images=1)
    assert _delete(client, admin, note["id"]).status_code == 204
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 404
    assert _note_count(services, author) == 0
    assert _note_count(services, admin) == 0


def test_not_logged_in(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    note = factory.note(author, images=0)
    assert _delete(client, None, note["id"]).status_code == 401
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 200


def test_unknown_malformed_and_twice(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    note = factory.note(author, images=0)
    for bad in ["abc", "0", "-1", "9" * 20, str(int(note["id"]) + 1)]:
        assert _delete(client, author, bad).status_code == 404, bad
    assert _delete(client, author, note["id"]).status_code == 204
    assert _delete(client, author, note["id"]).status_code == 404
    assert _note_count(services, author) == 0
