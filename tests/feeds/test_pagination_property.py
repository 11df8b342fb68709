"""Property: scrolling a feed to its end while notes are written between pages never skips a note
that existed when the scroll started, and never returns a note twice.

Hypothesis reuses one app per test (the fixtures are function-scoped), so every example starts
by deleting all notes and, for explore, by moving the clock into a fresh pool window.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redbridge.feeds import explore
from tests.factories import Factory, UserHandle
from tests.feeds.helpers import EXPLORE, FOLLOWING, delete_all_notes, engage, get_page, page_ids

PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MAX_PAGES = 400


@pytest.fixture
def people(client, factory: Factory) -> tuple[UserHandle, list[UserHandle]]:
    """A viewer who follows the first three of four authors."""
    viewer = factory.user()
    authors = [factory.user() for _ in range(4)]
    for author in authors[:3]:
        response = client.post(f"/api/v1/users/{author.username}/follow", headers=viewer.headers)
        assert response.status_code == 200
    return viewer, authors


def scroll(client, url: str, user: UserHandle | None, limit: int, between: Any, **params: Any) -> list[int]:
    seen: list[int] = []
    cursor = None
    for step in range(MAX_PAGES):
        body = get_page(client, url, user, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        seen.extend(page_ids(body))
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        between(step)
    raise AssertionError("feed did not end")


@PROPERTY
@given(
    initial=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 600)), max_size=20),
    inserts=st.lists(st.lists(st.integers(0, 3), max_size=3), max_size=10),
    limit=st.integers(1, 6),
)
def test_following_feed_never_skips_or_repeats(client, factory: Factory, services, clock, people,
                                               initial: list[tuple[int, int]], inserts: list[list[int]],
                                               limit: int):
    viewer, authors = people
    delete_all_notes(services)
    author_of: dict[int, int] = {}
    for who, minutes in initial:
        author_of[factory.note_row(authors[who], age=timedelta(minutes=minutes))] = who
    at_start = {note for note, who in author_of.items() if who < 3}

    def between(step: int) -> None:
        for who in inserts[step] if step < len(inserts) else ():
            author_of[factory.note_row(authors[who])] = who
        clock.advance(seconds=7)

    seen = scroll(client, FOLLOWING, viewer, limit, between)
    assert len(seen) == len(set(seen)), "a note was returned twice"
    assert at_start <= set(seen), "a note was skipped"
    assert all(author_of[note] < 3 for note in seen), "a note by someone not followed"
    assert seen == sorted(seen, reverse=True)


NEW_NOTE = st.tuples(
    st.integers(0, 3),  # author
    st.sampled_from(["pets", "food", None]),
    st.sampled_from(["en", "zh", "mixed"]),
    st.integers(0, 200),  # age in hours
    st.integers(0, 60),  # likes
    st.integers(0, 30),  # collects
)
ENGAGEMENT = st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.integers(0, 20))


@PROPERTY
@given(
    initial=st.lists(NEW_NOTE, max_size=25),
    steps=st.lists(st.tuples(st.lists(NEW_NOTE, max_size=2), st.lists(ENGAGEMENT, max_size=2), st.booleans()),
                   max_size=10),
    limit=st.integers(1, 6),
    pool_size=st.sampled_from([3, 10, 1000]),
    as_viewer=st.booleans(),
    topic=st.sampled_from([None, "pets"]),
)
def test_explore_feed_never_skips_or_repeats(client, factory: Factory, services, clock, people, monkeypatch,
                                             initial: list[tuple[Any, ...]], steps: list[tuple[Any, ...]],
                                             limit: int, pool_size: int, as_viewer: bool, topic: str | None):
    viewer, authors = people
    monkeypatch.setattr(explore, "POOL_SIZE", pool_size)
    delete_all_notes(services)
    clock.advance(seconds=explore.POOL_WINDOW_S)  # a pool window no earlier example used
    topic_of: dict[int, str | None] = {}

    def insert(spec: tuple[Any, ...]) -> None:
        who, note_topic, lang, hours, likes, collects = spec
        note = factory.note_row(authors[who], topic=note_topic, lang=lang, age=timedelta(hours=hours),
                                likes=likes, collects=collects)
        topic_of[note] = note_topic

    for spec in initial:
        insert(spec)
    at_start = {note for note, t in topic_of.items() if topic is None or t == topic}

    def between(step: int) -> None:
        if step >= len(steps):
            return
        new_notes, engagement, next_window = steps[step]
        for spec in new_notes:
            insert(spec)
        notes = sorted(topic_of)
        for pick, likes, collects in engagement:
            if notes:
                engage(services, notes[pick % len(notes)], likes=likes, collects=collects)
        if next_window:
            clock.advance(seconds=explore.POOL_WINDOW_S)  # later pages must keep their own pool

    params = {"topic": topic} if topic else {}
    seen = scroll(client, EXPLORE, viewer if as_viewer else None, limit, between, **params)
    assert len(seen) == len(set(seen)), "a note was returned twice"
    assert at_start <= set(seen), "a note was skipped"
    assert all(topic is None or topic_of[note] == topic for note in seen)
