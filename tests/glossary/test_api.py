"""The word-gloss API (docs/translation.md, "Word glosses"): lookups in both directions, input
checks, the rate limit, the note's visibility and the cache's invalidation on edit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.db import write
from redbridge.core.services import Services
from redbridge.notes import actions as note_actions
from redbridge.notes.models import Note
from redbridge.settings import Settings
from tests.conftest import generous_limits, prepare_schema
from tests.factories import Factory

ZH = {"Accept-Language": "zh-CN"}


def lookup(client: TestClient, text: str, **headers: str) -> dict[str, object]:
    response = client.get("/api/v1/glossary", params={"text": text}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_chinese_word_has_pinyin_with_tone_marks_and_senses(client: TestClient) -> None:
    body = lookup(client, "吃火锅")
    assert [(s["text"], s["lang"]) for s in body["segments"]] == [("吃", "zh"), ("火锅", "zh")]  # type: ignore[index, union-attr]
    hotpot = body["entries"]["火锅"][0]  # type: ignore[index]
    assert (hotpot["pinyin"], hotpot["traditional"], hotpot["senses"]) == ("huǒ guō", "火鍋", ["hotpot"])
    assert "CC-CEDICT" in str(body["credit"])
    assert "CC BY-SA 4.0" in str(body["credit"])


def test_pointer_entries_give_way_to_the_words_own() -> None:
    from redbridge.glossary.queries import gloss_text

    # 吃 has its own entry and the traditional 喫's "variant of 吃[chi1]": only the first is shown.
    assert all("variant of" not in " ".join(e.senses) for e in gloss_text("吃").entries["吃"])


def test_traditional_chinese(client: TestClient) -> None:
    body = lookup(client, "我們去吃火鍋")
    words = [s["text"] for s in body["segments"]]  # type: ignore[index, union-attr]
    assert "火鍋" in words
    assert "我們" in words
    assert body["entries"]["火鍋"][0]["simplified"] == "火锅"  # type: ignore[index]
    assert body["entries"]["我們"][0]["pinyin"] == "wǒ men"  # type: ignore[index]


def test_english_word_has_chinese_entries_common_word_first(client: TestClient) -> None:
    lipstick = lookup(client, "lipstick")["entries"]["lipstick"]  # type: ignore[index]
    assert lipstick[0]["simplified"] == "口红"
    assert lipstick[0]["pinyin"] == "kǒu hóng"
    assert lookup(client, "good")["entries"]["good"][0]["simplified"] == "好"  # type: ignore[index]
    assert len(lipstick) <= 5
    assert all(len(e["senses"]) <= 4 for e in lipstick)
    # Function words are not glossed: their "entries" would be noise.
    assert lookup(client, "the")["entries"] == {}


def test_mixed_text_is_segmented_losslessly(client: TestClient) -> None:
    text = "OMG 这个 lipstick 好好看！3.5元 #美食"
    body = lookup(client, text)
    segments = body["segments"]
    assert "".join(s["text"] for s in segments) == text  # type: ignore[union-attr]
    langs = {s["text"]: s["lang"] for s in segments}  # type: ignore[union-attr]
    assert langs["lipstick"] == "en"
    assert langs["这个"] == "zh"
    assert langs["！3.5"] is None
    assert set(body["entries"]) >= {"lipstick", "这个", "好好", "美食"}  # type: ignore[arg-type]


@pytest.mark.parametrize(("params", "reason"), [
    ({}, "missing"),
    ({"text": ""}, "missing"),
    ({"text": "   "}, "missing"),
    ({"text": "火" * 65}, "too_long"),
    ({"text": "a" * 5000}, None),  # over the query bound itself: FastAPI's own 422
    ({"text": "火\x00锅"}, "characters"),
    ({"text": "火\n锅"}, "characters"),
    ({"text": "abc\u202egnp.exe"}, "characters"),
    ({"text": "\ue000"}, "characters"),  # private use
])
def test_bad_text_is_422_in_the_callers_language(client: TestClient, params: dict[str, str], reason: str | None) -> None:
    response = client.get("/api/v1/glossary", params=params, headers=ZH)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    if reason is not None:
        assert (error["code"], error["fields"]["text"]) == ("glossary.invalid_text", reason)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error  # translated


def test_hostile_but_harmless_text_is_answered_not_500(client: TestClient) -> None:
    body = lookup(client, "<script>alert(1)</script>")
    assert "".join(s["text"] for s in body["segments"]) == "<script>alert(1)</script>"  # type: ignore[union-attr]
    raw = client.get("/api/v1/glossary?text=%ED%A0%80%ff%fe")  # invalid UTF-8 in the query
    assert raw.status_code in (200, 422), raw.text


@pytest.fixture
def limited(settings: Settings) -> Iterator[FastAPI]:
    limits = generous_limits().model_copy(update={"glossary_per_client": (3, 60)})
    app = create_app(settings.model_copy(update={"rate_limits": limits}), SystemClock())
    prepare_schema(app.state.services)
    yield app
    app.state.services.close()


def test_rate_limit_per_address_and_per_account(limited: FastAPI) -> None:
    with TestClient(limited, client=("198.51.100.7", 4000)) as anonymous:
        for _ in range(3):
            assert anonymous.get("/api/v1/glossary", params={"text": "猫"}).status_code == 200
        refused = anonymous.get("/api/v1/glossary", params={"text": "猫"}, headers=ZH)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
        # The note glosses share the budget.
        assert anonymous.get("/api/v1/notes/1/glosses").status_code == 429
        # An account has its own budget, wherever it comes from.
        user = Factory(anonymous, limited.state.services).user()
        assert anonymous.get("/api/v1/glossary", params={"text": "猫"}, headers=user.headers).status_code == 200
    with TestClient(limited, client=("203.0.113.9", 4000)) as other:
        assert other.get("/api/v1/glossary", params={"text": "猫"}).status_code == 200


def test_note_glosses_for_any_reader(client: TestClient, factory: Factory) -> None:
    alice = factory.user()
    note = factory.note(alice, images=0, title="成都火锅", body="今天去吃火锅 #美食\nso spicy")
    response = client.get(f"/api/v1/notes/{note['id']}/glosses")  # anonymous
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["note_id"] == note["id"]
    assert "".join(s["text"] for s in body["title"]) == "成都火锅"
    assert "".join(s["text"] for s in body["body"]) == "今天去吃火锅 #美食\nso spicy"
    assert body["entries"]["火锅"][0]["pinyin"] == "huǒ guō"
    assert "spicy" in body["entries"]
    assert "CC BY-SA 4.0" in body["credit"]


def test_note_glosses_follow_the_notes_visibility(client: TestClient, factory: Factory, services: Services) -> None:
    alice, bob = factory.user(), factory.user()
    note = factory.note(alice, images=0, title="火锅", body="好吃")
    url = f"/api/v1/notes/{note['id']}/glosses"
    assert client.get(url, headers=bob.headers).status_code == 200
    with services.sessions() as session, write(session):
        note_actions.moderate_in_tx(session, int(note["id"]), "removed")
    for headers in ({}, bob.headers):
        hidden = client.get(url, headers={**headers, **ZH})
        assert hidden.status_code == 404, hidden.text
        assert hidden.json()["error"]["code"] == "note.not_found"
    assert client.get(url, headers=alice.headers).status_code == 200  # its author still reads it
    # Blocked either way: hidden as the note is.
    other = factory.note(alice, images=0, title="火锅", body="")
    assert client.post(f"/api/v1/users/{bob.username}/block", headers=alice.headers).status_code in (200, 201, 204)
    assert client.get(f"/api/v1/notes/{other['id']}/glosses", headers=bob.headers).status_code == 404
    for bad in ("0", "nope", "-1", "9" * 40, "%00"):
        assert client.get(f"/api/v1/notes/{bad}/glosses").status_code == 404


def test_note_glosses_are_cached_until_the_note_is_edited(client: TestClient, factory: Factory,
                                                          services: Services) -> None:
    alice = factory.user()
    note = factory.note(alice, images=0, title="火锅", body="好吃")
    url = f"/api/v1/notes/{note['id']}/glosses"
    assert [s["text"] for s in client.get(url).json()["body"]] == ["好吃"]
    # Changed behind the app's back (no announcement): still the cached glosses, so they are cached.
    with services.sessions() as session:
        session.execute(update(Note).where(Note.id == int(note["id"])).values(body="熊猫"))
        session.commit()
    assert [s["text"] for s in client.get(url).json()["body"]] == ["好吃"]
    # A like announces note_changed without content: the glosses stay.
    assert client.post(f"/api/v1/notes/{note['id']}/like", headers=alice.headers).status_code in (200, 201, 204)
    assert [s["text"] for s in client.get(url).json()["body"]] == ["好吃"]
    edited = client.patch(f"/api/v1/notes/{note['id']}", headers=alice.headers, json={"body": "我爱熊猫"})
    assert edited.status_code == 200, edited.text
    body = client.get(url).json()
    assert [s["text"] for s in body["body"]] == ["我", "爱", "熊猫"]
    assert body["entries"]["熊猫"][0]["pinyin"] == "xióng māo"
