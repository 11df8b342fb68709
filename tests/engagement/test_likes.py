"""Note likes and comment likes: idempotent toggles with exact counters."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from redbridge.engagement.models import CommentLike, Like
from redbridge.notes.models import Note
from tests.engagement.helpers import comment_counts, note_counts, received, rows

BAD_IDS = ["abc", "0", "-5", "12.5", "9" * 25, "٣٤٥"]


def test_like_and_unlike_are_idempotent_and_counted(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    url = f"/api/v1/notes/{note}/like"

    for _ in range(2):
        r = client.post(url, headers=fan.headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"liked": True, "like_count": 1}
    assert rows(services, Like, note_id=note) == 1
    assert note_counts(services, note)["likes"] == 1
    assert received(services, author) == 1

    for _ in range(2):
        r = client.delete(url, headers=fan.headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"liked": False, "like_count": 0}
    assert rows(services, Like, note_id=note) == 0
    assert received(services, author) == 0


def test_likes_from_several_users_add_up(client, factory, services):
    author = factory.user()
    note = factory.note_row(author)
    fans = [factory.user() for _ in range(3)]
    counts = [client.post(f"/api/v1/notes/{note}/like", headers=f.headers).json()["like_count"] for f in fans]
    assert counts == [1, 2, 3]
    client.delete(f"/api/v1/notes/{note}/like", headers=fans[0].headers)
    assert note_counts(services, note)["likes"] == 2
    assert received(services, author) == 2


def test_like_refreshes_the_hot_rank(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    with services.sessions() as session:
        before = session.scalar(select(Note.hot).where(Note.id == note))
    client.post(f"/api/v1/notes/{note}/like", headers=fan.headers)
    with services.sessions() as session:
        after = session.scalar(select(Note.hot).where(Note.id == note))
    assert after > before


def test_like_requires_login(client, factory, services):
    note = factory.note_row(factory.user())
    for method in ("post", "delete"):
        r = getattr(client, method)(f"/api/v1/notes/{note}/like")
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "auth.required"
    bogus = {"Authorization": "Bearer not-a-session"}
    assert client.post(f"/api/v1/notes/{note}/like", headers=bogus).status_code == 401
    assert note_counts(services, note)["likes"] == 0


def test_like_unknown_or_malformed_note_is_404(client, factory):
    user = factory.user()
    for bad in [*BAD_IDS, "123456789"]:
        for method in ("post", "delete"):
            r = getattr(client, method)(f"/api/v1/notes/{bad}/like", headers=user.headers)
            assert r.status_code == 404, bad
            assert r.json()["error"]["code"] == "note.not_found"


@pytest.mark.parametrize("who_blocks", ["author", "fan"])
def test_blocked_either_way_cannot_like_or_unlike(client, factory, services, who_blocks):
    # Blocked either way, the note does not exist for the fan (notes.queries.get_visible): liking
    # and unliking both answer 404, and the like made before the block stays as it was.
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    assert client.post(f"/api/v1/notes/{note}/like", headers=fan.headers).status_code == 200
    blocker, target = (author, fan) if who_blocks == "author" else (fan, author)
    client.post(f"/api/v1/users/{target.username}/block", headers=blocker.headers)
    assert client.delete(f"/api/v1/notes/{note}/like", headers=fan.headers).status_code == 404

    r = client.post(f"/api/v1/notes/{note}/like", headers=fan.headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "note.not_found"
    assert note_counts(services, note)["likes"] == 1
    assert rows(services, Like, note_id=note) == 1


def test_own_note_can_be_liked(client, factory, services):
    author = factory.user()
    note = factory.note_row(author)
    assert client.post(f"/api/v1/notes/{note}/like", headers=author.headers).json()["like_count"] == 1
    assert received(services, author) == 1


def _comment(client, user, note) -> str:
    r = client.post(f"/api/v1/notes/{note}/comments", headers=user.headers, json={"body": "nice"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_comment_like_toggle(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    comment = _comment(client, author, note)
    url = f"/api/v1/comments/{comment}/like"

    assert client.post(url, headers=fan.headers).json() == {"liked": True, "like_count": 1}
    assert client.post(url, headers=fan.headers).json() == {"liked": True, "like_count": 1}
    assert rows(services, CommentLike, comment_id=int(comment)) == 1
    listed = client.get(f"/api/v1/notes/{note}/comments", headers=fan.headers).json()["items"][0]
    assert listed["liked_by_me"] is True
    assert listed["like_count"] == 1
    assert client.get(f"/api/v1/notes/{note}/comments").json()["items"][0]["liked_by_me"] is False

    assert client.delete(url, headers=fan.headers).json() == {"liked": False, "like_count": 0}
    assert client.delete(url, headers=fan.headers).json() == {"liked": False, "like_count": 0}
    assert comment_counts(services, comment)["likes"] == 0
    # Comment likes are not note likes.
    assert note_counts(services, note)["likes"] == 0


def test_comment_like_requires_login(client, factory):
    author = factory.user()
    comment = _comment(client, author, factory.note_row(author))
    for method in ("post", "delete"):
        assert getattr(client, method)(f"/api/v1/comments/{comment}/like").status_code == 401


def test_comment_like_unknown_or_malformed_is_404(client, factory):
    user = factory.user()
    for bad in [*BAD_IDS, "123456789"]:
        for method in ("post", "delete"):
            r = getattr(client, method)(f"/api/v1/comments/{bad}/like", headers=user.headers)
            assert r.status_code == 404, bad
            assert r.json()["error"]["code"] == "comment.not_found"


def test_blocked_cannot_like_comment(client, factory, services):
    author, commenter, fan = factory.user(), factory.user(), factory.user()
    comment = _comment(client, commenter, factory.note_row(author))
    client.post(f"/api/v1/users/{fan.username}/block", headers=commenter.headers)
    r = client.post(f"/api/v1/comments/{comment}/like", headers=fan.headers)
    assert r.status_code == 403
    assert comment_counts(services, comment)["likes"] == 0
