"""Bad cursors, bad limits and oversize input on every feed: 400 / 422 envelopes, never a 500."""

from __future__ import annotations

import base64

import pytest

from tests.factories import Factory
from tests.feeds.helpers import EXPLORE, FOLLOWING, MY_COLLECTS, collection_url, make_collection, raw_cursor

FEEDS = ["explore", "following", "user", "collection", "me_collects"]

BAD_CURSORS = [
    "!!!not base64!!!",
    "e30",  # base64 of {} (no position)
    base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
    raw_cursor([1, 2, 3]),
    raw_cursor("a string"),
    raw_cursor(42),
    raw_cursor(None),
    raw_cursor({"b": -1}),
    raw_cursor({"b": 10**30}),
    raw_cursor({"b": 2**63}),
    raw_cursor({"b": "123"}),
    raw_cursor({"b": 1.5}),
    raw_cursor({"b": True}),
    raw_cursor({"b": None}),
    "A" * 5000,
]

EXPLORE_ONLY_BAD = [
    raw_cursor({"t": "", "v": 10**12, "o": 0, "a": "0" * 16}),  # a pool from the future
    raw_cursor({"t": "", "v": 1, "o": 10**6, "a": "0" * 16}),  # offset beyond any pool
    raw_cursor({"t": "", "v": 1, "o": -3, "a": "0" * 16}),
    raw_cursor({"t": "", "o": 3, "a": "0" * 16}),  # offset without a pool
    raw_cursor({"t": "", "v": 1, "o": 0, "a": "not-a-digest"}),
    raw_cursor({"t": "", "v": 1, "o": 0, "a": 7}),
    raw_cursor({"t": "", "v": 1, "o": 0}),
    raw_cursor({"t": "food", "b": 5, "a": "0" * 16}),  # another channel's cursor
    raw_cursor({"t": "", "b": 5, "m": -1, "a": "0" * 16}),
    raw_cursor({"t": "", "b": 5, "m": 10**40, "a": "0" * 16}),
]


@pytest.fixture
def feed_urls(factory: Factory, services) -> tuple[dict[str, str], dict[str, str]]:
    viewer = factory.user()
    collection = make_collection(services, viewer)
    urls = {
        "explore": EXPLORE,
        "following": FOLLOWING,
        "user": f"/api/v1/users/{viewer.username}/notes",
        "collection": collection_url(collection),
        "me_collects": MY_COLLECTS,
    }
    return urls, viewer.headers


# One app per feed rather than per case: building an app dominates the cost of these checks.
@pytest.mark.parametrize("feed", FEEDS)
def test_bad_cursor_400(client, feed_urls, feed: str):
    urls, headers = feed_urls
    for cursor in BAD_CURSORS:
        response = client.get(urls[feed], params={"cursor": cursor}, headers=headers)
        assert response.status_code == 400, (cursor, response.text)
        body = response.json()
        assert body["error"]["code"] == "cursor.invalid"
        assert body["error"]["fields"] == {"cursor": "invalid"}


def test_bad_explore_cursor_400(client, factory: Factory):
    factory.note_row(factory.user())
    for cursor in EXPLORE_ONLY_BAD:
        response = client.get(EXPLORE, params={"cursor": cursor})
        assert response.status_code == 400, (cursor, response.text)
        assert response.json()["error"]["code"] == "cursor.invalid"


def test_bad_cursor_message_is_translated(client, feed_urls):
    urls, headers = feed_urls
    response = client.get(urls["explore"], params={"cursor": "!!", "lang": "zh-Hans"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("feed", FEEDS)
def test_limit_out_of_range_422(client, feed_urls, feed: str):
    urls, headers = feed_urls
    for limit in ("0", "51", "-1", "abc", "1e3", str(10**20)):
        response = client.get(urls[feed], params={"limit": limit}, headers=headers)
        assert response.status_code == 422, (limit, response.text)
        body = response.json()
        assert body["error"]["code"] == "validation_failed"
        assert "limit" in body["error"]["fields"]


def test_empty_cursor_is_first_page(client, feed_urls):
    urls, headers = feed_urls
    for url in urls.values():
        response = client.get(url, params={"cursor": ""}, headers=headers)
        assert response.status_code == 200, url
        assert response.json() == {"items": [], "next_cursor": None}


def test_unknown_topic_422(client):
    response = client.get(EXPLORE, params={"topic": "x" * 1000})
    assert response.status_code == 422
    assert "topic" in response.json()["error"]["fields"]


def test_oversize_username_404(client):
    assert client.get("/api/v1/users/" + "a" * 5000 + "/notes").status_code == 404
