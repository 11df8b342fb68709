"""Comments with one level of replies: create, list, replies, delete."""

from __future__ import annotations

from redbridge.engagement.models import Comment, CommentLike
from redbridge.notifications.models import Notification
from tests.engagement.helpers import comment_counts, make_admin, note_counts, rows

BAD_IDS = ["abc", "0", "-1", "9" * 25]


def post_comment(client, user, note, body="nice", parent_id=None):
    payload = {"body": body} if parent_id is None else {"body": body, "parent_id": parent_id}
    r = client.post(f"/api/v1/notes/{note}/comments", headers=user.headers, json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def ids_of(items):
    return [c["id"] for c in items]


# -------------------------------------------------------------------------------------- create


def test_create_top_level_comment(client, factory, services):
    author, reader = factory.user(), factory.user()
    note = factory.note_row(author)
    body = post_comment(client, reader, note, "  第一次吃火锅，太好吃了！  ")
    assert body["body"] == "第一次吃火锅，太好吃了！"
    assert body["lang"] == "zh"
    assert body["note_id"] == str(note)
    assert body["author"]["username"] == reader.username
    assert (body["parent_id"], body["reply_to"]) == (None, None)
    assert (body["like_count"], body["reply_count"], body["liked_by_me"]) == (0, 0, False)
    assert body["replies_preview"] == []
    assert post_comment(client, reader, note, "great food in Chengdu, thanks for the tips")["lang"] == "en"
    assert note_counts(services, note)["comments"] == 2


def test_comment_body_limits(client, factory, services):
    author = factory.user()
    note = factory.note_row(author)
    url = f"/api/v1/notes/{note}/comments"
    assert post_comment(client, author, note, "字" * 500)["body"] == "字" * 500
    for payload in ({"body": "x" * 501}, {"body": ""}, {"body": " \n\t "}, {}, {"body": 5},
                    {"body": "ok", "author_id": "1"}, {"body": "ok", "parent_id": "abc"},
                    {"body": "ok", "parent_id": "0"}, {"body": "ok", "parent_id": "1" * 40}, {"body": "nul\u0000"}):
        r = client.post(url, headers=author.headers, json=payload)
        assert r.status_code == 422, payload
        assert r.json()["error"]["code"] == "validation_failed"
    assert client.post(url, headers=author.headers, content=b"{" + b" " * (1024 * 1024)).status_code == 413
    assert note_counts(services, note)["comments"] == 1


def test_comment_requires_login(client, factory, services):
    note = factory.note_row(factory.user())
    assert client.post(f"/api/v1/notes/{note}/comments", json={"body": "hi"}).status_code == 401
    assert rows(services, Comment, note_id=note) == 0


def test_comment_on_unknown_note_or_parent_is_404(client, factory):
    author = factory.user()
    note, other_note = factory.note_row(author), factory.note_row(author)
    for bad in [*BAD_IDS, "123456789"]:
        r = client.post(f"/api/v1/notes/{bad}/comments", headers=author.headers, json={"body": "hi"})
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "note.not_found"
    elsewhere = post_comment(client, author, other_note)
    for parent in ("123456789", elsewhere["id"]):
        r = client.post(f"/api/v1/notes/{note}/comments", headers=author.headers,
                        json={"body": "hi", "parent_id": parent})
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "comment.not_found"


def test_reply_to_reply_is_flattened(client, factory, services):
    author, ann, bob, cai = factory.user(), factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    top = post_comment(client, ann, note, "where is this?")
    direct = post_comment(client, bob, note, "Chengdu!", parent_id=top["id"])
    assert (direct["parent_id"], direct["reply_to"]) == (top["id"], None)

    nested = post_comment(client, cai, note, "which street?", parent_id=direct["id"])
    assert nested["parent_id"] == top["id"]
    assert nested["reply_to"]["username"] == bob.username

    with services.sessions() as session:
        row = session.get(Comment, int(nested["id"]))
        assert (row.parent_id, row.reply_to_user_id) == (int(top["id"]), bob.int_id)
    assert comment_counts(services, top["id"])["replies"] == 2
    assert comment_counts(services, direct["id"])["replies"] == 0
    assert note_counts(services, note)["comments"] == 3


def test_blocked_either_way_with_note_author_cannot_comment(client, factory, services):
    author, troll, other = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    client.post(f"/api/v1/users/{troll.username}/block", headers=author.headers)
    r = client.post(f"/api/v1/notes/{note}/comments", headers=troll.headers, json={"body": "hi"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "note.not_found"

    note2 = factory.note_row(other)
    client.post(f"/api/v1/users/{other.username}/block", headers=troll.headers)
    assert client.post(f"/api/v1/notes/{note2}/comments", headers=troll.headers, json={"body": "hi"}).status_code == 404
    assert rows(services, Comment, author_id=troll.int_id) == 0


def test_cannot_reply_to_someone_who_blocked_you(client, factory):
    author, ann, troll = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    top = post_comment(client, ann, note)
    client.post(f"/api/v1/users/{troll.username}/block", headers=ann.headers)
    r = client.post(f"/api/v1/notes/{note}/comments", headers=troll.headers, json={"body": "hey", "parent_id": top["id"]})
    assert r.status_code == 403
    # A top-level comment on the note is still fine.
    post_comment(client, troll, note)


# ---------------------------------------------------------------------------------------- read


def test_list_comments_oldest_first_with_reply_previews(client, factory):
    author, ann = factory.user(), factory.user()
    note = factory.note_row(author)
    tops = [post_comment(client, ann, note, f"comment {i}") for i in range(5)]
    replies = [post_comment(client, author, note, f"reply {i}", parent_id=tops[0]["id"]) for i in range(3)]
    url = f"/api/v1/notes/{note}/comments"

    seen, cursor = [], None
    while True:
        page = client.get(url, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids_of(seen) == ids_of(tops)
    first = seen[0]
    assert first["reply_count"] == 3
    assert ids_of(first["replies_preview"]) == ids_of(replies[:2])
    assert all(c["replies_preview"] == [] for c in seen[1:])

    r = client.get(f"/api/v1/comments/{tops[0]['id']}/replies", params={"limit": 2})
    assert ids_of(r.json()["items"]) == ids_of(replies[:2])
    rest = client.get(f"/api/v1/comments/{tops[0]['id']}/replies", params={"cursor": r.json()["next_cursor"]}).json()
    assert ids_of(rest["items"]) == ids_of(replies[2:])
    assert rest["next_cursor"] is None
    assert client.get(f"/api/v1/comments/{replies[0]['id']}/replies").json()["items"] == []


def test_comment_lists_hide_blocked_and_muted_authors(client, factory):
    author, viewer, muted, blocked, blocker, friend = (factory.user() for _ in range(6))
    note = factory.note_row(author)
    by_user = {u.username: post_comment(client, u, note, f"from {u.username}") for u in (muted, blocked, blocker, friend)}
    host = by_user[friend.username]["id"]
    hidden_replies = [post_comment(client, u, note, "reply", parent_id=host)["id"] for u in (muted, blocked)]
    visible_reply = post_comment(client, author, note, "reply", parent_id=host)["id"]

    client.post(f"/api/v1/users/{muted.username}/mute", headers=viewer.headers)
    client.post(f"/api/v1/users/{blocked.username}/block", headers=viewer.headers)
    client.post(f"/api/v1/users/{viewer.username}/block", headers=blocker.headers)

    items = client.get(f"/api/v1/notes/{note}/comments", headers=viewer.headers).json()["items"]
    assert [c["author"]["username"] for c in items] == [friend.username]
    assert ids_of(items[0]["replies_preview"]) == [visible_reply]
    replies = client.get(f"/api/v1/comments/{host}/replies", headers=viewer.headers).json()["items"]
    assert ids_of(replies) == [visible_reply]

    # Others still see everything.
    assert len(client.get(f"/api/v1/notes/{note}/comments").json()["items"]) == 4
    assert ids_of(client.get(f"/api/v1/comments/{host}/replies").json()["items"]) == [*hidden_replies, visible_reply]


def test_list_comments_bad_input(client, factory):
    note = factory.note_row(factory.user())
    for bad in [*BAD_IDS, "123456789"]:
        assert client.get(f"/api/v1/notes/{bad}/comments").status_code == 404
        assert client.get(f"/api/v1/comments/{bad}/replies").status_code == 404
    url = f"/api/v1/notes/{note}/comments"
    assert client.get(url, params={"cursor": "%%%"}).status_code == 400
    assert client.get(url, params={"cursor": "eyJpIjotMX0"}).status_code == 400  # {"i":-1}
    assert client.get(url, params={"cursor": "eyJpIjo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5fQ"}).status_code == 400  # 10**22
    assert client.get(url, params={"limit": 51}).status_code == 422
    assert client.get(url, params={"limit": "x"}).status_code == 422


# -------------------------------------------------------------------------------------- delete


def test_delete_top_level_comment_deletes_its_replies(client, factory, services):
    author, ann, bob = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    keep = post_comment(client, bob, note, "stays")
    top = post_comment(client, ann, note, "goes, @" + author.username)
    reply = post_comment(client, bob, note, "me too", parent_id=top["id"])
    post_comment(client, author, note, "thanks", parent_id=reply["id"])
    client.post(f"/api/v1/comments/{reply['id']}/like", headers=author.headers)
    assert note_counts(services, note)["comments"] == 4
    assert rows(services, Notification, comment_id=int(top["id"])) == 1

    assert client.delete(f"/api/v1/comments/{top['id']}", headers=ann.headers).status_code == 204
    assert note_counts(services, note)["comments"] == 1
    assert rows(services, Comment, note_id=note) == 1
    assert rows(services, CommentLike) == 0
    assert rows(services, Notification, comment_id=int(top["id"])) == 0
    assert ids_of(client.get(f"/api/v1/notes/{note}/comments").json()["items"]) == [keep["id"]]
    assert client.delete(f"/api/v1/comments/{top['id']}", headers=ann.headers).status_code == 404


def test_delete_reply_adjusts_thread(client, factory, services):
    author, ann, bob = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    top = post_comment(client, ann, note)
    replies = [post_comment(client, bob, note, f"r{i}", parent_id=top["id"]) for i in range(2)]
    assert client.delete(f"/api/v1/comments/{replies[0]['id']}", headers=bob.headers).status_code == 204
    assert comment_counts(services, top["id"])["replies"] == 1
    assert note_counts(services, note)["comments"] == 2
    listed = client.get(f"/api/v1/notes/{note}/comments").json()["items"][0]
    assert ids_of(listed["replies_preview"]) == [replies[1]["id"]]


def test_who_may_delete_a_comment(client, factory, services):
    author, ann, bob, admin = factory.user(), factory.user(), factory.user(), factory.user()
    make_admin(services, admin)
    note = factory.note_row(author)
    by_ann = [post_comment(client, ann, note, f"c{i}") for i in range(3)]

    for bad in [*BAD_IDS, "123456789"]:
        assert client.delete(f"/api/v1/comments/{bad}", headers=ann.headers).status_code == 404
    assert client.delete(f"/api/v1/comments/{by_ann[0]['id']}").status_code == 401
    r = client.delete(f"/api/v1/comments/{by_ann[0]['id']}", headers=bob.headers)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert note_counts(services, note)["comments"] == 3

    # The comment's author, the note's author and an admin may.
    for comment, who in zip(by_ann, (ann, author, admin), strict=True):
        assert client.delete(f"/api/v1/comments/{comment['id']}", headers=who.headers).status_code == 204
    assert note_counts(services, note)["comments"] == 0
    assert rows(services, Comment, note_id=note) == 0
