"""Single-line fields lose bidi controls and invisible characters; pages isolate user text."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from redbridge.text.clean import BIDI_CONTROLS, INVISIBLE, clean_line
from tests.factories import Factory
from tests.web.helpers import browser, get_ok

SPOOF = "abc\u202egnp.exe"  # reads as "abcexe.png"
CODER = "\U0001f469\u200d\U0001f4bb"  # 👩‍💻: woman + ZWJ + laptop
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (SPOOF, "abcgnp.exe"),
        ("\u2066Mei\u2069 \u200eLin\u200f", "Mei Lin"),
        ("\u061cabc\u202a\u202b\u202c\u202d", "abc"),
        ("zero\u200bwidth\u2060join\ufeff", "zerowidthjoin"),
        ("a\u200db", "ab"),  # ZWJ between letters: dropped
        (f"{CODER} coder", f"{CODER} coder"),  # ZWJ inside an emoji sequence: kept
        (FAMILY, FAMILY),
        ("\u2764\ufe0f\u200d\U0001f525", "\u2764\ufe0f\u200d\U0001f525"),  # ❤️‍🔥
        ("\U0001f44b\U0001f3fd\u200d x", "\U0001f44b\U0001f3fd x"),  # dangling ZWJ after an emoji
        ("\u200d\U0001f4bb", "\U0001f4bb"),
        ("\U0001f469\u200b\u200d\U0001f4bb", CODER),  # a ZWSP cannot hide a joiner's neighbour
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian ZWNJ between letters: part of the spelling
        ("क्\u200dष", "क्\u200dष"),
        ("one\ntwo\t\tthree  \u2028four ", "one two three four"),
        ("\x00nul\x07\x7f\x85", "\x00nul"),  # NUL is left for validators to refuse
        ("  \u200b\u202e ", ""),
    ],
)
def test_clean_line(raw: str, clean: str) -> None:
    assert clean_line(raw) == clean


@given(st.text())
def test_clean_line_never_leaves_controls(text: str) -> None:
    cleaned = clean_line(text)
    assert not (set(cleaned) & (BIDI_CONTROLS | (INVISIBLE - {"\u200c", "\u200d"})))
    assert "\n" not in cleaned
    assert cleaned == cleaned.strip()
    assert clean_line(cleaned) == cleaned


def test_note_title_and_place_are_cleaned_on_create_and_edit(client: TestClient, factory: Factory) -> None:
    # Proves: the API stores the cleaned value (the old code stored "abc\u202egnp.exe").
    user = factory.user()
    note = factory.note(user, title=SPOOF, place={"name": "Pa\u200bris\u202e"})
    assert note["title"] == "abcgnp.exe"
    assert note["place"]["name"] == "Paris"
    edited = client.patch(f"/api/v1/notes/{note['id']}", headers=user.headers,
                          json={"title": f"\u2067{CODER} day\u2069"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == f"{CODER} day"
    assert client.get(f"/api/v1/notes/{note['id']}").json()["title"] == f"{CODER} day"


def test_a_title_of_nothing_but_invisible_characters_is_refused(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    response = client.post("/api/v1/notes", headers=user.headers, json={"title": "\u200b\u202e\u200d"})
    assert response.status_code == 422
    assert "title" in response.json()["error"]["fields"]


def test_collection_name_is_cleaned(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    created = client.post("/api/v1/collections", headers=user.headers, json={"name": f"Eats\u202e{CODER}"})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == f"Eats{CODER}"
    renamed = client.patch(f"/api/v1/collections/{created.json()['id']}", headers=user.headers,
                           json={"name": "\u2066Trips\u200b"})
    assert renamed.json()["name"] == "Trips"
    blank = client.post("/api/v1/collections", headers=user.headers, json={"name": "\u200b\ufeff"})
    assert blank.status_code == 422
    assert "name" in blank.json()["error"]["fields"]


def test_display_name_is_cleaned_on_signup_and_edit(client: TestClient, factory: Factory) -> None:
    user = factory.user(display_name="\u202eMei\u200b")
    me = client.get("/api/v1/auth/me", headers=user.headers).json()
    assert me["display_name"] == "Mei"
    edited = client.patch("/api/v1/auth/me", headers=user.headers,
                          json={"display_name": "Admin\u200b\u200d", "region": "Chéng\u202edu"})
    assert edited.json()["display_name"] == "Admin"
    assert edited.json()["region"] == "Chéngdu"
    blank = client.patch("/api/v1/auth/me", headers=user.headers, json={"display_name": "\u200b"})
    assert blank.json()["display_name"] == user.username  # blank falls back to the username


def isolated(html: str, text: str) -> bool:
    """``text`` appears inside a <bdi> or an element with dir="auto"."""
    escaped = re.escape(text)
    return bool(re.search(rf"<bdi>\s*{escaped}\s*</bdi>", html)
                or re.search(rf'<[a-z0-9]+\b[^>]*\bdir="auto"[^>]*>\s*{escaped}\s*<', html))


def test_pages_isolate_user_names_and_titles(app: FastAPI, factory: Factory) -> None:
    # Proves: right-to-left names cannot reorder the text around them: names and titles are
    # rendered inside <bdi> or an element with dir="auto".
    author = factory.user(display_name="مريم")
    reader = factory.user(display_name="Reader")
    note = factory.note(author, title="עברית title", place={"name": "القاهرة"})
    factory.client.post(f"/api/v1/users/{author.username}/follow", headers=reader.headers)
    tab = browser(app, reader)
    note_page = get_ok(tab, f"/n/{note['id']}")
    assert isolated(note_page, "עברית title")
    assert isolated(note_page, "مريم")
    assert isolated(note_page, "القاهرة")
    profile = get_ok(tab, f"/u/{author.username}")
    assert isolated(profile, "مريم")
    assert isolated(profile, "עברית title")  # the note card
    followers = get_ok(tab, f"/u/{author.username}/followers")
    assert isolated(followers, "Reader")
