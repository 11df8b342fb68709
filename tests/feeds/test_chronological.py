"""Following feed, a user's notes, collection feeds and the viewer's collects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import Factory, UserHandle
from tests.feeds.helpers import (
    FOLLOWING,
    MY_COLLECTS,
    collect,
    collection_url,
    get_page,
    make_collection,
    page_ids,
    user_notes_url,
    walk,
)
from tests.notes.helpers import count_queries


def follow(client, user: UserHandle, target: UserHandle) -> None:
    response = client.post(f"/api/v1/users/{target.username}/follow", headers=user.headers)
    assert response.status_code == 200, response.text


def relate(client, user: UserHandle, target: UserHandle, verb: str) -> None:
    response = client.post(f"/api/v1/users/{target.username}/{verb}", headers=user.headers)
    assert response.status_code == 204, response.text


# --------------------------------------------------------------------------------------- following


def test_following_shows_only_followed_authors_newest_first(client, factory: Factory):
    viewer, alice, bob, carol = (factory.user() for _ in range(4))
    follow(client, viewer, alice)
    follow(client, viewer, bob)
    mine = []
    for i in range(5):
        mine.append(factory.note_row(alice, title=f"alice {i}", age=timedelta(hours=10 - i)))
        mine.append(factory.note_row(bob, title=f"bob {i}"))
        factory.note_row(carol, title=f"carol {i}")
    factory.note_row(viewer, title="my own")
    seen = walk(client, FOLLOWING, viewer, limit=3)
    assert seen == sorted(mine, reverse=True)


def test_following_card_shape(client, factory: Factory):
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    note = factory.note(alice, title="Cards have covers")
    body = get_page(client, FOLLOWING, viewer)
    assert body["next_cursor"] is None
    [card] = body["items"]
    assert card["id"] == note["id"]
    assert card["title"] == "Cards have covers"
    assert card["author"]["username"] == alice.username
    assert card["cover"]["url"]
    assert card["cover"]["width"] > 0


def test_following_cards_from_the_memo_stay_current(client, factory: Factory):
    """The following feed's cards come through the card memo (``feeds.cards``): what the viewer
    did, another reader's likes, edits and deletions all show on the very next page."""
    viewer, alice, fan = factory.user(), factory.user(), factory.user()
    follow(client, viewer, alice)
    kept = factory.note(alice, title="Kept", images=0)
    gone = factory.note(alice, title="Gone", images=0)
    assert [c["title"] for c in get_page(client, FOLLOWING, viewer)["items"]] == ["Gone", "Kept"]
    assert client.post(f"/api/v1/notes/{kept['id']}/like", headers=viewer.headers).status_code == 200
    assert client.post(f"/api/v1/notes/{kept['id']}/like", headers=fan.headers).status_code == 200
    assert client.patch(f"/api/v1/notes/{kept['id']}", headers=alice.headers,
                        json={"title": "Kept, edited"}).status_code == 200
    assert client.delete(f"/api/v1/notes/{gone['id']}", headers=alice.headers).status_code == 204
    [card] = get_page(client, FOLLOWING, viewer)["items"]
    assert (card["title"], card["like_count"], card["liked_by_me"]) == ("Kept, edited", 2, True)


def test_following_page_is_one_statement_once_cached(client, factory: Factory, services):
    """A cached page is no statement at all; a page recomputed (here: the viewer's own like retired
    it) with the viewer's caller, follows and cards memoised is one statement: the ids, the like
    counts and the viewer's likes together (hidden authors come with the cached caller)."""
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    liked = factory.note_row(alice, title="liked")
    factory.note_row(alice, title="other")
    get_page(client, FOLLOWING, viewer)
    with count_queries(services) as statements:
        get_page(client, FOLLOWING, viewer)
    assert statements == []
    assert client.post(f"/api/v1/notes/{liked}/like", headers=viewer.headers).status_code == 200
    with count_queries(services) as statements:
        body = get_page(client, FOLLOWING, viewer)
    assert len(statements) == 1, statements
    assert [(c["title"], c["like_count"], c["liked_by_me"]) for c in body["items"]] == [
        ("other", 0, False), ("liked", 1, True)]


def test_following_empty_when_following_nobody(client, factory: Factory):
    viewer, other = factory.user(), factory.user()
    factory.note_row(other)
    assert get_page(client, FOLLOWING, viewer) == {"items": [], "next_cursor": None}


def test_following_hides_muted_and_blocked(client, factory: Factory):
    viewer, muted, blocked, blocker, fine = (factory.user() for _ in range(5))
    for author in (muted, blocked, blocker, fine):
        follow(client, viewer, author)
    kept = factory.note_row(fine)
    for author in (muted, blocked, blocker):
        factory.note_row(author)
    relate(client, viewer, muted, "mute")
    relate(client, viewer, blocked, "block")
    relate(client, blocker, viewer, "block")
    assert walk(client, FOLLOWING, viewer) == [kept]


def test_following_requires_login(client):
    response = client.get(FOLLOWING)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"


def test_following_does_not_skip_or_repeat_when_notes_arrive(client, factory: Factory):
    viewer, alice = factory.user(), factory.user()
    follow(client, viewer, alice)
    before = [factory.note_row(alice) for _ in range(7)]
    seen = walk(client, FOLLOWING, viewer, limit=2, between=lambda: factory.note_row(alice))
    assert seen == sorted(before, reverse=True)


