"""Word help on the note page without JavaScript: the toggle link and the ?glosses=1 word list
with its CC-CEDICT credit (docs/translation.md, "Word glosses")."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.web.helpers import browser, find, text_of


def test_chinese_note_offers_word_help_and_lists_words(app: FastAPI, client: TestClient, factory: Factory) -> None:
    alice = factory.user()
    note = factory.note(alice, images=0, title="成都火锅", body="今天去吃火锅 #美食")
    tab = browser(app)
    page = tab.get(f"/n/{note['id']}")
    assert page.status_code == 200
    toggles = find(page.text, "a", **{"class": "word-help-toggle"})
    assert [t.attrs["href"] for t in toggles] == [f"/n/{note['id']}?glosses=1#word-list"]
    assert find(page.text, "div", **{"class": "word-row"}) == []  # no list until asked for
    listed = tab.get(f"/n/{note['id']}?glosses=1")
    assert listed.status_code == 200
    rows = find(listed.text, "div", **{"class": "word-row"})
    words = [r.text.split()[0] for r in rows]
    assert words[:2] == ["成都", "火锅"]
    assert "huǒ guō · hotpot" in text_of(listed.text)
    assert find(listed.text, "a", rel="license")[0].attrs["href"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert "CC-CEDICT" in text_of(listed.text)
    # The JavaScript module is loaded only where word help is offered.
    assert "js/glosses.js" in listed.text


def test_english_note_offers_word_help_to_chinese_readers_only(app: FastAPI, client: TestClient,
                                                                factory: Factory) -> None:
    alice = factory.user()
    note = factory.note(alice, images=0, title="Lipstick haul", body="my favourite lipstick shades")
    assert "word-help-toggle" not in browser(app).get(f"/n/{note['id']}").text
    zh = browser(app, **{"Accept-Language": "zh-CN"})
    listed = zh.get(f"/n/{note['id']}?glosses=1")
    assert find(listed.text, "a", **{"class": "word-help-toggle"})[0].text == "关闭查词"
    assert "口红" in text_of(listed.text)


def test_word_list_of_a_hidden_note_is_404(app: FastAPI, client: TestClient, factory: Factory) -> None:
    alice, bob = factory.user(), factory.user()
    note = factory.note(alice, images=0, title="火锅", body="好吃")
    assert client.post(f"/api/v1/users/{bob.username}/block", headers=alice.headers).status_code in (200, 201, 204)
    assert browser(app, bob).get(f"/n/{note['id']}?glosses=1").status_code == 404
    assert browser(app).get("/n/nope?glosses=1").status_code == 404
    # Hostile values of the switch are ignored, not errors.
    assert browser(app).get(f"/n/{note['id']}?glosses=%00<script>").status_code == 200
