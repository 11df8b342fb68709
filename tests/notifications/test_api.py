"""The notifications API: list, unread count, mark read — always the viewer's own."""

from __future__ import annotations

from sqlalchemy import select

from redbridge.media.models import Media
from redbridge.notes.models import Note
from redbridge.notifications.models import Notification

URL = "/api/v1/notifications"


def liked_by(client, factory, author, fans=3):
    """``fans`` new users like ``author``'s notes, one each; returns the note ids."""
    notes = []
    for _ in range(fans):
        note = factory.note_row(author)
        client.post(f"/api/v1/notes/{note}/like", headers=factory.user().headers)
        notes.append(note)
    return notes


def unread(client, user):
    r = client.get(f"{URL}/unread-count", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["unread"]


def test_list_newest_first_with_pages(client, factory):
    author = factory.user()
    notes = liked_by(client, factory, author, fans=5)
    seen, cursor = [], None
    while True:
        r = client.get(URL, headers=author.headers, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert [n["note"]["id"] for n in seen] == [str(n) for n in reversed(notes)]
    assert len({n["id"] for n in seen}) == 5


def test_note_reference_carries_the_cover(client, factory, services):
    author = factory.user()
    note = factory.note_row(author, title="Cover me")
    with services.sessions() as session:
        media = Media(id=note + 1, owner_id=author.int_id, kind="image", status="ready", content_type="image/webp",
                      key="n/full.webp", thumb_key="n/thumb.webp", width=800, height=600, thumb_width=400,
                      thumb_height=300, size_bytes=1, note_id=note, position=0, created_at=services.clock.now())
        session.add(media)
        session.flush()
        session.get(Note, note).cover_media_id = media.id
        session.commit()
    client.post(f"/api/v1/notes/{note}/like", headers=factory.user().headers)
    [item] = client.get(URL, headers=author.headers).json()["items"]
    assert item["note"] == {"id": str(note), "title": "Cover me", "cover_url": "/media/n/thumb.webp"}


def test_unread_count_and_mark_all_read(client, factory):
    author, bystander = factory.user(), factory.user()
    liked_by(client, factory, author, fans=3)
    liked_by(client, factory, bystander, fans=1)
    assert unread(client, author) == 3

    r = client.post(f"{URL}/read", headers=author.headers, json={"up_to_id": None})
    assert r.status_code == 200, r.text
    assert r.json() == {"unread": 0}
    assert unread(client, author) == 0
    assert all(n["read"] for n in client.get(URL, headers=author.headers).json()["items"])
    # Someone else's notifications are untouched.
    assert unread(client, bystander) == 1
    # Without a body too, and again (idempotent).
    assert client.post(f"{URL}/read", headers=author.headers).json() == {"unread": 0}


def test_mark_read_up_to_an_id(client, factory):
    author = factory.user()
    liked_by(client, factory, author, fans=4)
    items = client.get(URL, headers=author.headers).json()["items"]  # newest first
    middle = items[2]["id"]
    r = client.post(f"{URL}/read", headers=author.headers, json={"up_to_id": middle})
    assert r.json() == {"unread": 2}
    after = client.get(URL, headers=author.headers).json()["items"]
    assert [n["read"] for n in after] == [False, False, True, True]


def test_cannot_touch_someone_elses_notifications(client, factory, services):
    ann, bob = factory.user(), factory.user()
    liked_by(client, factory, ann, fans=2)
    liked_by(client, factory, bob, fans=1)
    bobs = client.get(URL, headers=bob.headers).json()["items"]
    assert len(bobs) == 1
    anns = {n["id"] for n in client.get(URL, headers=ann.headers).json()["items"]}
    assert bobs[0]["id"] not in anns

    # Marking "up to" one of Bob's (newer) ids only reads Ann's own.
    assert client.post(f"{URL}/read", headers=ann.headers, json={"up_to_id": bobs[0]["id"]}).json() == {"unread": 0}
    assert unread(client, bob) == 1
    with services.sessions() as session:
        assert session.scalar(select(Notification.read_at).where(Notification.id == int(bobs[0]["id"]))) is None


def test_requires_login(client):
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/unread-count").status_code == 401
    r = client.post(f"{URL}/read", json={})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "auth.required"


def test_bad_input(client, factory):
    user = factory.user()
    for body in ({"up_to_id": "abc"}, {"up_to_id": "0"}, {"up_to_id": "9" * 40}, {"up_to_id": 5}, {"all": True}):
        r = client.post(f"{URL}/read", headers=user.headers, json=body)
        assert r.status_code == 422, body
    assert client.post(f"{URL}/read", headers=user.headers, content=b"[" * (1024 * 1024 + 1)).status_code == 413
    assert client.get(URL, headers=user.headers, params={"cursor": "garbage!"}).status_code == 400
    assert client.get(URL, headers=user.headers, params={"limit": 0}).status_code == 422
    assert client.get(URL, headers=user.headers, params={"limit": 51}).status_code == 422
