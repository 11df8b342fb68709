"""A note's translations are in the index (docs/search.md, "Translations in the index"): a
community translation or a stored machine translation lets a query in the other language find the
note by keywords, with the dictionary off so that nothing else could cross the language line; an
edit that makes them stale takes them out again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from redbridge.core.services import Services
from redbridge.settings import Settings
from redbridge.translation.cache import CachedTranslation, cache_key
from redbridge.translations import actions as translation_actions
from tests.factories import Factory
from tests.search.helpers import ids, search


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"search": settings.search.model_copy(update={"expand_queries": False})})


def test_a_community_translation_finds_the_note_in_the_other_language(client: TestClient, factory: Factory,
                                                                      services: Services) -> None:
    author, translator = factory.user(), factory.user()
    note = factory.note(author, images=0, title="成都火锅", body="麻辣锅底，太好吃了。")
    assert ids(search(client, services, "spicy broth")) == []  # no English word, no dictionary
    posted = client.post(f"/api/v1/notes/{note['id']}/translations", headers=translator.headers,
                         json={"to": "en", "title": "Chengdu hotpot", "body": "A spicy broth, so good."})
    assert posted.status_code == 201, posted.text
    assert ids(search(client, services, "spicy broth")) == [note["id"]]
    assert ids(search(client, services, "火锅")) == [note["id"]]  # its own words as before
    # The author rewrites the note: the translation translates words that are gone.
    edited = client.patch(f"/api/v1/notes/{note['id']}", headers=author.headers,
                          json={"title": "重庆小面", "body": "辣！"})
    assert edited.status_code == 200, edited.text
    assert ids(search(client, services, "spicy broth")) == []
    # Deleted, it leaves the index as well (after being current again, in the translator's new words).
    again = client.post(f"/api/v1/notes/{note['id']}/translations", headers=translator.headers,
                        json={"to": "en", "title": "Chongqing noodles", "body": "Hot!"})
    assert again.status_code == 201, again.text
    assert ids(search(client, services, "chongqing noodles")) == [note["id"]]
    gone = client.delete(f"/api/v1/translations/{again.json()['id']}", headers=translator.headers)
    assert gone.status_code == 204, gone.text
    assert ids(search(client, services, "chongqing noodles")) == []


def test_a_stored_machine_translation_of_the_current_text_is_indexed(client: TestClient, factory: Factory,
                                                                     services: Services) -> None:
    author = factory.user()
    note = factory.note(author, images=0, title="苏州小笼包", body="汤汁很多。")
    now = datetime.now(UTC)
    with services.sessions() as session:
        # As the translate job stores an engine's answer: under the note's subject.
        key = cache_key("zh", "en", "fake", "苏州小笼包")
        translation_actions.store(session, key, CachedTranslation("Suzhou soup dumplings", "fake"),
                                  f"note:{note['id']}", now)
        # A row of text the note no longer has (an edit's old one) is not the note's any more.
        stale = cache_key("zh", "en", "fake", "上海生煎")
        translation_actions.store(session, stale, CachedTranslation("Shanghai fried buns", "fake"),
                                  f"note:{note['id']}", now)
    assert ids(search(client, services, "soup dumplings")) == [note["id"]]
    assert ids(search(client, services, "fried buns")) == []
