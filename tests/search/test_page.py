"""The search page without JavaScript: the top bar's form, results as cards, filters, paging."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.core.services import Services
from tests.factories import Factory
from tests.search.helpers import indexed
from tests.web.helpers import browser, find


def card_ids(html: str) -> list[str]:
    return list(re.findall(r'<a class="card-link" href="/n/(\d+)"', html))


def test_the_top_bar_search_box_is_a_get_form(app: FastAPI) -> None:
    html = browser(app).get("/").text
    form = next(f for f in find(html, "form") if f.attrs.get("action") == "/search")
    assert (form.attrs.get("method") or "").lower() == "get"
    assert any(i.attrs.get("name") == "q" for i in find(html, "input"))
    assert "coming soon" not in html


def test_results_as_cards_for_anyone(app: FastAPI, factory: Factory, services: Services) -> None:
    author = factory.user()
    note = factory.note(author, title="苏州小笼包", body="汤汁很多")
    factory.note(author, title="Boston lobster rolls")
    indexed(services)
    tab = browser(app)
    response = tab.get("/search", params={"q": "蘇州"})
    assert response.status_code == 200
    assert card_ids(response.text) == [note["id"]]
    assert 'value="蘇州"' in response.text  # the box keeps what was typed
    for who in (author,):
        assert card_ids(browser(app, who).get("/search", params={"q": "小笼包"}).text) == [note["id"]]


def test_filters_and_load_more_work_as_links(app: FastAPI, factory: Factory, services: Services) -> None:
    author = factory.user()
    made = [factory.note(author, images=0, title=f"green tea {n}")["id"] for n in range(3)]
    image = factory.note(author, title="green tea latte")["id"]
    indexed(services)
    tab = browser(app)
    assert card_ids(tab.get("/search", params={"q": "tea", "type": "image"}).text) == [image]
    seen: list[str] = []
    url: str | None = "/search?q=tea&sort=newest"
    pages = 0
    while url is not None and pages < 10:
        html = tab.get(url).text
        seen += card_ids(html)
        more = [a.attrs["href"] for a in find(html, "a") if "data-partial" in a.attrs]
        url = more[0].replace("&amp;", "&") if more else None
        pages += 1
    assert seen[:4] == [image, *reversed(made)]
    assert len(seen) == len(set(seen))


def test_empty_long_and_odd_queries_render(app: FastAPI, factory: Factory, services: Services) -> None:
    tab = browser(app)
    for params in ({}, {"q": ""}, {"q": "🦞"}, {"q": 'AND OR ( " *'}, {"q": "tea", "sort": "bogus", "type": "x"}):
        assert tab.get("/search", params=params).status_code == 200, params
    long = tab.get("/search", params={"q": "x" * 5000})
    assert long.status_code == 200
    assert "at most" in long.text


def test_people_and_tags_tabs(app: FastAPI, factory: Factory, services: Services) -> None:
    reader = factory.user()
    cook = factory.user(username="dumpling_cook")
    factory.note(cook, title="pleated by hand", body="#dumplingday")
    indexed(services)
    tab = browser(app, reader)
    notes = tab.get("/search", params={"q": "dumpling"}).text
    links = {a.text.strip(): a.attrs["href"].replace("&amp;", "&") for a in find(notes, "a")
             if (a.attrs.get("href") or "").startswith("/search?")}
    assert links["People"] == "/search?q=dumpling&tab=users"
    people = tab.get(links["People"]).text
    assert 'href="/u/dumpling_cook"' in people
    assert any(f.attrs.get("action") == "/u/dumpling_cook/follow" for f in find(people, "form"))  # follow from here
    tags = tab.get(links["Tags"]).text
    assert 'href="/t/dumplingday"' in tags
    zh = browser(app, **{"Accept-Language": "zh-CN"}).get("/search", params={"q": "dumpling", "tab": "tags"}).text
    assert "#dumplingday" in zh
    assert "搜索结果" in zh


def test_time_scope_and_place_filters_on_the_page(app: FastAPI, client: TestClient, factory: Factory,
                                                  services: Services) -> None:
    reader, friend = factory.user(), factory.user()
    near = factory.note(friend, title="night market", place={"name": "Taipei", "lat": 25.03, "lng": 121.56})
    far = factory.note(factory.user(), title="night market abroad", place={"name": "Boston", "lat": 42.36, "lng": -71.06})
    indexed(services)
    anonymous = browser(app)
    assert set(card_ids(anonymous.get("/search", params={"q": "market", "time": "day"}).text)) == {near["id"], far["id"]}
    assert card_ids(anonymous.get("/search", params={"q": "market", "place": "taipei"}).text) == [near["id"]]
    unknown = anonymous.get("/search", params={"q": "market", "place": "Atlantis"})
    assert unknown.status_code == 200
    assert "Atlantis" in unknown.text
    assert card_ids(unknown.text) == []
    # "People I follow" needs a login: said on the page, not an error page.
    needs_login = anonymous.get("/search", params={"q": "market", "scope": "following"})
    assert needs_login.status_code == 200
    assert "Log in to search the people you follow." in needs_login.text
    mine = browser(app, reader)
    assert card_ids(mine.get("/search", params={"q": "market", "scope": "following"}).text) == []
    assert client.post(f"/api/v1/users/{friend.username}/follow", headers=reader.headers).status_code in (200, 204)
    assert card_ids(mine.get("/search", params={"q": "market", "scope": "following"}).text) == [near["id"]]
    # Unknown filter values from a stale link are dropped, not errors.
    assert set(card_ids(anonymous.get("/search", params={"q": "market", "time": "epoch", "scope": "x",
                                                         "within_km": "9"}).text)) == {near["id"], far["id"]}
