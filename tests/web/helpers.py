"""Helpers for page tests: a browser-like client (Accept: text/html, its own cookie jar), HTML
parsing with the standard library, and the CSRF token a page carries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from redbridge.core.services import Services
from tests.factories import PASSWORD, UserHandle

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTMX = {"HX-Request": "true"}


def browser(app: FastAPI, user: UserHandle | None = None, base_url: str = "http://testserver",
            **headers: str) -> TestClient:
    """A client that behaves like a browser tab: asks for HTML, keeps its own cookies, and does
    not follow redirects (tests look at them). ``user``: logged in with that user's session."""
    client = TestClient(app, base_url=base_url, follow_redirects=False, headers={"Accept": HTML, **headers})
    if user is not None:
        client.cookies.set("rb_session", user.token)
    return client


@dataclass
class Tag:
    name: str
    attrs: dict[str, str | None]
    text: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self._open: list[Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Tag(tag, dict(attrs))
        self.tags.append(element)
        if tag not in {"img", "input", "meta", "link", "br", "hr", "source"}:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].name == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data


def parse(html: str) -> list[Tag]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.tags


def find(html: str, element: str, /, **attrs: str) -> list[Tag]:
    """Elements named ``element`` whose attributes include ``attrs`` (``class_`` for class: contains)."""
    found = []
    for tag in parse(html):
        if tag.name != element:
            continue
        ok = True
        for key, value in attrs.items():
            key = key.rstrip("_").replace("_", "-")
            actual = tag.attrs.get(key)
            if key == "class":
                ok = ok and actual is not None and value in actual.split()
            else:
                ok = ok and actual == value
        if ok:
            found.append(tag)
    return found


def text_of(html: str) -> str:
    """The visible text, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no form with a CSRF token"
    return match.group(1)


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match
    return match.group(1)


def get_ok(client: TestClient, url: str, **kwargs: Any) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def post_form(client: TestClient, url: str, data: dict[str, Any], csrf: str | None = None, **kwargs: Any) -> Any:
    return client.post(url, data={**data, **({"csrf_token": csrf} if csrf is not None else {})}, **kwargs)


def signup_in_browser(app: FastAPI, username: str, password: str = PASSWORD, **headers: str) -> TestClient:
    """Sign up through the pages (GET the form for its CSRF pair, POST it); the returned client
    holds the session cookie."""
    client = browser(app, **headers)
    page = get_ok(client, "/signup")
    response = post_form(client, "/signup", {"username": username, "password": password}, csrf_of(page))
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/onboarding"
    return client


def count_rows(services: Services, model: Any, *where: Any) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def note_counts(services: Services, note_id: str) -> tuple[int, int, int]:
    """(likes, collects, comments) as stored on the note row."""
    from redbridge.notes.models import Note

    with services.sessions() as session:
        note = session.get(Note, int(note_id))
        assert note is not None
        return note.like_count, note.collect_count, note.comment_count
