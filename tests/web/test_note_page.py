"""The note page: carousel / video / text rendering, and its forms — like, collect (into a
collection), comment, reply, delete — as plain POSTs (redirect back) and as HTMX (fragment)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.core.services import Services
from redbridge.engagement.models import Collect, Collection, Comment
from tests.factories import Factory
from tests.web.conftest import World
from tests.web.helpers import (
    HTMX,
    browser,
    count_rows,
    csrf_of,
    find,
    get_ok,
    note_counts,
    post_form,
    text_of,
)


def test_note_page_renders(app: FastAPI, world: World) -> None:
    note = world.photo_note
    for tab in (browser(app), browser(app, world.bob)):
        html = get_ok(tab, f"/n/{note['id']}")
        slides = find(html, "li", class_="slide")
        assert len(slides) == 2
        images = [img for img in find(html, "img") if (img.attrs.get("src") or "").startswith("/media/")]
        assert len(images) == 2
        assert all(img.attrs.get("alt") == "Hotpot night" for img in images)  # no alt given: the title
        assert all(img.attrs.get("width") and img.attrs.get("height") for img in images)
        assert "loading" not in images[0].attrs
        assert images[1].attrs.get("loading") == "lazy"
        assert "data-carousel" in find(html, "div", class_="carousel")[0].attrs
        body = find(html, "div", class_="note-body")[0]
        assert "Spicy #hotpot with @bob" in body.text
        assert "second line" in body.text
        assert find(html, "a", href="/t/hotpot", class_="tag")
        assert find(html, "a", href="/u/bob", class_="mention")
        assert find(html, "a", href="/t/chengdu")  # a tag from the tag field, not in the body
        assert "Chengdu" in text_of(html)
        assert find(html, "time")
        assert find(html, "input", id="share-url")[0].attrs["value"].endswith(f"/n/{note['id']}")
        assert "Looks great" in html
        assert "Thanks!" in html
        assert find(html, "li", id=f"c-{world.reply_id}")


def test_text_and_video_notes(app: FastAPI, world: World, services: Services) -> None:
    html = get_ok(browser(app), f"/n/{world.text_note['id']}")
    assert find(html, "div", class_="text-cover")
    assert not find(html, "div", class_="carousel")
    from redbridge.media.models import Media

    video_id = 0
    with services.sessions() as session:
        now = services.clock.now()
        from redbridge.core import ids

        video_id = ids.new_id(now)
        session.add(Media(id=video_id, owner_id=world.alice.int_id, kind="video", status="ready",
                          content_type="video/mp4", key="v/clip.mp4", poster_key="p/clip.webp", thumb_key="t/clip.webp",
                          width=720, height=1280, thumb_width=360, thumb_height=640, created_at=now))
        session.commit()
    client = browser(app)
    made = client.post("/api/v1/notes", headers=world.alice.headers,
                       json={"title": "A clip", "media_ids": [str(video_id)]})
    assert made.status_code == 201, made.text
    html = get_ok(client, f"/n/{made.json()['id']}")
    video = find(html, "video")[0]
    assert video.attrs["poster"] == "/media/p/clip.webp"
    assert video.attrs["src"] == "/media/v/clip.mp4"
    assert "controls" in video.attrs
    assert "playsinline" in video.attrs
    explore = get_ok(client, "/")
    assert 'src="/media/t/clip.webp"' in explore
    assert "video-badge" in explore


def test_note_404s(app: FastAPI, world: World, client: TestClient) -> None:
    tab = browser(app)
    for url in ("/n/abc", "/n/0", "/n/99999999999999999999", "/n/123456"):
        response = tab.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.text
    # Blocked: the note is a 404 for the blocked reader, as in the API.
    assert client.post("/api/v1/users/bob/block", headers=world.alice.headers).status_code == 204
    assert browser(app, world.bob).get(f"/n/{world.photo_note['id']}").status_code == 404


def test_like_and_unlike(app: FastAPI, world: World, services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app, world.bob)
    page = get_ok(tab, f"/n/{note_id}")
    like_form = find(page, "form", action=f"/n/{note_id}/like")[0]
    assert like_form.attrs["hx-post"] == f"/n/{note_id}/like"
    response = post_form(tab, f"/n/{note_id}/like", {"on": "1"}, csrf_of(page))
    assert response.status_code == 303
    assert response.headers["location"] == f"/n/{note_id}#actions"
    assert note_counts(services, note_id)[0] == 1
    post_form(tab, f"/n/{note_id}/like", {"on": "1"}, csrf_of(page))  # idempotent
    assert note_counts(services, note_id)[0] == 1
    after = get_ok(tab, f"/n/{note_id}")
    button = find(after, "button", class_="action")[0]
    assert button.attrs["aria-pressed"] == "true"
    assert find(after, "span", class_="action-count")[0].text == "1"
    post_form(tab, f"/n/{note_id}/like", {"on": "0"}, csrf_of(page))
    assert note_counts(services, note_id)[0] == 0
    # With HTMX (token in the header, as hx-headers sends it): the actions fragment comes back.
    response = tab.post(f"/n/{note_id}/like", data={"on": "1"}, headers={**HTMX, "X-CSRF-Token": csrf_of(page)})
    assert response.status_code == 200
    fragment = response.text
    assert fragment.lstrip().startswith('<section id="actions"')
    assert "<html" not in fragment
    assert find(fragment, "span", class_="action-count")[0].text == "1"
    assert note_counts(services, note_id)[0] == 1


def test_forms_without_or_with_a_wrong_csrf_token_write_nothing(app: FastAPI, world: World,
                                                                 services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app, world.bob)
    before = (note_counts(services, note_id), count_rows(services, Comment), count_rows(services, Collection))
    attempts = [
        (f"/n/{note_id}/like", {"on": "1"}),
        (f"/n/{note_id}/collect", {"new_collection": "Saved"}),
        (f"/n/{note_id}/comments", {"body": "forged"}),
        (f"/n/{note_id}/comments/{world.comment_id}/delete", {}),
        ("/u/alice/follow", {"on": "1"}),
    ]
    for url, data in attempts:
        for token in (None, "", "0" * 64, csrf_of(get_ok(browser(app, world.alice), "/"))):  # alice's is not bob's
            response = post_form(tab, url, data, token)
            assert response.status_code == 403, (url, token)
            assert "reload the page" in text_of(response.text)
        htmx = tab.post(url, data=data, headers={**HTMX, "X-CSRF-Token": "0" * 64})
        assert htmx.status_code == 403
    after = (note_counts(services, note_id), count_rows(services, Comment), count_rows(services, Collection))
    assert after == before
    from redbridge.accounts.models import Follow

    assert count_rows(services, Follow) == 0


def test_anonymous_posts_go_to_login(app: FastAPI, world: World, services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app)
    page = get_ok(tab, f"/n/{note_id}")
    assert not find(page, "form", action=f"/n/{note_id}/like")
    assert find(page, "a", href=f"/login?next=/n/{note_id}")
    response = tab.post(f"/n/{note_id}/like", data={"on": "1"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/n/{note_id}"
    htmx = tab.post(f"/n/{note_id}/like", data={"on": "1"}, headers=HTMX)
    assert htmx.headers["HX-Redirect"] == f"/login?next=/n/{note_id}"
    assert note_counts(services, note_id)[0] == 0
    assert tab.get("/following").headers["location"] == "/login?next=/following"


def test_collect_into_a_new_and_an_existing_collection(app: FastAPI, world: World, services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app, world.bob)
    token = csrf_of(get_ok(tab, f"/n/{note_id}"))
    response = post_form(tab, f"/n/{note_id}/collect", {"collection_id": "", "new_collection": "Chengdu eats"}, token)
    assert response.status_code == 303
    assert note_counts(services, note_id)[1] == 1
    assert count_rows(services, Collection, Collection.name == "Chengdu eats", Collection.note_count == 1) == 1
    page = get_ok(tab, f"/n/{note_id}")
    options = find(page, "option")
    assert [o.text for o in options] == ["No collection", "Chengdu eats"]
    assert find(page, "summary", class_="action")[0].attrs["class"].endswith("is-on")
    # Move it out of the collection, then remove the collect.
    post_form(tab, f"/n/{note_id}/collect", {"collection_id": ""}, token)
    assert count_rows(services, Collection, Collection.note_count == 0) == 1
    assert note_counts(services, note_id)[1] == 1
    existing = options[1].attrs["value"]
    assert existing
    post_form(tab, f"/n/{note_id}/collect", {"collection_id": existing}, token)
    assert count_rows(services, Collect, Collect.collection_id == int(existing)) == 1
    post_form(tab, f"/n/{note_id}/collect", {"on": "0"}, token)
    assert note_counts(services, note_id)[1] == 0
    assert count_rows(services, Collect) == 0


def test_collect_errors(app: FastAPI, world: World, client: TestClient, services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app, world.bob)
    token = csrf_of(get_ok(tab, f"/n/{note_id}"))
    post_form(tab, f"/n/{note_id}/collect", {"new_collection": "Mine"}, token)
    taken = post_form(tab, f"/n/{note_id}/collect", {"new_collection": "Mine"}, token)
    assert taken.status_code == 422
    assert "You already have a collection with this name." in text_of(taken.text)
    assert find(taken.text, "input", id="collect-new")[0].attrs["value"] == "Mine"
    assert "open" in find(taken.text, "details", class_="collect")[0].attrs
    too_long = post_form(tab, f"/n/{note_id}/collect", {"new_collection": "x" * 41}, token)
    assert too_long.status_code == 422
    # Someone else's collection, or a malformed id: not found (no IDOR), nothing collected twice.
    theirs = client.post("/api/v1/collections", headers=world.alice.headers, json={"name": "Alice's"})
    assert post_form(tab, f"/n/{note_id}/collect", {"collection_id": theirs.json()["id"]}, token).status_code == 404
    assert post_form(tab, f"/n/{note_id}/collect", {"collection_id": "nope"}, token).status_code == 404
    assert count_rows(services, Collect, Collect.collection_id == int(theirs.json()["id"])) == 0
    assert post_form(tab, "/n/123/collect", {}, token).status_code == 404


def test_comment_reply_delete(app: FastAPI, world: World, services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app, world.bob)
    token = csrf_of(get_ok(tab, f"/n/{note_id}"))
    before = note_counts(services, note_id)[2]
    response = post_form(tab, f"/n/{note_id}/comments", {"body": "Where is this place?"}, token)
    assert response.status_code == 303
    anchor = response.headers["location"]
    assert re.fullmatch(rf"/n/{note_id}#c-\d+", anchor)
    assert note_counts(services, note_id)[2] == before + 1
    page = get_ok(tab, f"/n/{note_id}")
    assert find(page, "li", id=anchor.split("#")[1])
    # A reply, through HTMX: the comment section comes back with it.
    reply = tab.post(f"/n/{note_id}/comments", data={"body": "Replying here", "parent_id": world.comment_id},
                     headers={**HTMX, "X-CSRF-Token": token})
    assert reply.status_code == 200
    assert reply.text.lstrip().startswith('<section id="comments"')
    assert "Replying here" in reply.text
    assert note_counts(services, note_id)[2] == before + 2
    # Delete my own comment; not Alice's reply (403), which stays.
    mine = anchor.split("#c-")[1]
    assert find(page, "form", action=f"/n/{note_id}/comments/{mine}/delete")
    assert not find(page, "form", action=f"/n/{note_id}/comments/{world.reply_id}/delete")
    assert post_form(tab, f"/n/{note_id}/comments/{mine}/delete", {}, token).status_code == 303
    forbidden = post_form(tab, f"/n/{note_id}/comments/{world.reply_id}/delete", {}, token)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("text/html")
    assert count_rows(services, Comment, Comment.id == int(world.reply_id)) == 1
    assert note_counts(services, note_id)[2] == before + 1
    assert post_form(tab, f"/n/{note_id}/comments/xyz/delete", {}, token).status_code == 404


def test_note_author_may_delete_any_comment_on_their_note(app: FastAPI, world: World, services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app, world.alice)
    page = get_ok(tab, f"/n/{note_id}")
    assert find(page, "form", action=f"/n/{note_id}/comments/{world.comment_id}/delete")
    assert post_form(tab, f"/n/{note_id}/comments/{world.comment_id}/delete", {}, csrf_of(page)).status_code == 303
    assert count_rows(services, Comment) == 0  # the reply went with its comment


def test_comment_validation_keeps_the_text(app: FastAPI, world: World, services: Services) -> None:
    note_id = world.photo_note["id"]
    tab = browser(app, world.bob)
    token = csrf_of(get_ok(tab, f"/n/{note_id}"))
    count = count_rows(services, Comment)
    empty = post_form(tab, f"/n/{note_id}/comments", {"body": "   "}, token)
    assert empty.status_code == 422
    assert find(empty.text, "textarea", id="comment-body")[0].attrs.get("aria-invalid") == "true"
    assert "This is too short." in text_of(empty.text) or "This field is required." in text_of(empty.text)
    long = "a" * 501
    too_long = post_form(tab, f"/n/{note_id}/comments", {"body": long}, token)
    assert too_long.status_code == 422
    assert long in too_long.text
    reply = post_form(tab, f"/n/{note_id}/comments", {"body": "", "parent_id": world.comment_id}, token)
    assert reply.status_code == 422
    assert "open" in find(reply.text, "details", class_="reply-toggle")[0].attrs
    assert post_form(tab, f"/n/{note_id}/comments", {"body": "hi", "parent_id": "bad"}, token).status_code == 404
    assert post_form(tab, f"/n/{note_id}/comments", {"body": "hi", "parent_id": "123"}, token).status_code == 404
    assert count_rows(services, Comment) == count
    htmx = tab.post(f"/n/{note_id}/comments", data={"body": ""}, headers={**HTMX, "X-CSRF-Token": token})
    assert htmx.status_code == 422
    assert htmx.text.lstrip().startswith('<section id="comments"')


def test_comment_rate_limit(app: FastAPI, world: World, services: Services) -> None:
    services.settings.rate_limits.comment_per_account = (1, 600)
    note_id = world.photo_note["id"]
    tab = browser(app, world.bob)
    token = csrf_of(get_ok(tab, f"/n/{note_id}"))
    assert post_form(tab, f"/n/{note_id}/comments", {"body": "once"}, token).status_code == 303
    limited = post_form(tab, f"/n/{note_id}/comments", {"body": "again"}, token)
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert limited.headers["content-type"].startswith("text/html")


def test_reply_thread_page(app: FastAPI, world: World, client: TestClient) -> None:
    note_id = world.photo_note["id"]
    for i in range(3):
        client.post(f"/api/v1/notes/{note_id}/comments", headers=world.bob.headers,
                    json={"body": f"more {i}", "parent_id": world.comment_id})
    page = get_ok(browser(app), f"/n/{note_id}")
    more = find(page, "a", href=f"/n/{note_id}/c/{world.comment_id}")
    assert more
    assert "4" in more[0].text
    thread = get_ok(browser(app), f"/n/{note_id}/c/{world.comment_id}")
    assert [c.text for c in find(thread, "p", class_="comment-body")] == ["Thanks!", "more 0", "more 1", "more 2"]
    assert browser(app).get(f"/n/{world.text_note['id']}/c/{world.comment_id}").status_code == 404
    assert browser(app).get(f"/n/{note_id}/c/nope").status_code == 404


def test_follow_from_note_and_profile(app: FastAPI, world: World, factory: Factory, services: Services) -> None:
    carol = factory.user("carol")
    tab = browser(app, carol)
    page = get_ok(tab, f"/n/{world.photo_note['id']}")
    form = find(page, "form", action="/u/alice/follow")[0]
    assert form.attrs["hx-post"] == "/u/alice/follow"
    response = post_form(tab, "/u/alice/follow", {"on": "1", "next": f"/n/{world.photo_note['id']}"}, csrf_of(page))
    assert response.status_code == 303
    assert response.headers["location"] == f"/n/{world.photo_note['id']}"
    profile = get_ok(tab, "/u/alice")
    assert "Unfollow" in text_of(profile)
    assert find(profile, "li")  # counts
    followers = next(li.text for li in find(profile, "li") if "Followers" in li.text)
    assert followers.split()[0] == "1"
    htmx = tab.post("/u/alice/follow", data={"on": "0", "next": "https://evil.example"},
                    headers={**HTMX, "X-CSRF-Token": csrf_of(page)})
    assert htmx.status_code == 200
    assert htmx.text.lstrip().startswith('<form class="follow-form"')
    assert "Follow" in htmx.text
    assert 'value="/u/alice"' in htmx.text
    from redbridge.accounts.models import Follow

    assert count_rows(services, Follow) == 0
    assert post_form(tab, "/u/nobody/follow", {"on": "1"}, csrf_of(page)).status_code == 404
    own = browser(app, world.alice)
    assert not find(get_ok(own, "/u/alice"), "form", action="/u/alice/follow")
    assert post_form(own, "/u/alice/follow", {"on": "1"}, csrf_of(get_ok(own, "/"))).status_code == 422
