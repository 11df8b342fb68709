"""Page-wide security properties, checked over every page for anonymous and logged-in readers:
the CSP header, no inline scripts / event handlers / style attributes (the CSP would block them),
alt text on every image, and user text escaped (XSS payloads shown as text)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.web.conftest import World
from tests.web.helpers import browser, find, get_ok, parse

XSS = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>')


def page_urls(world: World, logged_in: bool) -> list[str]:
    note = world.photo_note["id"]
    common = [
        "/", "/?topic=food", "/t/hotpot", f"/n/{note}", f"/n/{world.text_note['id']}", f"/n/{note}/c/{world.comment_id}",
        "/u/alice", "/u/bob", "/no-such-page", f"/n/{note}999",
    ]
    return [*common, "/following", "/onboarding"] if logged_in else [*common, "/login", "/signup"]


def assert_clean(html: str, url: str) -> None:
    """No script runs but our own files: every <script> has a src on our origin; no on* handler,
    style attribute, javascript: URL or <style> block."""
    for tag in parse(html):
        if tag.name == "script":
            src = tag.attrs.get("src") or ""
            assert src.startswith("/static/"), (url, tag)
        assert tag.name != "style", url
        for name, value in tag.attrs.items():
            assert not name.startswith("on"), (url, tag)
            assert name != "style", (url, tag)
            assert not (value or "").strip().lower().startswith("javascript:"), (url, tag)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), url
    # The same by regex, over the markup with text and attribute values blanked out (an escaped
    # payload inside alt="..." is text, not an attribute).
    markup = re.sub(r"\"[^\"]*\"|'[^']*'", '""', re.sub(r">[^<]*<", "><", html))
    assert not re.search(r"\son[a-z]+\s*=", markup), url


def test_every_page_is_csp_clean_and_accessible(app: FastAPI, world: World) -> None:
    for logged_in in (False, True):
        tab = browser(app, world.alice if logged_in else None)
        for url in page_urls(world, logged_in):
            response = tab.get(url)
            assert response.status_code in (200, 404), (url, response.status_code)
            assert response.headers["content-type"].startswith("text/html"), url
            csp = response.headers["content-security-policy"]
            assert "default-src 'self'" in csp
            assert "script-src 'self'" in csp
            assert "style-src 'self'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "private, no-cache"
            html = response.text
            assert_clean(html, url)
            assert re.search(r'<html lang="(en|zh-Hans|zh-Hant)">', html), url
            for img in find(html, "img"):
                assert "alt" in img.attrs, (url, img)
            # Every form that changes something carries a CSRF token.
            for form in re.findall(r"<form\b[^>]*method=\"post\".*?</form>", html, flags=re.S):
                assert 'name="csrf_token" value="' in form, (url, form[:200])
            # The viewer shows in the navigation, and HTMX / fetch get the session's token.
            assert ('action="/logout"' in html) is logged_in, url
            if logged_in:
                assert 'name="csrf-token"' in html, url
                assert "hx-headers=" in html, url
            assert bool(find(html, "a", class_="me-link", href="/u/alice")) is logged_in, url


def test_unread_badge(app: FastAPI, world: World, client: TestClient) -> None:
    unread = client.get("/api/v1/notifications/unread-count", headers=world.alice.headers).json()["unread"]
    assert unread >= 1  # Bob commented on Alice's note
    html = get_ok(browser(app, world.alice), "/")
    badges = [b.text for b in find(html, "span", class_="badge")]
    assert badges
    assert set(badges) == {str(unread)}
    assert f"{unread} unread" in html
    assert client.post("/api/v1/notifications/read", headers=world.alice.headers).status_code == 200
    assert not find(get_ok(browser(app, world.alice), "/"), "span", class_="badge")


def test_xss_payloads_are_shown_as_text(app: FastAPI, client: TestClient, factory: Factory) -> None:
    evil = factory.user("mallory")
    for payload in XSS:
        note = factory.note(evil, images=1, title=payload[:40], body=f"{payload} #tag {payload}")
        made = client.post(f"/api/v1/notes/{note['id']}/comments", headers=evil.headers, json={"body": payload})
        assert made.status_code == 201
        assert client.patch("/api/v1/auth/me", headers=evil.headers,
                            json={"bio": payload, "display_name": payload[:40]}).status_code == 200
        for tab in (browser(app), browser(app, evil)):
            for url in (f"/n/{note['id']}", "/u/mallory", "/", "/t/tag"):
                html = get_ok(tab, url)
                assert_clean(html, url)
                assert "<script>alert" not in html, url
                assert "<img src=x" not in html, url
                assert not [img for img in find(html, "img") if img.attrs.get("src") == "x"], url
            # The payload is there, as text: in the title, the body, the comment, the bio.
            note_html = get_ok(tab, f"/n/{note['id']}")
            assert find(note_html, "h1", id="note-title")[0].text == payload[:40]
            assert payload in find(note_html, "div", class_="note-body")[0].text
            assert [c for c in find(note_html, "p", class_="comment-body") if c.text == payload]
            profile_html = get_ok(tab, "/u/mallory")
            assert find(profile_html, "p", class_="profile-bio")[0].text == payload
            assert find(profile_html, "h1", id="profile-name")[0].text == payload[:40]
