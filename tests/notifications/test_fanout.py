"""Who gets notified of what: one test per kind, plus the self / blocked / muted / duplicate rules."""

from __future__ import annotations

from sqlalchemy import update

from redbridge.accounts.models import User
from redbridge.core import events
from redbridge.notifications.models import Notification
from tests.engagement.helpers import rows


def inbox(client, user):
    r = client.get("/api/v1/notifications", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def kinds(client, user):
    return [(n["kind"], n["actor"]["username"]) for n in inbox(client, user)]


def comment(client, user, note, body="nice", parent_id=None):
    payload = {"body": body, **({"parent_id": parent_id} if parent_id else {})}
    r = client.post(f"/api/v1/notes/{note}/comments", headers=user.headers, json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def test_like_notifies_the_note_author(client, factory):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author, title="Hotpot night")
    client.post(f"/api/v1/notes/{note}/like", headers=fan.headers)
    [item] = inbox(client, author)
    assert item["kind"] == "like"
    assert item["actor"]["username"] == fan.username
    assert item["note"] == {"id": str(note), "title": "Hotpot night", "cover_url": None}
    assert item["comment"] is None
    assert item["read"] is False
    assert inbox(client, fan) == []


def test_collect_notifies_the_note_author(client, factory):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    client.post(f"/api/v1/notes/{note}/collect", headers=fan.headers)
    assert kinds(client, author) == [("collect", fan.username)]


def test_comment_and_replies(client, factory):
    author, ann, bob, cai = factory.user(), factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)

    top = comment(client, ann, note, "lovely")
    assert kinds(client, author) == [("comment", ann.username)]
    assert inbox(client, author)[0]["comment"] == {"id": top["id"], "body": "lovely"}

    # A reply goes to the thread's author, not to the note's author.
    direct = comment(client, bob, note, "agreed", parent_id=top["id"])
    assert kinds(client, ann) == [("reply", bob.username)]
    assert len(inbox(client, author)) == 1

    # A reply to a reply reaches both the thread's author and the person answered.
    comment(client, cai, note, "me too", parent_id=direct["id"])
    assert kinds(client, ann)[0] == ("reply", cai.username)
    assert kinds(client, bob) == [("reply", cai.username)]

    # Replying in your own thread does not notify yourself.
    comment(client, ann, note, "thanks all", parent_id=top["id"])
    assert [k for k in kinds(client, ann) if k[1] == ann.username] == []


def test_long_comment_is_excerpted(client, factory):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    comment(client, fan, note, "好" * 300)
    excerpt = inbox(client, author)[0]["comment"]["body"]
    assert excerpt.endswith("…")
    assert len(excerpt) <= 80


def test_mentions_in_comments(client, factory):
    author, ann, mei, lee = factory.user(), factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    comment(client, ann, note, f"@{mei.username.upper()} look! cc @{lee.username} @{mei.username} @nobody_at_all "
                               f"@{author.username} @{ann.username}")
    assert kinds(client, mei) == [("mention", ann.username)]
    assert kinds(client, lee) == [("mention", ann.username)]
    # The note's author is told once, as a comment; the commenter not at all.
    assert kinds(client, author) == [("comment", ann.username)]
    assert inbox(client, ann) == []


def test_comment_like_notifies_the_comment_author(client, factory):
    author, ann, fan = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    top = comment(client, ann, note, "first!")
    client.post(f"/api/v1/comments/{top['id']}/like", headers=fan.headers)
    [item] = inbox(client, ann)
    assert (item["kind"], item["actor"]["username"]) == ("comment_like", fan.username)
    assert item["comment"]["id"] == top["id"]
    assert item["note"]["id"] == str(note)


def test_follow_notifies_once(client, factory):
    star, fan = factory.user(), factory.user()
    for _ in range(2):
        client.post(f"/api/v1/users/{star.username}/follow", headers=fan.headers)
        client.delete(f"/api/v1/users/{star.username}/follow", headers=fan.headers)
    client.post(f"/api/v1/users/{star.username}/follow", headers=fan.headers)
    [item] = inbox(client, star)
    assert (item["kind"], item["note"], item["comment"]) == ("follow", None, None)


