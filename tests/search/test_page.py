"""The search page without JavaScript: the top bar's form, results as cards, filters, paging."""

from __future__ import annotations

import re

from fastapi import FastAPI

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
