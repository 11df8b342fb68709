"""Explore, following, tag and profile feeds as pages: cards, covers, topic chips, and the
"Load more" link that pages through a feed without JavaScript (and its ?partial=1 fragment)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.web.conftest import World
from tests.web.helpers import browser, csrf_of, find, get_ok, post_form


def card_ids(html: str) -> list[str]:
    return list(re.findall(r'<a class="card-link" href="/n/(\d+)"', html))


def more_links(html: str) -> list[str]:
    """The "Load more" link(s): (href, data-partial)."""
    return [a.attrs["href"] or "" for a in find(html, "a") if "data-partial" in a.attrs]


def walk(tab: TestClient, url: str) -> tuple[list[str], int]:
    """Follow "Load more" links to the end; the note ids seen, in order, and the pages visited."""
    seen: list[str] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        html = get_ok(tab, next_url)
        pages += 1
        seen.extend(card_ids(html))
        more = more_links(html)
        assert len(more) <= 1
        next_url = more[0] if more else None
        assert pages < 20
    return seen, pages


def test_explore_cards(app: FastAPI, world: World, client: TestClient) -> None:
    for tab in (browser(app), browser(app, world.bob)):
        html = get_ok(tab, "/")
        assert set(card_ids(html)) == {world.photo_note["id"], world.text_note["id"]}
        covers = [img for img in find(html, "img") if (img.attrs.get("src") or "").startswith("/media/")]
        assert len(covers) == 1
        cover = covers[0]
        assert cover.attrs["loading"] == "lazy"
        assert int(cover.attrs["width"] or 0) > 0
        assert int(cover.attrs["height"] or 0) > 0
        assert cover.attrs["alt"] == "Hotpot night"
        assert find(html, "span", class_="card-text")  # the text note's styled card
        assert find(html, "a", class_="byline", href="/u/alice")
        assert find(html, "a", href="/", **{"aria-current": "page"})
        chips = [a.attrs["href"] for a in find(html, "a", class_="chip")]
        assert chips[0] == "/"
        assert "/?topic=food" in chips
        assert len(chips) == 11
    # A like shows on the reader's cards (count and state).
    assert client.post(f"/api/v1/notes/{world.photo_note['id']}/like", headers=world.bob.headers).status_code == 200
    html = get_ok(browser(app, world.bob), "/")
    liked = find(html, "span", class_="card-likes")
    assert any("is-on" in (s.attrs.get("class") or "") and "1" in s.text for s in liked)


def test_topic_chips_filter(app: FastAPI, factory: Factory, client: TestClient) -> None:
    author = factory.user("topical")
    food = factory.note_row(author, title="Noodles", topic="food")
    factory.note_row(author, title="Beach", topic="travel")
    html = get_ok(browser(app), "/?topic=food")
    assert card_ids(html) == [str(food)]
    assert find(html, "a", class_="chip", href="/?topic=food")[0].attrs.get("aria-current") == "page"
    assert browser(app).get("/?topic=nonsense").status_code == 404
    bad_cursor = browser(app).get("/?cursor=!!!")
    assert bad_cursor.status_code == 400
    assert bad_cursor.headers["content-type"].startswith("text/html")


def test_load_more_pages_through_explore_without_js(app: FastAPI, factory: Factory, client: TestClient) -> None:
    author = factory.user("prolific")
    made = {str(factory.note_row(author, title=f"note {i}", topic="food" if i % 2 else "travel")) for i in range(45)}
    for tab in (browser(app), browser(app, factory.user("reader"))):
        seen, pages = walk(tab, "/")
        assert pages == 3
        assert len(seen) == len(set(seen)) == 45
        assert set(seen) == made
    seen, _pages = walk(browser(app), "/?topic=food")
    assert len(seen) == 22
    assert set(seen) <= made


def test_partial_returns_the_cards_fragment(app: FastAPI, factory: Factory, client: TestClient) -> None:
    author = factory.user("fragments")
    for i in range(25):
        factory.note_row(author, title=f"n{i}")
    html = get_ok(browser(app), "/")
    link = next(a for a in find(html, "a") if "data-partial" in a.attrs)
    partial_url = link.attrs["data-partial"] or ""
    assert partial_url.endswith("&partial=1")
    assert f"{link.attrs['href']}&partial=1" == partial_url
    fragment = get_ok(browser(app), partial_url)
    assert "<html" not in fragment
    assert "<nav class=\"tabbar\"" not in fragment
    assert fragment.lstrip().startswith('<div class="masonry">')
    assert len(card_ids(fragment)) == 5
    assert not set(card_ids(fragment)) & set(card_ids(html))
    assert more_links(fragment) == []  # the end of the feed


def test_following_feed(app: FastAPI, world: World, factory: Factory, client: TestClient) -> None:
    carol = factory.user("carol")
    tab = browser(app, carol)
    empty = get_ok(tab, "/following")
    assert card_ids(empty) == []
    assert "Follow someone" in empty
    page = get_ok(tab, "/u/alice")
    post_form(tab, "/u/alice/follow", {"on": "1"}, csrf_of(page))
    html = get_ok(tab, "/following")
    assert card_ids(html) == [world.photo_note["id"]]
    assert find(html, "a", href="/following", **{"aria-current": "page"})


def test_tag_page(app: FastAPI, world: World) -> None:
    html = get_ok(browser(app), "/t/hotpot")
    assert card_ids(html) == [world.photo_note["id"]]
    assert "#hotpot" in html
    assert card_ids(get_ok(browser(app), "/t/%E5%A4%A9%E6%B0%94")) == [world.text_note["id"]]  # 天气
    redirect = browser(app).get("/t/HotPot")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "/t/hotpot"
    assert browser(app).get("/t/%23%23").status_code == 404
    assert card_ids(get_ok(browser(app), "/t/unused")) == []


def test_profile_page(app: FastAPI, world: World, client: TestClient) -> None:
    client.patch("/api/v1/auth/me", headers=world.alice.headers, json={"bio": "Chengdu food diary\n成都美食"})
    html = get_ok(browser(app), "/u/alice")
    assert find(html, "h1", id="profile-name")[0].text == "Alice"
    assert find(html, "p", class_="profile-bio")[0].text == "Chengdu food diary\n成都美食"
    assert card_ids(html) == [world.photo_note["id"]]
    assert not find(html, "form", action="/u/alice/follow")  # anonymous: no follow form
    own = get_ok(browser(app, world.alice), "/u/alice")
    assert find(own, "a", class_="me-link", **{"aria-current": "page"})
    assert browser(app).get("/u/nobody").status_code == 404
    assert browser(app).get("/u/" + "x" * 40).status_code == 404
    # Blocked either way: the profile shows, the notes do not.
    assert client.post("/api/v1/users/bob/block", headers=world.alice.headers).status_code == 204
    blocked = get_ok(browser(app, world.bob), "/u/alice")
    assert card_ids(blocked) == []
    assert "cannot see this account" in blocked