def test_mentions_in_a_new_note(client, factory, services):
    author, mei, lee = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author, title=f"with @{mei.username}", body=f"and @{lee.username}, @{author.username}")
    with services.sessions() as session:
        events.publish(session, "note.created", {"note_id": note, "author_id": author.int_id})
        session.commit()
    assert kinds(client, mei) == [("mention", author.username)]
    assert kinds(client, lee) == [("mention", author.username)]
    assert inbox(client, author) == []


def test_no_notification_for_yourself(client, factory):
    author = factory.user()
    note = factory.note_row(author)
    client.post(f"/api/v1/notes/{note}/like", headers=author.headers)
    client.post(f"/api/v1/notes/{note}/collect", headers=author.headers)
    top = comment(client, author, note, f"hi @{author.username}")
    client.post(f"/api/v1/comments/{top['id']}/like", headers=author.headers)
    assert inbox(client, author) == []


def test_muted_or_blocking_recipient_hears_nothing(client, factory):
    author, fan, mei, lee = factory.user(), factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    client.post(f"/api/v1/users/{fan.username}/mute", headers=author.headers)
    client.post(f"/api/v1/users/{fan.username}/block", headers=mei.headers)
    client.post(f"/api/v1/users/{lee.username}/block", headers=fan.headers)

    client.post(f"/api/v1/notes/{note}/like", headers=fan.headers)
    comment(client, fan, note, f"hey @{mei.username} @{lee.username}")
    assert inbox(client, author) == []
    assert inbox(client, mei) == []
    assert inbox(client, lee) == []


def test_inactive_accounts_are_skipped(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    with services.sessions() as session:
        session.execute(update(User).where(User.id == author.int_id).values(is_active=False))
        session.commit()
    client.post(f"/api/v1/notes/{note}/like", headers=fan.headers)
    assert rows(services, Notification, recipient_id=author.int_id) == 0


def test_like_unlike_like_does_not_stack_unread_notifications(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    url = f"/api/v1/notes/{note}/like"
    for _ in range(3):
        client.post(url, headers=fan.headers)
        client.delete(url, headers=fan.headers)
    client.post(url, headers=fan.headers)
    assert kinds(client, author) == [("like", fan.username)]

    # Once read, a new like after an unlike is news again.
    client.post("/api/v1/notifications/read", headers=author.headers)
    client.delete(url, headers=fan.headers)
    client.post(url, headers=fan.headers)
    assert [n["read"] for n in inbox(client, author)] == [False, True]


def test_handlers_are_idempotent_when_retried(client, factory, services):
    author, ann, mei = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    client.post(f"/api/v1/notes/{note}/like", headers=ann.headers)
    top = comment(client, ann, note, f"@{mei.username} see")
    # Even once read, a one-shot notification (a comment, a mention) is not created twice.
    client.post("/api/v1/notifications/read", headers=mei.headers)
    before = rows(services, Notification)
    assert before == 3

    services.queue.enqueue("notifications.note_liked", {"actor_id": ann.int_id, "note_id": note})
    payload = {"comment_id": int(top["id"]), "note_id": note, "author_id": ann.int_id, "parent_id": None}
    for _ in range(2):
        services.queue.enqueue("notifications.comment_created", payload)
    assert rows(services, Notification) == before


def test_events_about_vanished_objects_are_dropped(client, factory, services):
    author, fan = factory.user(), factory.user()
    services.queue.enqueue("notifications.note_liked", {"actor_id": fan.int_id, "note_id": 123456789})
    services.queue.enqueue("notifications.comment_created", {"comment_id": 123456789, "note_id": 1,
                                                            "author_id": fan.int_id, "parent_id": None})
    services.queue.enqueue("notifications.comment_liked", {"actor_id": fan.int_id, "comment_id": 123456789})
    services.queue.enqueue("notifications.note_created", {"note_id": 123456789, "author_id": author.int_id})
    assert rows(services, Notification) == 0
