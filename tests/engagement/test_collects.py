"""Collects (收藏) and named collections."""

from __future__ import annotations

from sqlalchemy import delete, select

from redbridge.engagement.actions import release_note_in_tx
from redbridge.engagement.models import Collect
from redbridge.notes.models import Note
from tests.engagement.helpers import collection_count, note_counts, received, rows

BAD_IDS = ["abc", "0", "-1", "9" * 25]


def make_collection(client, user, name="Eats", **extra):
    r = client.post("/api/v1/collections", headers=user.headers, json={"name": name, **extra})
    assert r.status_code == 201, r.text
    return r.json()


# -------------------------------------------------------------------------------------- collects


def test_collect_unfiled_then_uncollect(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    url = f"/api/v1/notes/{note}/collect"

    r = client.post(url, headers=fan.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"collected": True, "collect_count": 1, "collection_id": None}
    assert client.post(url, headers=fan.headers, json={}).json()["collect_count"] == 1
    assert rows(services, Collect, note_id=note) == 1
    assert received(services, author) == 1

    for _ in range(2):
        r = client.delete(url, headers=fan.headers)
        assert r.json() == {"collected": False, "collect_count": 0, "collection_id": None}
    assert rows(services, Collect, note_id=note) == 0
    assert received(services, author) == 0


def test_collect_into_collection_and_move(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    food, trips = make_collection(client, fan, "Food"), make_collection(client, fan, "Trips")
    url = f"/api/v1/notes/{note}/collect"

    r = client.post(url, headers=fan.headers, json={"collection_id": food["id"]})
    assert r.json() == {"collected": True, "collect_count": 1, "collection_id": food["id"]}
    assert collection_count(services, food["id"]) == 1

    # Collecting again into another collection moves it; the note's count does not change.
    r = client.post(url, headers=fan.headers, json={"collection_id": trips["id"]})
    assert r.json() == {"collected": True, "collect_count": 1, "collection_id": trips["id"]}
    assert (collection_count(services, food["id"]), collection_count(services, trips["id"])) == (0, 1)
    assert received(services, author) == 1

    # Same collection again: nothing changes.
    client.post(url, headers=fan.headers, json={"collection_id": trips["id"]})
    assert collection_count(services, trips["id"]) == 1

    # null unfiles it, still collected.
    r = client.post(url, headers=fan.headers, json={"collection_id": None})
    assert r.json() == {"collected": True, "collect_count": 1, "collection_id": None}
    assert collection_count(services, trips["id"]) == 0

    client.post(url, headers=fan.headers, json={"collection_id": food["id"]})
    client.delete(url, headers=fan.headers)
    assert collection_count(services, food["id"]) == 0
    assert note_counts(services, note)["collects"] == 0


def test_likes_and_collects_both_count_as_engagement_received(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    client.post(f"/api/v1/notes/{note}/like", headers=fan.headers)
    client.post(f"/api/v1/notes/{note}/collect", headers=fan.headers)
    assert received(services, author) == 2
    profile = client.get(f"/api/v1/users/{author.username}").json()
    assert profile["engagement_received"] == 2


def test_collect_into_someone_elses_collection_is_404(client, factory, services):
    author, fan, other = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author)
    public = make_collection(client, other, "Public")
    private = make_collection(client, other, "Private", is_public=False)
    for box in (public, private):
        r = client.post(f"/api/v1/notes/{note}/collect", headers=fan.headers, json={"collection_id": box["id"]})
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "collection.not_found"
        assert collection_count(services, box["id"]) == 0
    assert rows(services, Collect, note_id=note) == 0


def test_collect_bad_input(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    url = f"/api/v1/notes/{note}/collect"
    for body in ({"collection_id": "abc"}, {"collection_id": "0"}, {"collection_id": "1" * 40},
                 {"collection_id": 12}, {"collection_id": None, "extra": 1}):
        r = client.post(url, headers=fan.headers, json=body)
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "validation_failed"
    r = client.post(url, headers=fan.headers, json={"collection_id": "123456789"})
    assert r.status_code == 404
    for bad in BAD_IDS:
        assert client.post(f"/api/v1/notes/{bad}/collect", headers=fan.headers).status_code == 404
        assert client.delete(f"/api/v1/notes/{bad}/collect", headers=fan.headers).status_code == 404
    assert client.post(url, headers=fan.headers, content=b"x" * (1024 * 1024 + 1)).status_code == 413
    assert rows(services, Collect, note_id=note) == 0


def test_collect_requires_login(client, factory):
    note = factory.note_row(factory.user())
    assert client.post(f"/api/v1/notes/{note}/collect").status_code == 401
    assert client.delete(f"/api/v1/notes/{note}/collect").status_code == 401


def test_blocked_cannot_collect(client, factory):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    client.post(f"/api/v1/users/{fan.username}/block", headers=author.headers)
    assert client.post(f"/api/v1/notes/{note}/collect", headers=fan.headers).status_code == 404


def test_release_note_corrects_counters_kept_elsewhere(client, factory, services):
    author, fan = factory.user(), factory.user()
    note = factory.note_row(author)
    box = make_collection(client, fan)
    client.post(f"/api/v1/notes/{note}/collect", headers=fan.headers, json={"collection_id": box["id"]})
    client.post(f"/api/v1/notes/{note}/like", headers=fan.headers)
    assert received(services, author) == 2
    with services.sessions() as session:
        release_note_in_tx(session, note)
        session.execute(delete(Note).where(Note.id == note))
        session.commit()
    assert received(services, author) == 0
    assert collection_count(services, box["id"]) == 0


# ----------------------------------------------------------------------------------- collections


def test_create_collection(client, factory):
    owner = factory.user()
    body = make_collection(client, owner, "  Hotpot 火锅  ", description=" spicy ", is_public=False)
    assert body["name"] == "Hotpot 火锅"
    assert body["description"] == "spicy"
    assert body["is_public"] is False
    assert body["note_count"] == 0
    assert body["owner"]["username"] == owner.username
    assert body["id"]
    assert body["created_at"]
    # Another user may use the same name.
    make_collection(client, factory.user(), "Hotpot 火锅")


def test_create_collection_duplicate_name_is_409(client, factory):
    owner = factory.user()
    make_collection(client, owner, "Food")
    r = client.post("/api/v1/collections", headers=owner.headers, json={"name": "Food"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "collection.name_taken"


def test_create_collection_bad_input(client, factory):
    owner = factory.user()
    for body in ({}, {"name": ""}, {"name": "   "}, {"name": "x" * 41}, {"name": "ok", "description": "d" * 201},
                 {"name": "ok", "is_public": "maybe"}, {"name": "ok", "owner_id": "1"}, {"name": "a\u0000"}):
        r = client.post("/api/v1/collections", headers=owner.headers, json=body)
        assert r.status_code == 422, body
    assert make_collection(client, owner, "x" * 40)["name"] == "x" * 40
    assert client.post("/api/v1/collections", json={"name": "anon"}).status_code == 401


def test_update_collection(client, factory):
    owner = factory.user()
    box = make_collection(client, owner, "Food")
    make_collection(client, owner, "Trips")
    url = f"/api/v1/collections/{box['id']}"

    r = client.patch(url, headers=owner.headers, json={"name": "Eats", "is_public": False})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["is_public"], r.json()["description"]) == ("Eats", False, "")
    assert client.patch(url, headers=owner.headers, json={"description": "yum"}).json()["name"] == "Eats"

    r = client.patch(url, headers=owner.headers, json={"name": "Trips"})
    assert r.status_code == 409
    assert client.patch(url, headers=owner.headers, json={"name": "x" * 41}).status_code == 422
    assert client.patch(url, headers=owner.headers, json={"note_count": 5}).status_code == 422
    assert client.patch(url, json={"name": "anon"}).status_code == 401
    assert client.get(url, headers=owner.headers).json()["name"] == "Eats"


def test_change_or_delete_someone_elses_collection(client, factory):
    owner, other = factory.user(), factory.user()
    public = make_collection(client, owner, "Public")
    private = make_collection(client, owner, "Private", is_public=False)
    for box, status in ((public, 403), (private, 404)):
        url = f"/api/v1/collections/{box['id']}"
        assert client.patch(url, headers=other.headers, json={"name": "mine"}).status_code == status
        assert client.delete(url, headers=other.headers).status_code == status
        assert client.get(url, headers=owner.headers).json()["name"] == box["name"]


def test_delete_collection_keeps_collects_unfiled(client, factory, services):
    author, owner = factory.user(), factory.user()
    note = factory.note_row(author)
    box = make_collection(client, owner)
    client.post(f"/api/v1/notes/{note}/collect", headers=owner.headers, json={"collection_id": box["id"]})

    assert client.delete(f"/api/v1/collections/{box['id']}").status_code == 401
    r = client.delete(f"/api/v1/collections/{box['id']}", headers=owner.headers)
    assert r.status_code == 204
    assert client.get(f"/api/v1/collections/{box['id']}", headers=owner.headers).status_code == 404
    assert client.delete(f"/api/v1/collections/{box['id']}", headers=owner.headers).status_code == 404
    with services.sessions() as session:
        assert session.scalar(select(Collect.collection_id).where(Collect.user_id == owner.int_id)) is None
    assert note_counts(services, note)["collects"] == 1
    # The name is free again.
    make_collection(client, owner)


def test_get_collection_visibility(client, factory):
    owner, other = factory.user(), factory.user()
    public = make_collection(client, owner, "Public")
    private = make_collection(client, owner, "Private", is_public=False)

    assert client.get(f"/api/v1/collections/{public['id']}").json() == public
    assert client.get(f"/api/v1/collections/{public['id']}", headers=other.headers).status_code == 200
    assert client.get(f"/api/v1/collections/{private['id']}", headers=owner.headers).json() == private
    for headers in ({}, other.headers):
        r = client.get(f"/api/v1/collections/{private['id']}", headers=headers)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "collection.not_found"
    for bad in BAD_IDS:
        assert client.get(f"/api/v1/collections/{bad}").status_code == 404
        assert client.patch(f"/api/v1/collections/{bad}", headers=owner.headers, json={}).status_code == 404
        assert client.delete(f"/api/v1/collections/{bad}", headers=owner.headers).status_code == 404


def test_a_collection_is_404_between_blocked_accounts_as_its_notes_are(client, factory):
    """One visibility rule for a collection and its notes (``engagement.queries.visible_collection``)."""
    owner, other = factory.user(), factory.user()
    public = make_collection(client, owner, "Public")
    assert client.post(f"/api/v1/users/{other.username}/block", headers=owner.headers).status_code == 204
    for url in (f"/api/v1/collections/{public['id']}", f"/api/v1/collections/{public['id']}/notes"):
        response = client.get(url, headers=other.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "collection.not_found"
        assert client.get(url, headers=owner.headers).status_code == 200
        assert client.get(url).status_code == 200


def test_list_user_collections(client, factory):
    owner, other = factory.user(), factory.user()
    made = [make_collection(client, owner, f"Box {i}", is_public=i != 1) for i in range(4)]
    newest_first = [b["id"] for b in reversed(made)]
    url = f"/api/v1/users/{owner.username}/collections"

    def walk(headers):
        seen, cursor = [], None
        while True:
            page = client.get(url, headers=headers, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
            assert page.status_code == 200, page.text
            seen += [b["id"] for b in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return seen

    assert walk(owner.headers) == newest_first
    public_only = [i for i in newest_first if i != made[1]["id"]]
    assert walk(other.headers) == public_only
    assert walk({}) == public_only

    assert client.get("/api/v1/users/nobody_here/collections").status_code == 404
    assert client.get(url, params={"cursor": "not-a-cursor"}).status_code == 400
    assert client.get(url, params={"limit": 0}).status_code == 422
    assert client.get(url, params={"limit": 51}).status_code == 422
