"""Suggestions as you type, trending searches and each account's search history: the API, the
page without JavaScript, and what may never be offered to others (docs/search.md, "Suggestions,
trending, history")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.core.clock import FrozenClock
from redbridge.core.services import Services
from redbridge.search.suggest_keys import key_of, like_prefix, pinyin_input, pinyin_keys, prefix_range
from redbridge.settings import Settings
from tests.conftest import built_app
from tests.factories import Factory, UserHandle
from tests.reads.test_visibility import HELD_TEXT
from tests.search.helpers import search
from tests.web.helpers import browser, csrf_of, find, post_form, text_of


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Uncached reads, so each assertion sees what the searches before it did (the cache has its own test).
    search_settings = settings.search.model_copy(update={"suggest_ttl_s": 0, "trending_ttl_s": 0})
    return settings.model_copy(update={"search": search_settings})


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[FastAPI]:
    with built_app(settings, clock) as application:
        yield application


def suggest(client: TestClient, q: str, **headers: str) -> list[tuple[str, str]]:
    response = client.get("/api/v1/search/suggest", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return [(item["text"], item["kind"]) for item in response.json()["items"]]


def trending(client: TestClient) -> dict[str, int]:
    response = client.get("/api/v1/search/trending")
    assert response.status_code == 200, response.text
    return {item["text"]: item["searchers"] for item in response.json()["items"]}


def history(client: TestClient, user: UserHandle) -> list[str]:
    response = client.get("/api/v1/search/history", headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


def searched_by(client: TestClient, services: Services, q: str, users: list[UserHandle]) -> None:
    for user in users:
        search(client, services, q, user)


# ------------------------------------------------------------------------------ keys


def test_keys_fold_case_width_script_and_spell_pinyin() -> None:
    assert key_of("  Hot\u3000 POT ") == key_of("hot pot") == "hot pot"
    assert key_of("火鍋") == key_of("火锅")
    assert key_of("\x00mapo\x1f") == "mapo"
    assert pinyin_keys("火锅") == ("huoguo", "hg")
    assert pinyin_keys("重庆 food") == ("chongqingfood", "cqf")  # the phrase dictionary's reading
    assert pinyin_keys("boston lobster") == ("", "")  # no Chinese: its key is its spelling
    assert pinyin_input("xi'an") == "xian"
    assert pinyin_input("huo guo") == "huoguo"
    assert pinyin_input("火") is None
    assert pinyin_input("h8") is None
    assert prefix_range("ab") == ("ab", "ac")
    assert prefix_range("a\U0010ffff") == ("a\U0010ffff", None)
    assert like_prefix("50%_a\\") == "50\\%\\_a\\\\%"


# ------------------------------------------------------------------------------ suggestions


def test_tags_are_suggested_by_prefix_pinyin_initials_and_either_script(client: TestClient,
                                                                      factory: Factory) -> None:
    author = factory.user()
    factory.note(author, title="周末", body="和朋友 #火锅 #hotpot")
    factory.note(author, title="又是", body="#火锅")
    for typed in ("火", "火鍋", "huo", "huog", "hg", "HUO GUO"):
        assert ("火锅", "tag") in suggest(client, typed), typed
    assert ("hotpot", "tag") in suggest(client, "hot")
    assert suggest(client, "hb") == []  # not the initials of anything
    assert suggest(client, "") == []
    assert suggest(client, "   ") == []


def test_a_query_is_offered_once_enough_people_found_something_with_it(client: TestClient, factory: Factory,
                                                                      services: Services) -> None:
    factory.note(factory.user(), title="Mapo tofu at home", body="numbing and hot")
    first, second, third = factory.user(), factory.user(), factory.user()
    for _ in range(5):  # one person repeating a query does not make it popular
        search(client, services, "mapo tofu", first)
    searched_by(client, services, "Mapo Tofu", [second])
    assert suggest(client, "mapo") == []  # two searchers: still private (min 3)
    searched_by(client, services, "mapo  tofu", [third])
    response = client.get("/api/v1/search/suggest", params={"q": "MAP"}).json()
    assert response["items"] == [{"text": "mapo tofu", "kind": "query", "count": 3}]
    # A query that found nothing is never counted, however many search it.
    searched_by(client, services, "zzqxv", [first, second, third])
    assert suggest(client, "zzq") == []


def test_what_moderation_would_not_allow_is_never_offered(client: TestClient, factory: Factory,
                                                          services: Services) -> None:
    # A benign note the spam query finds (its words are OR-ed), so the query counts as found.
    factory.note(factory.user(), title="公司福利", body="领取 年终福利 benefits")
    factory.note(factory.user(), title="公司年会", body="抽奖")
    people = [factory.user() for _ in range(5)]
    searched_by(client, services, HELD_TEXT, people)
    searched_by(client, services, "公司", people)
    assert ("公司", "query") in suggest(client, "公")
    assert all(text != HELD_TEXT for text, _kind in suggest(client, "加"))
    assert trending(client) == {"公司": 5}


def test_suggestions_are_cached_for_their_ttl(app: FastAPI, factory: Factory, services: Services,
                                             settings: Settings) -> None:
    services.settings.search.suggest_ttl_s = 600
    client = TestClient(app)
    factory.note(factory.user(), title="Dan dan noodles")
    assert suggest(client, "dan") == []  # now cached for everyone typing "dan"
    searched_by(client, services, "dan dan noodles", [factory.user() for _ in range(3)])
    assert suggest(client, "dan") == []  # the cached answer
    assert suggest(client, "dan d") == [("dan dan noodles", "query")]  # another prefix, read afresh


def test_tags_leave_when_their_last_note_goes(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    deleted = factory.note(author, title="Pottery class", body="#kintsugi")
    assert ("kintsugi", "tag") in suggest(client, "kin")
    assert client.delete(f"/api/v1/notes/{deleted['id']}", headers=author.headers).status_code == 204
    assert suggest(client, "kin") == []
    # A held note's tags are not offered either: nobody else can see the note.
    held = client.post("/api/v1/notes", headers=author.headers,
                       json={"title": HELD_TEXT, "body": "#wabisabi", "media_ids": []})
    assert held.status_code == 201, held.text
    assert held.json()["status"] == "held"
    assert suggest(client, "wabi") == []


def test_bad_input_to_suggest(client: TestClient, factory: Factory, services: Services) -> None:
    factory.note(factory.user(), title="Mapo tofu", body="#mapo")
    too_long = client.get("/api/v1/search/suggest", params={"q": "a" * 201}, headers={"Accept-Language": "zh-CN"})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "search.query_too_long"
    assert "200" in too_long.json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in too_long.json()["error"]["message"])  # in the caller's language
    # LIKE's wildcards are letters like any other: they match nothing here, not everything.
    for hostile in ("%", "_apo", "\\", "' OR 1=1 --", "\x00", "m%"):
        assert suggest(client, hostile) == [], hostile
    assert ("mapo", "tag") in suggest(client, "mapo")  # and the table is as it was
    assert client.get("/api/v1/search/trending", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/search/trending", params={"limit": "x"}).status_code == 422


def test_suggest_is_rate_limited_per_client(settings: Settings, clock: FrozenClock) -> None:
    limited = settings.model_copy(update={"rate_limits": settings.rate_limits.model_copy(
        update={"suggest_per_client": (3, 60)})})
    with built_app(limited, clock) as application, TestClient(application) as client:
        for _ in range(3):
            assert client.get("/api/v1/search/suggest", params={"q": "a"}).status_code == 200
        refused = client.get("/api/v1/search/trending")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0


# ------------------------------------------------------------------------------ trending


def test_trending_counts_distinct_searchers_of_the_last_day(client: TestClient, factory: Factory,
                                                           services: Services, clock: FrozenClock) -> None:
    factory.note(factory.user(), title="Xiaolongbao in Suzhou", body="小笼包")
    factory.note(factory.user(), title="Lobster rolls")
    factory.note(factory.user(), title="Lobster bisque")
    people = [factory.user() for _ in range(6)]
    searched_by(client, services, "小笼包", people)
    searched_by(client, services, "lobster", people[:5])
    searched_by(client, services, "lobster", people[:1] * 3)  # repeats count once
    assert trending(client) == {"小笼包": 6, "lobster": 5}
    assert list(trending(client)) == ["小笼包", "lobster"]  # the most searchers first
    # A next page is the same search, not another one: it counts nobody.
    cursor = search(client, services, "lobster", people[0], limit=1)["next_cursor"]
    assert cursor is not None
    search(client, services, "lobster", people[5], limit=1, cursor=cursor)
    assert trending(client)["lobster"] == 5
    clock.advance(hours=25)
    assert trending(client) == {}
    assert ("小笼包", "query") in suggest(client, "xiao")  # popularity outlives the day


# ------------------------------------------------------------------------------ history


def test_history_is_each_accounts_own(client: TestClient, factory: Factory, services: Services,
                                     clock: FrozenClock) -> None:
    me, other = factory.user(), factory.user()
    for q in ("hotpot", "苏州", "Hotpot"):
        search(client, services, q, me)
        clock.advance(seconds=1)
    assert history(client, me) == ["Hotpot", "苏州"]  # searched again: to the top, as typed this time
    search(client, services, "lobster", other)
    assert history(client, other) == ["lobster"]
    search(client, services, "anonymous searches are nobody's")  # no account: no history
    assert history(client, me) == ["Hotpot", "苏州"]

    entries = client.get("/api/v1/search/history", headers=me.headers).json()["items"]
    mine = entries[0]["id"]
    theirs = client.get("/api/v1/search/history", headers=other.headers).json()["items"][0]["id"]
    # Someone else's entry is not found, as if it did not exist, and stays.
    assert client.delete(f"/api/v1/search/history/{theirs}", headers=me.headers).status_code == 404
    assert history(client, other) == ["lobster"]
    for malformed in ("abc", "0", "-1", "9" * 40):
        assert client.delete(f"/api/v1/search/history/{malformed}", headers=me.headers).status_code == 404
    assert client.delete(f"/api/v1/search/history/{mine}", headers=me.headers).status_code == 204
    assert history(client, me) == ["苏州"]
    assert client.delete("/api/v1/search/history", headers=me.headers).status_code == 204
    assert history(client, me) == []
    assert history(client, other) == ["lobster"]


def test_history_needs_a_login(client: TestClient) -> None:
    for method, url in (("GET", "/api/v1/search/history"), ("DELETE", "/api/v1/search/history"),
                        ("DELETE", "/api/v1/search/history/1")):
        response = client.request(method, url)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["code"]


def test_history_keeps_the_newest(client: TestClient, factory: Factory, services: Services,
                                  clock: FrozenClock) -> None:
    services.settings.search.history_size = 3
    me = factory.user()
    for n in range(5):
        search(client, services, f"query {n}", me)
        clock.advance(seconds=1)
    assert history(client, me) == ["query 4", "query 3", "query 2"]


# ------------------------------------------------------------------------------ the page


def sections(html: str) -> dict[str, Any]:
    return {tag.attrs.get("class") or "": tag for tag in find(html, "section")}


def test_the_page_shows_trending_and_history_and_forgets_without_javascript(
        app: FastAPI, client: TestClient, factory: Factory, services: Services) -> None:
    factory.note(factory.user(), title="Hotpot night", body="#火锅")
    me = factory.user()
    searched_by(client, services, "hotpot", [me, *(factory.user() for _ in range(4))])
    search(client, services, "火锅", me)

    anonymous = browser(app).get("/search").text
    assert "search-trending" in sections(anonymous)
    assert "search-history" not in sections(anonymous)  # nobody's history to show
    assert "hotpot" in text_of(anonymous)
    # Every page's search box gets the suggestion list (filled by a script; a plain form without it).
    assert find(anonymous, "datalist", id="search-suggestions")
    assert any("search-suggest.js" in (s.attrs.get("src") or "") for s in find(anonymous, "script"))

    tab = browser(app, me)
    html = tab.get("/search").text
    listed = [a.attrs["href"] for a in find(html, "a") if (a.attrs.get("href") or "").startswith("/search?q=")]
    assert "/search?q=%E7%81%AB%E9%94%85" in listed  # my 火锅, newest first
    forms = [action for f in find(html, "form") if "/search/history/" in (action := f.attrs.get("action") or "")]
    remove_one = next(a for a in forms if a.endswith("/delete"))
    # Without the CSRF token nothing is forgotten.
    assert post_form(tab, remove_one, {}).status_code == 403
    assert history(client, me) == ["火锅", "hotpot"]
    done = post_form(tab, remove_one, {}, csrf_of(html))
    assert done.status_code == 303
    assert history(client, me) == ["hotpot"]
    html = tab.get("/search").text
    assert post_form(tab, "/search/history/clear", {}, csrf_of(html)).status_code == 303
    assert history(client, me) == []
    assert "Nothing searched yet." in text_of(tab.get("/search").text)
    # Logged out, the forms send to the login page instead of failing.
    anonymous_tab = browser(app)
    token = csrf_of(anonymous_tab.get("/login").text)
    refused = post_form(anonymous_tab, "/search/history/clear", {}, token)
    assert refused.status_code in (303, 401, 403)
