"""The profile's tabs as pages: header facts and counts, notes, collections (private ones only for
the owner), one collection's feed, followers / following with follow buttons, blocked accounts,
and the settings menu on one's own profile."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.accounts.models import Follow
from redbridge.core.services import Services
from tests.factories import Factory, UserHandle
from tests.web.conftest import World
from tests.web.helpers import HTMX, browser, count_rows, csrf_of, find, get_ok, post_form, text_of
from tests.web.test_feed_pages import card_ids
from tests.web.test_security import assert_clean


def make_collection(client: TestClient, user: UserHandle, name: str, public: bool = True) -> str:
    response = client.post("/api/v1/collections", headers=user.headers, json={"name": name, "is_public": public})
    assert response.status_code == 201, response.text
    collection_id: str = response.json()["id"]
    return collection_id


def collect(client: TestClient, user: UserHandle, note_id: str, collection_id: str) -> None:
    response = client.post(f"/api/v1/notes/{note_id}/collect", headers=user.headers,
                           json={"collection_id": collection_id})
    assert response.status_code == 200, response.text


def people(html: str) -> list[str]:
    """Usernames of a followers / following list, in order."""
    return [(a.attrs["href"] or "").removeprefix("/u/") for a in find(html, "a", class_="person-link")]


def test_profile_header_facts_counts_and_tabs(app: FastAPI, world: World, client: TestClient) -> None:
    client.patch("/api/v1/auth/me", headers=world.alice.headers,
                 json={"bio": "成都美食日记，每天一顿火锅", "region": "Chengdu", "read_langs": ["en", "zh"]})
    client.post("/api/v1/users/alice/follow", headers=world.bob.headers)
    client.post(f"/api/v1/notes/{world.photo_note['id']}/like", headers=world.bob.headers)
    html = get_ok(browser(app), "/u/alice")
    bio = find(html, "p", class_="profile-bio")[0]
    assert bio.attrs["lang"] == "zh"  # Chinese bio on an English page
    assert "lang" not in find(get_ok(browser(app), "/u/alice?lang=zh-Hans"), "p", class_="profile-bio")[0].attrs
    facts = find(html, "ul", class_="profile-facts")[0].text
    assert "English" in facts
    assert "中文" in facts
    assert "Chengdu" in facts
    counts = find(html, "ul", class_="profile-counts")[0]
    assert " ".join(counts.text.split()) == "0 Following 1 Followers 1 Likes & collects"
    assert find(html, "a", href="/u/alice/followers")
    assert find(html, "a", href="/u/alice/following")
    tabs = find(html, "nav", class_="profile-tabs")[0].text
    assert "Notes" in tabs
    assert "Collections" in tabs
    assert find(html, "a", href="/u/alice", **{"aria-current": "page"})
    assert card_ids(html) == [world.photo_note["id"]]
    # The e2e hooks: cards are links to /n/{id}.
    assert find(html, "a", class_="card-link", href=f"/n/{world.photo_note['id']}")


def test_settings_menu_only_on_ones_own_profile(app: FastAPI, world: World) -> None:
    own = get_ok(browser(app, world.alice), "/u/alice")
    assert find(own, "a", href="/settings/profile")
    assert find(own, "a", href="/settings/sessions")
    menu = find(own, "nav", class_="settings-menu")[0]
    assert "Log out" in menu.text
    assert not find(own, "form", action="/u/alice/follow")
    others = get_ok(browser(app, world.bob), "/u/alice")
    assert not find(others, "nav", class_="settings-menu")
    assert not find(others, "a", href="/settings/profile")
    assert find(others, "form", action="/u/alice/follow")
    zh = get_ok(browser(app, world.alice), "/u/alice?lang=zh-Hans")
    assert "编辑资料" in text_of(zh)
    assert "登录设备" in text_of(zh)


def test_collections_tab(app: FastAPI, world: World, client: TestClient) -> None:
    public = make_collection(client, world.bob, "Chengdu eats")
    private = make_collection(client, world.bob, "Secret spots", public=False)
    collect(client, world.bob, world.photo_note["id"], public)
    for viewer in (None, world.alice):
        html = get_ok(browser(app, viewer), "/u/bob/collections")
        tiles = find(html, "li", class_="collection-tile")
        assert [" ".join(t.text.split()) for t in tiles] == ["Chengdu eats 1 note"]
        assert find(html, "a", href=f"/u/bob/collections/{public}")
        assert not find(html, "a", href=f"/u/bob/collections/{private}")
        cover = find(html, "li", class_="collection-tile")[0]
        assert cover
        imgs = [i for i in find(html, "img") if i.attrs.get("src", "").startswith("/media/")]
        assert imgs
        assert all(i.attrs.get("alt") is not None for i in imgs)
        assert find(html, "a", href="/u/bob/collections", **{"aria-current": "page"})
    own = get_ok(browser(app, world.bob), "/u/bob/collections")
    names = [" ".join(t.text.split()) for t in find(own, "li", class_="collection-tile")]
    assert names == ["Secret spots 0 notes · Private", "Chengdu eats 1 note"]
    assert "No collections yet." in text_of(get_ok(browser(app), "/u/alice/collections"))
    zh = get_ok(browser(app, world.bob), "/u/bob/collections?lang=zh-Hans")
    assert "私密" in text_of(zh)
    assert "1 篇笔记" in text_of(zh)


def test_collection_page(app: FastAPI, world: World, client: TestClient) -> None:
    public = make_collection(client, world.bob, "Chengdu eats")
    collect(client, world.bob, world.photo_note["id"], public)
    for viewer in (None, world.alice, world.bob):
        html = get_ok(browser(app, viewer), f"/u/bob/collections/{public}")
        assert find(html, "h2", class_="section-title")[0].text == "Chengdu eats"
        assert card_ids(html) == [world.photo_note["id"]]
        assert_clean(html, "collection")
    # The same id under another name, a malformed id, one that does not exist: not found.
    for url in (f"/u/alice/collections/{public}", "/u/bob/collections/abc", "/u/bob/collections/1",
                f"/u/nobody/collections/{public}"):
        assert browser(app, world.bob).get(url).status_code == 404, url


def test_private_collection_is_the_owners_alone(app: FastAPI, world: World, client: TestClient) -> None:
    private = make_collection(client, world.bob, "Secret spots", public=False)
    collect(client, world.bob, world.photo_note["id"], private)
    assert card_ids(get_ok(browser(app, world.bob), f"/u/bob/collections/{private}")) == [world.photo_note["id"]]
    for viewer in (None, world.alice):
        response = browser(app, viewer).get(f"/u/bob/collections/{private}")
        assert response.status_code == 404
        assert "Secret spots" not in response.text
        assert "Secret spots" not in browser(app, viewer).get(f"/u/bob/collections/{private}?partial=1").text


def test_collection_feed_pages_and_bad_cursor(app: FastAPI, world: World, client: TestClient,
                                              factory: Factory) -> None:
    public = make_collection(client, world.bob, "Lots")
    notes = [factory.note(world.alice, images=0, title=f"n{i}")["id"] for i in range(23)]
    for note_id in notes:
        collect(client, world.bob, note_id, public)
    tab = browser(app)
    first = get_ok(tab, f"/u/bob/collections/{public}")
    assert card_ids(first) == list(reversed(notes))[:20]
    assert find(first, "nav", class_="more")
    link = next(a for a in find(first, "a") if a.attrs.get("data-partial"))
    second = get_ok(tab, link.attrs["href"] or "")
    assert card_ids(second) == list(reversed(notes))[20:]
    fragment = get_ok(tab, link.attrs["data-partial"] or "")
    assert "<html" not in fragment
    assert card_ids(fragment) == list(reversed(notes))[20:]
    bad = tab.get(f"/u/bob/collections/{public}?cursor=%%%garbage")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/html")
    assert "not valid" in text_of(bad.text)


def test_followers_and_following_with_follow_buttons(app: FastAPI, world: World, client: TestClient,
                                                     factory: Factory, services: Services) -> None:
    carol = factory.user("carol", display_name="Carol")
    for follower in (world.bob, carol):
        assert client.post("/api/v1/users/alice/follow", headers=follower.headers).status_code == 200
    assert client.post("/api/v1/users/carol/follow", headers=world.bob.headers).status_code == 200
    html = get_ok(browser(app, world.bob), "/u/alice/followers")
    assert people(html) == ["carol", "bob"]  # newest first
    # Bob follows Carol already: her button says Unfollow; his own row has no button.
    carol_form = find(html, "form", action="/u/carol/follow")[0]
    assert "Unfollow" in carol_form.text
    assert not find(html, "form", action="/u/bob/follow")
    assert find(html, "a", href="/u/alice/followers", **{"aria-current": "page"})
    following = get_ok(browser(app), "/u/bob/following")
    assert people(following) == ["carol", "alice"]
    assert not find(following, "form", action="/u/carol/follow")  # anonymous: no buttons
    # Follow from the list (HTMX swaps the button; plain goes back to the list).
    tab = browser(app, carol)
    page = get_ok(tab, "/u/alice/followers")
    response = post_form(tab, "/u/bob/follow", {"on": "1", "next": "/u/alice/followers"}, csrf_of(page),
                         headers=HTMX)
    assert response.status_code == 200
    assert "Unfollow" in response.text
    assert count_rows(services, Follow, Follow.follower_id == carol.int_id, Follow.followee_id == world.bob.int_id)
    factory.user("dora")
    assert "No followers yet." in text_of(get_ok(browser(app), "/u/dora/followers"))
    assert "Not following anyone yet." in text_of(get_ok(browser(app), "/u/dora/following"))


def test_people_lists_page_with_load_more(app: FastAPI, factory: Factory, client: TestClient) -> None:
    factory.user("star")
    fans = [factory.user(f"fan{i}") for i in range(22)]
    for fan in fans:
        client.post("/api/v1/users/star/follow", headers=fan.headers)
    tab = browser(app)
    first = get_ok(tab, "/u/star/followers")
    assert len(find(first, "li", class_="person")) == 20
    link = next(a for a in find(first, "a") if a.attrs.get("data-partial"))
    fragment = get_ok(tab, link.attrs["data-partial"] or "")
    assert "<html" not in fragment
    assert people(fragment) == ["fan1", "fan0"]
    assert tab.get("/u/star/followers?cursor=not-a-cursor").status_code == 400


def test_blocked_profile_tabs_show_a_message_and_nothing_else(app: FastAPI, world: World,
                                                              client: TestClient) -> None:
    public = make_collection(client, world.alice, "Mine")
    collect(client, world.alice, world.text_note["id"], public)
    client.post("/api/v1/users/alice/follow", headers=world.bob.headers)
    assert client.post("/api/v1/users/bob/block", headers=world.alice.headers).status_code == 204
    tab = browser(app, world.bob)
    for url in ("/u/alice", "/u/alice/collections", "/u/alice/followers", "/u/alice/following"):
        html = get_ok(tab, url)
        assert "cannot see this account" in text_of(html), url
        assert not card_ids(html), url
        assert not find(html, "li", class_="collection-tile"), url
        assert not find(html, "li", class_="person"), url
        assert not find(html, "form", action="/u/alice/follow"), url
    assert tab.get(f"/u/alice/collections/{public}").status_code == 404
    # Other readers still see everything.
    assert find(get_ok(browser(app), "/u/alice/collections"), "li", class_="collection-tile")


def test_unknown_people(app: FastAPI) -> None:
    tab = browser(app)
    for url in ("/u/nobody/followers", "/u/nobody/following", "/u/nobody/collections", "/u/" + "x" * 40 + "/following"):
        response = tab.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/html")


def test_new_pages_are_csp_clean_accessible_and_forms_carry_csrf(app: FastAPI, world: World,
                                                                  client: TestClient) -> None:
    public = make_collection(client, world.alice, "Mine")
    collect(client, world.alice, world.photo_note["id"], public)
    client.post("/api/v1/users/alice/follow", headers=world.bob.headers)
    profile_urls = ["/u/alice/collections", f"/u/alice/collections/{public}", "/u/alice/followers",
                    "/u/alice/following", "/u/bob/followers"]
    own_urls = ["/settings/profile", "/settings/sessions", "/notifications", "/u/alice"]
    for viewer, urls in ((None, profile_urls), (world.alice, profile_urls + own_urls), (world.bob, own_urls)):
        tab = browser(app, viewer)
        for url in urls:
            response = tab.get(url)
            assert response.status_code == 200, (url, response.status_code)
            assert "script-src 'self'" in response.headers["content-security-policy"]
            assert response.headers["cache-control"] == "private, no-cache"
            html = response.text
            assert_clean(html, url)
            for img in find(html, "img"):
                assert "alt" in img.attrs, (url, img)
            for form in re.findall(r"<form\b[^>]*method=\"post\".*?</form>", html, flags=re.S):
                assert 'name="csrf_token" value="' in form, (url, form[:200])
