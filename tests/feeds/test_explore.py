"""Explore: ranking, personalisation, cold start, diversity, pagination over pools, hiding."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from redbridge.feeds import explore
from redbridge.text.topics import TOPICS
from tests.factories import Factory, UserHandle
from tests.feeds.helpers import (
    EXPLORE,
    engage,
    expire_explore_pools,
    get_page,
    like,
    page_ids,
    read_cursor,
    walk,
)


def set_profile(client, user: UserHandle, **fields) -> None:
    response = client.patch("/api/v1/auth/me", headers=user.headers, json=fields)
    assert response.status_code == 200, response.text


def relate(client, user: UserHandle, target: UserHandle, verb: str) -> None:
    response = client.post(f"/api/v1/users/{target.username}/{verb}", headers=user.headers)
    assert response.status_code in (200, 204), response.text


def first_page(client, user: UserHandle | None = None, **params) -> list[int]:
    return page_ids(get_page(client, EXPLORE, user, **params))


# ---------------------------------------------------------------------------------------- ranking


def test_collects_weigh_more_than_likes(client, factory: Factory):
    a, b = factory.user(), factory.user()
    liked = factory.note_row(a, age=timedelta(hours=3), likes=10)
    collected = factory.note_row(b, age=timedelta(hours=3), collects=10)
    assert first_page(client) == [collected, liked]


def test_fresher_beats_older_at_equal_engagement(client, factory: Factory):
    a, b = factory.user(), factory.user()
    old = factory.note_row(a, age=timedelta(hours=30), likes=5)
    fresh = factory.note_row(b, age=timedelta(hours=1), likes=5)
    older_but_loved = factory.note_row(a, age=timedelta(hours=30), likes=500)
    assert first_page(client) == [older_but_loved, fresh, old]


def test_engagement_changes_reach_the_next_pool(client, factory: Factory, services, clock):
    a, b = factory.user(), factory.user()
    first = factory.note_row(a, likes=3)
    second = factory.note_row(b, likes=1)
    assert first_page(client) == [first, second]
    engage(services, second, collects=20)
    assert first_page(client) == [first, second]  # same pool window: same snapshot
    clock.advance(seconds=explore.POOL_WINDOW_S)
    assert first_page(client) == [second, first]


def test_new_notes_enter_with_the_next_pool(client, factory: Factory, clock):
    a = factory.user()
    old = factory.note_row(a, likes=1)
    assert first_page(client) == [old]
    new = factory.note_row(factory.user(), likes=50)
    # Not ranked into the current pool; it still shows, after the pool, in the newest-first tail.
    assert walk(client, EXPLORE) == [old, new]
    clock.advance(seconds=explore.POOL_WINDOW_S)
    assert first_page(client) == [new, old]


def test_topic_channel(client, factory: Factory):
    a = factory.user()
    pets = [factory.note_row(a, topic="pets", likes=i) for i in range(3)]
    factory.note_row(a, topic="food", likes=100)
    factory.note_row(a, topic=None, likes=100)
    assert sorted(walk(client, EXPLORE, topic="pets")) == sorted(pets)
    assert client.get(EXPLORE, params={"topic": "nonsense"}).status_code == 422


# ------------------------------------------------------------------------------- personalisation


def test_interest_match_boosts(client, factory: Factory):
    viewer, a, b = factory.user(), factory.user(), factory.user()
    set_profile(client, viewer, interests=["travel"])
    food = factory.note_row(a, topic="food", likes=20)
    travel = factory.note_row(b, topic="travel", likes=10)
    assert first_page(client) == [food, travel]
    assert first_page(client, viewer) == [travel, food]


def test_learned_interest_from_recent_likes(client, factory: Factory, services):
    viewer, a, b = factory.user(), factory.user(), factory.user()
    for _ in range(3):
        like(services, viewer, factory.note_row(a, topic="music", age=timedelta(days=30)))
    music = factory.note_row(a, topic="music", likes=10)
    home = factory.note_row(b, topic="home", likes=20)
    assert first_page(client, limit=2) == [home, music]
    assert first_page(client, viewer, limit=1) == [music]


def test_language_match_boosts_and_other_language_still_shows(client, factory: Factory):
    zh_reader, en_reader, a, b, c = (factory.user() for _ in range(5))
    set_profile(client, zh_reader, read_langs=["zh"])
    set_profile(client, en_reader, read_langs=["en"])
    english = factory.note_row(a, lang="en", likes=12)
    chinese = factory.note_row(b, lang="zh", likes=10)
    mixed = factory.note_row(c, lang="mixed", likes=8)
    assert first_page(client, zh_reader) == [chinese, mixed, english]
    assert first_page(client, en_reader) == [english, mixed, chinese]


def test_language_for_both_readers_and_bridge_notes(client, factory: Factory):
    en_reader, a, b, c = (factory.user() for _ in range(4))
    set_profile(client, en_reader, read_langs=["en"])
    chinese = factory.note_row(a, lang="zh", likes=10)
    mixed = factory.note_row(b, lang="mixed", likes=9)
    english = factory.note_row(c, lang="en", likes=8)
    # Mixed-language notes are bridges: they get the match boost like the reader's own language.
    assert first_page(client, en_reader) == [mixed, english, chinese]


@pytest.mark.parametrize(("header", "first"), [("zh-CN,zh;q=0.9", "zh"), ("en-US,en;q=0.8", "en"),
                                                ("zh-TW", "zh")])
def test_anonymous_language_from_accept_language(client, factory: Factory, header: str, first: str):
    a, b = factory.user(), factory.user()
    notes = {"en": factory.note_row(a, lang="en", likes=5), "zh": factory.note_row(b, lang="zh", likes=5)}
    response = client.get(EXPLORE, headers={"Accept-Language": header})
    assert response.status_code == 200
    ids = page_ids(response.json())
    assert ids[0] == notes[first]
    assert set(ids) == set(notes.values())


def test_followed_authors_mild_boost(client, factory: Factory):
    viewer, friend, stranger = factory.user(), factory.user(), factory.user()
    relate(client, viewer, friend, "follow")
    popular = factory.note_row(stranger, likes=40)
    friends = factory.note_row(friend, likes=10, age=timedelta(minutes=1))
    strangers = factory.note_row(stranger, likes=10)
    assert first_page(client) == [popular, strangers, friends]
    # Mild: beats an equal note, not a much more engaging one.
    assert first_page(client, viewer) == [popular, friends, strangers]


def test_cold_start_interests_dominate_first_page(client, factory: Factory):
    authors = [factory.user() for _ in range(12)]
    newcomer = factory.user()
    set_profile(client, newcomer, interests=["pets"], onboarded=True)
    topics_of: dict[int, str] = {}
    for t, topic in enumerate(TOPICS):
        for k in range(8):
            # Every topic gets the same spread of engagement and age, so only interest differs.
            note = factory.note_row(authors[len(topics_of) % len(authors)], topic=topic, likes=(k * 7 + t) % 25,
                                    collects=k % 3, age=timedelta(hours=(k * 5 + t) % 30))
            topics_of[note] = topic
    anonymous = Counter(topics_of[i] for i in first_page(client, limit=10))
    newcomer_page = Counter(topics_of[i] for i in first_page(client, newcomer, limit=10))
    assert anonymous["pets"] <= 3
    assert newcomer_page["pets"] >= 6, newcomer_page
    assert len(newcomer_page) >= 2  # still room for discovery


def test_author_diversity(client, factory: Factory):
    prolific = factory.user()
    others = [factory.user() for _ in range(8)]
    busy = {factory.note_row(prolific, likes=100 + i) for i in range(10)}
    for other in others:
        factory.note_row(other, likes=1)
    seen = walk(client, EXPLORE, limit=5)
    # By score all ten of the prolific author's notes come first. Diversity lets two through, then
    # eight others, then two more; once nobody else is left the rest follow (best effort, the feed
    # does not end early).
    assert [int(i in busy) for i in seen] == [1, 1] + [0] * 8 + [1] * 8
    assert [i for i in seen if i in busy] == sorted(busy, reverse=True)  # by likes: newest has most


# ------------------------------------------------------------------------------------ visibility


@pytest.mark.parametrize("verb", ["block", "mute", "blocked_by"])
def test_hidden_authors_never_appear(client, factory: Factory, verb: str):
    viewer, hidden, fine = factory.user(), factory.user(), factory.user()
    hidden_notes = {factory.note_row(hidden, likes=50 + i) for i in range(3)}
    kept = [factory.note_row(fine, likes=i) for i in range(3)]
    # Read once so the pool and the viewer's order are cached before the relationship changes.
    assert hidden_notes <= set(first_page(client, viewer))
    if verb == "blocked_by":
        relate(client, hidden, viewer, "block")
    else:
        relate(client, viewer, hidden, verb)
    seen = walk(client, EXPLORE, viewer, limit=2)
    assert sorted(seen) == sorted(kept)
    assert hidden_notes <= set(walk(client, EXPLORE))  # everyone else still sees them


def test_block_mid_scroll_removes_without_skipping(client, factory: Factory):
    viewer, hidden = factory.user(), factory.user()
    others = [factory.user() for _ in range(4)]
    for i in range(6):
        factory.note_row(hidden, likes=10 + i)
        for other in others:
            factory.note_row(other, likes=i)
    body = get_page(client, EXPLORE, viewer, limit=4)
    shown = page_ids(body)
    relate(client, viewer, hidden, "block")
    rest = walk(client, EXPLORE, viewer, limit=4, cursor=body["next_cursor"])
    everything = shown + rest
    assert len(everything) == len(set(everything))
    hidden_ids = {int(c["id"]) for c in get_page(client, f"/api/v1/users/{hidden.username}/notes")["items"]}
    assert not hidden_ids & set(rest)
    assert {i for i in walk(client, EXPLORE) if i not in hidden_ids} <= set(everything)


def test_own_notes_may_appear(client, factory: Factory):
    viewer = factory.user()
    mine = factory.note_row(viewer)
    assert first_page(client, viewer) == [mine]


# ------------------------------------------------------------------------------------ pagination


def test_pool_then_older_notes_no_skip_no_repeat(client, factory: Factory, monkeypatch):
    monkeypatch.setattr(explore, "POOL_SIZE", 5)
    authors = [factory.user() for _ in range(6)]
    notes = [factory.note_row(authors[i % 6], likes=(i * 13) % 17, age=timedelta(hours=i)) for i in range(23)]
    seen = walk(client, EXPLORE, limit=3)
    assert sorted(seen) == sorted(notes)
    assert len(seen) == len(set(seen))
    # Past the pool the feed is newest first.
    assert seen[5:] == sorted(seen[5:], reverse=True)


def test_scroll_keeps_its_pool_across_windows(client, factory: Factory, services, clock):
    authors = [factory.user() for _ in range(5)]
    notes = [factory.note_row(authors[i % 5], likes=i) for i in range(12)]
    body = get_page(client, EXPLORE, limit=4)
    start = page_ids(body)
    clock.advance(seconds=5 * explore.POOL_WINDOW_S)
    engage(services, notes[0], likes=1000)  # would now rank first in a new pool
    rest = walk(client, EXPLORE, limit=4, cursor=body["next_cursor"])
    assert sorted(start + rest) == sorted(notes)
    assert read_cursor(body["next_cursor"])["v"] == explore.pool_version(clock.now()) - 5


def test_expired_pool_falls_back_below_oldest_seen(client, factory: Factory, services):
    authors = [factory.user() for _ in range(5)]
    notes = [factory.note_row(authors[i % 5], likes=(i * 7) % 11) for i in range(15)]
    body = get_page(client, EXPLORE, limit=5)
    start = page_ids(body)
    expire_explore_pools(services)
    rest = walk(client, EXPLORE, limit=5, cursor=body["next_cursor"])
    assert not set(start) & set(rest)
    assert len(rest) == len(set(rest))
    # Documented: the fallback continues newest first below the oldest note already shown.
    assert rest == sorted((n for n in notes if n < min(start)), reverse=True)


def test_first_page_after_expiry_starts_a_new_pool(client, factory: Factory, services):
    a = factory.user()
    notes = [factory.note_row(a, likes=i) for i in range(3)]
    first_page(client)
    expire_explore_pools(services)
    assert sorted(first_page(client)) == sorted(notes)


def test_cursor_is_bound_to_its_topic(client, factory: Factory):
    a = factory.user()
    for i in range(4):
        factory.note_row(a, topic="pets", likes=i)
    body = get_page(client, EXPLORE, topic="pets", limit=2)
    response = client.get(EXPLORE, params={"topic": "food", "cursor": body["next_cursor"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cursor.invalid"


def test_explore_empty(client):
    assert get_page(client, EXPLORE) == {"items": [], "next_cursor": None}


def test_explore_pool_is_shared_through_the_cache(client, factory: Factory, services):
    a = factory.user()
    factory.note_row(a)
    first_page(client)
    key = explore.pool_key(None, explore.pool_version(services.clock.now()))
    blob = services.cache.get(key)
    assert blob is not None
    pool = explore.decode_pool(key, blob)
    assert len(pool.ids) == 1
    # A second process (empty memo) serves the stored copy rather than rebuilding.
    explore.state_of(services).clear()
    factory.note_row(a, likes=99)
    assert len(first_page(client)) == 2  # the new note comes after the pool, not in it
    assert explore.state_of(services).pools.get(key) == pool


# --------------------------------------------------------------------------------- cached pages


def test_edited_and_deleted_notes_leave_cached_pages(client, factory: Factory):
    author = factory.user()
    kept = factory.note(author, title="Stays")
    gone = factory.note(author, title="Goes away")
    edited = factory.note(author, title="Old title")
    titles = {card["id"]: card["title"] for card in get_page(client, EXPLORE)["items"]}
    assert titles == {kept["id"]: "Stays", gone["id"]: "Goes away", edited["id"]: "Old title"}
    assert client.delete(f"/api/v1/notes/{gone['id']}", headers=author.headers).status_code == 204
    response = client.patch(f"/api/v1/notes/{edited['id']}", headers=author.headers, json={"title": "New title"})
    assert response.status_code == 200, response.text
    for viewer in (None, author):
        titles = {card["id"]: card["title"] for card in get_page(client, EXPLORE, viewer)["items"]}
        assert titles == {kept["id"]: "Stays", edited["id"]: "New title"}


def test_liked_by_me_is_per_viewer_on_shared_cards(client, factory: Factory, services):
    author, fan, other = factory.user(), factory.user(), factory.user()
    note = factory.note_row(author, likes=3)
    like(services, fan, note)
    assert get_page(client, EXPLORE)["items"][0]["liked_by_me"] is False
    assert get_page(client, EXPLORE, fan)["items"][0]["liked_by_me"] is True
    assert get_page(client, EXPLORE, other)["items"][0]["liked_by_me"] is False
    assert get_page(client, EXPLORE)["items"][0]["like_count"] == 3
    # Counts move all the time; a logged-in reader gets them live even from a cached card.
    engage(services, note, likes=4)
    assert get_page(client, EXPLORE, other)["items"][0]["like_count"] == 7
    assert get_page(client, EXPLORE, fan)["items"][0]["liked_by_me"] is True


def test_explore_response_matches_schema(client, factory: Factory):
    factory.note(factory.user())
    response = client.get(EXPLORE)
    assert response.headers["content-type"] == "application/json"
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/feeds/explore"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Page_NoteCard_"}  # the same model as every feed
    assert {p["name"] for p in operation["parameters"]} == {"topic", "cursor", "limit"}
    [card] = response.json()["items"]
    assert set(card) == {"id", "kind", "title", "lang", "topic", "author", "cover", "like_count", "liked_by_me",
                         "created_at", "status", "label"}
