"""The notifications page: who did what with links, unread highlighting, the badge dropping once
the page is opened, "mark all read", "Load more" pages, and only ever the viewer's own."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.core.services import Services
from redbridge.notifications.models import Notification
from tests.factories import Factory, UserHandle
from tests.web.conftest import World
from tests.web.helpers import browser, count_rows, csrf_of, find, get_ok, post_form, text_of
from tests.web.test_security import assert_clean


def unread(client: TestClient, user: UserHandle) -> int:
    count: int = client.get("/api/v1/notifications/unread-count", headers=user.headers).json()["unread"]
    return count


def badge(html: str) -> str | None:
    badges = {b.text for b in find(html, "span", class_="badge")}
    assert len(badges) <= 1
    return badges.pop() if badges else None


def test_kinds_links_and_unread_highlighting(app: FastAPI, world: World, client: TestClient) -> None:
    note = world.photo_note["id"]
    client.post(f"/api/v1/notes/{note}/like", headers=world.bob.headers)
    client.post("/api/v1/users/alice/follow", headers=world.bob.headers)
    tab = browser(app, world.alice)
    assert badge(get_ok(tab, "/")) == "3"
    html = get_ok(tab, "/notifications")
    assert_clean(html, "/notifications")
    items = find(html, "li", class_="notification")
    assert " ".join(items[0].text.split()).startswith("B Bob started following you (new)")
    texts = [" ".join(find_what.text.split()) for find_what in find(html, "a", class_="notification-what")]
    assert texts == ["started following you", "liked your note", "commented on your note"]
    assert find(html, "a", class_="notification-what", href="/u/bob")
    assert find(html, "a", class_="notification-what", href=f"/n/{note}")
    assert find(html, "a", class_="notification-what", href=f"/n/{note}#c-{world.comment_id}")
    assert [p.text for p in find(html, "p", class_="notification-excerpt")] == ["Looks great"]
    assert len(find(html, "li", class_="is-unread")) == 3  # new on this visit
    assert "ago" in text_of(html)
    # Opening the page read them: the badge is gone in the same response and stays gone.
    assert badge(html) is None
    assert unread(client, world.alice) == 0
    again = get_ok(tab, "/notifications")
    assert not find(again, "li", class_="is-unread")
    assert find(again, "a", class_="bell", href="/notifications")


def test_reply_and_mention_for_bob(app: FastAPI, world: World) -> None:
    html = get_ok(browser(app, world.bob), "/notifications")
    texts = [" ".join(a.text.split()) for a in find(html, "a", class_="notification-what")]
    assert texts == ["replied to your comment", "mentioned you"]
    # Alice's own notifications are not on Bob's page.
    assert "commented on your note" not in text_of(html)


def test_new_notifications_after_opening_and_mark_all_read(app: FastAPI, world: World, client: TestClient,
                                                           services: Services) -> None:
    tab = browser(app, world.alice)
    get_ok(tab, "/notifications")
    client.post(f"/api/v1/notes/{world.photo_note['id']}/collect", headers=world.bob.headers)
    assert unread(client, world.alice) == 1
    home = get_ok(tab, "/")
    assert badge(home) == "1"
    response = post_form(tab, "/notifications/read", {}, csrf_of(home))
    assert response.status_code == 303
    assert response.headers["location"] == "/notifications"
    assert unread(client, world.alice) == 0
    assert badge(get_ok(tab, "/")) is None
    # Bob's stay unread: mark-read is only ever the viewer's own.
    assert unread(client, world.bob) == 2
    assert count_rows(services, Notification, Notification.recipient_id == world.bob.int_id,
                      Notification.read_at.is_(None)) == 2


def test_mark_all_read_needs_csrf_and_login(app: FastAPI, world: World, client: TestClient) -> None:
    tab = browser(app, world.alice)
    for token in (None, "", "0" * 64, world.bob.csrf_token):
        response = post_form(tab, "/notifications/read", {}, token)
        assert response.status_code == 403, token
    assert unread(client, world.alice) == 1
    anonymous = browser(app)
    assert anonymous.get("/notifications").headers["location"] == "/login?next=/notifications"
    assert anonymous.post("/notifications/read").headers["location"] == "/login?next=/notifications"
    assert unread(client, world.alice) == 1


def test_pages_with_load_more_and_a_bad_cursor(app: FastAPI, factory: Factory, client: TestClient) -> None:
    star = factory.user("star")
    fans = [factory.user(f"fan{i}") for i in range(23)]
    for fan in fans:
        client.post("/api/v1/users/star/follow", headers=fan.headers)
    tab = browser(app, star)
    first = get_ok(tab, "/notifications")
    assert len(find(first, "li", class_="notification")) == 20
    assert len(find(first, "li", class_="is-unread")) == 20
    assert unread(client, star) == 0  # everything up to the newest shown, older pages included
    link = next(a for a in find(first, "a") if a.attrs.get("data-partial"))
    fragment = get_ok(tab, link.attrs["data-partial"] or "")
    assert "<html" not in fragment
    actors = [a.attrs["href"] for a in find(fragment, "a", class_="notification-name")]
    assert actors == ["/u/fan2", "/u/fan1", "/u/fan0"]
    second = get_ok(tab, link.attrs["href"] or "")
    assert len(find(second, "li", class_="notification")) == 3
    for cursor in ("%%%", "eyJpIjotMX0", "x" * 3000):
        bad = tab.get("/notifications", params={"cursor": cursor})
        assert bad.status_code == 400, cursor
        assert bad.headers["content-type"].startswith("text/html")
        assert "not valid" in text_of(bad.text)


def test_empty_and_zh(app: FastAPI, factory: Factory, world: World) -> None:
    loner = factory.user("loner")
    html = get_ok(browser(app, loner), "/notifications")
    assert "No notifications yet." in text_of(html)
    assert not find(html, "form", action="/notifications/read")
    zh = get_ok(browser(app, world.alice), "/notifications?lang=zh-Hans")
    assert find(zh, "h1", id="notifications-title")[0].text == "通知"
    assert "评论了你的笔记" in text_of(zh)
    hant = get_ok(browser(app, world.bob), "/notifications?lang=zh-Hant")
    assert "回覆了你的評論" in text_of(hant)