# ----------------------------------------------------------------------------------------- user feed


def test_user_notes_newest_first_and_public(client, factory: Factory):
    alice, other = factory.user(), factory.user()
    notes = [factory.note_row(alice, title=f"n{i}") for i in range(5)]
    factory.note_row(other)
    assert walk(client, user_notes_url(alice.username), limit=2) == sorted(notes, reverse=True)
    assert walk(client, user_notes_url(alice.username.upper()), other, limit=50) == sorted(notes, reverse=True)


def test_user_notes_unknown_user_404(client, factory: Factory):
    response = client.get(user_notes_url("nobody_here"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "user.not_found"
    response = client.get(user_notes_url("x" * 200))
    assert response.status_code == 404


@pytest.mark.parametrize("direction", ["viewer_blocks", "author_blocks"])
def test_user_notes_empty_between_blocked_users(client, factory: Factory, direction: str):
    viewer, author = factory.user(), factory.user()
    factory.note_row(author)
    blocker, blocked = (viewer, author) if direction == "viewer_blocks" else (author, viewer)
    relate(client, blocker, blocked, "block")
    assert get_page(client, user_notes_url(author.username), viewer) == {"items": [], "next_cursor": None}
    # Other people still see them.
    assert len(get_page(client, user_notes_url(author.username))["items"]) == 1


def test_user_notes_of_muted_author_still_shown(client, factory: Factory):
    viewer, author = factory.user(), factory.user()
    note = factory.note_row(author)
    relate(client, viewer, author, "mute")
    assert page_ids(get_page(client, user_notes_url(author.username), viewer)) == [note]


# ------------------------------------------------------------------------------------- collections


def test_collection_feed_newest_collected_first(client, factory: Factory, services):
    owner, author, other = factory.user(), factory.user(), factory.user()
    notes = [factory.note_row(author, title=f"n{i}") for i in range(4)]
    collection = make_collection(services, owner)
    # Collected in reverse order of writing: the feed follows collect time, not note time.
    for note in reversed(notes):
        collect(services, owner, note, collection)
    collect(services, other, notes[0])  # someone else's collect: not in this collection
    expected = list(notes)  # most recently collected is notes[0]
    assert walk(client, collection_url(collection), limit=3) == expected
    assert walk(client, collection_url(collection), owner) == expected
    assert walk(client, collection_url(collection), other) == expected


def test_private_collection_only_for_owner(client, factory: Factory, services):
    owner, other = factory.user(), factory.user()
    note = factory.note_row(owner)
    collection = make_collection(services, owner, public=False)
    collect(services, owner, note, collection)
    assert walk(client, collection_url(collection), owner) == [note]
    for who in (other, None):
        response = client.get(collection_url(collection), headers=who.headers if who else {})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "collection.not_found"


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "99999999999999999999999", "1.5"])
def test_collection_bad_or_unknown_id_404(client, bad: str):
    response = client.get(collection_url(bad))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "collection.not_found"


def test_collection_unknown_id_404(client):
    assert client.get(collection_url(123456789)).status_code == 404


@pytest.mark.parametrize("direction", ["viewer_blocks", "owner_blocks"])
def test_collection_of_blocked_owner_404(client, factory: Factory, services, direction: str):
    viewer, owner = factory.user(), factory.user()
    collection = make_collection(services, owner)
    collect(services, owner, factory.note_row(owner), collection)
    blocker, blocked = (viewer, owner) if direction == "viewer_blocks" else (owner, viewer)
    relate(client, blocker, blocked, "block")
    assert client.get(collection_url(collection), headers=viewer.headers).status_code == 404


@pytest.mark.parametrize("direction", ["viewer_blocks", "author_blocks"])
def test_collections_hide_notes_of_blocked_authors(client, factory: Factory, services, direction: str):
    viewer, author, curator = factory.user(), factory.user(), factory.user()
    blocked_note, fine_note = factory.note_row(author), factory.note_row(curator)
    public = make_collection(services, curator)
    mine = make_collection(services, viewer, public=False)
    for note in (blocked_note, fine_note):
        collect(services, curator, note, public)
        collect(services, viewer, note, mine)
    blocker, blocked = (viewer, author) if direction == "viewer_blocks" else (author, viewer)
    relate(client, blocker, blocked, "block")
    assert walk(client, collection_url(public), viewer) == [fine_note]
    assert walk(client, collection_url(mine), viewer) == [fine_note]
    assert walk(client, MY_COLLECTS, viewer) == [fine_note]
    # The block is between the two of them only.
    assert sorted(walk(client, collection_url(public), None)) == sorted([blocked_note, fine_note])


def test_my_collects_all_collections_newest_first(client, factory: Factory, services):
    viewer, author, other = factory.user(), factory.user(), factory.user()
    notes = [factory.note_row(author) for _ in range(5)]
    shelf = make_collection(services, viewer, public=False)
    collect(services, viewer, notes[2], shelf)
    collect(services, viewer, notes[0])
    collect(services, viewer, notes[4], shelf)
    collect(services, other, notes[1])
    assert walk(client, MY_COLLECTS, viewer, limit=1) == [notes[4], notes[0], notes[2]]
    assert walk(client, MY_COLLECTS, other) == [notes[1]]


def test_my_collects_requires_login(client):
    response = client.get(MY_COLLECTS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"
