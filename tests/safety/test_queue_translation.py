"""A queue item shows its content's machine translation into the moderator's language: through
the API's item view and on the item page, pending while the job runs, never for content already
in the moderator's language, and never a reader's translation (that is not evidence)."""

from __future__ import annotations

from tests.safety.helpers import find_item, report, staff
from tests.translation.fakes import serve
from tests.translations.conftest import MakeSite, chat, make_site  # noqa: F401 - the fixture
from tests.translations.test_api import ZH_BODY, note
from tests.web.helpers import browser, find, get_ok, text_of


def test_the_item_view_carries_the_translation_into_the_moderators_language(make_site: MakeSite) -> None:  # noqa: F811 - the imported fixture
    with serve("chat") as server:
        site = make_site(engines=[chat(server.url)], lifespan=False, jobs_mode="embedded")
        author, reporter, translator = site.factory.user(), site.factory.user(), site.factory.user()
        moderator = staff(site.factory, site.services, "moderator")
        zh_moderator = staff(site.factory, site.services, "moderator", ui_lang="zh-Hans")
        note_id = note(site, author)
        english = note(site, author, title="Night market", body="The dumplings were great.")
        # A reader's translation exists: the moderator still gets the engines' (prefer machine).
        r = site.client.post(f"/api/v1/notes/{note_id}/translations", headers=translator.headers,
                             json={"to": "en", "title": "Hotpot", "body": "Let's go eat hotpot in Chengdu!"})
        assert r.status_code == 201, r.text
        for target in (note_id, english):
            report(site.client, reporter, "note", target)
        item = find_item(site.client, moderator, note_id)
        assert item is not None
        assert item["translation"] is None  # the list does not translate: one item's view does
        url = f"/api/v1/moderation/queue/{item['id']}"
        first = site.client.get(url, headers=moderator.headers).json()
        assert first["translation"]["status"] == "pending"
        assert site.services.queue.run_pending() == 1
        done = site.client.get(url, headers=moderator.headers).json()["translation"]
        assert done["status"] == "translated"
        assert done["engine"] == "openai-chat:qwen-test@v1"
        assert done["body"]
        # Already in a Chinese moderator's language: nothing to translate.
        assert site.client.get(url, headers=zh_moderator.headers).json()["translation"] is None
        # The English note: for the Chinese moderator, translated; for the English one, nothing.
        other = find_item(site.client, moderator, english)
        assert other is not None
        other_url = f"/api/v1/moderation/queue/{other['id']}"
        assert site.client.get(other_url, headers=moderator.headers).json()["translation"] is None
        assert site.client.get(other_url, headers=zh_moderator.headers).json()["translation"]["status"] == "pending"


def test_the_item_page_shows_it_under_the_content(make_site: MakeSite) -> None:  # noqa: F811 - the imported fixture
    with serve("chat") as server:
        site = make_site(engines=[chat(server.url)], lifespan=False, jobs_mode="embedded")
        author, reporter = site.factory.user(), site.factory.user()
        moderator = staff(site.factory, site.services, "moderator")
        note_id = note(site, author)
        report(site.client, reporter, "note", note_id)
        item = find_item(site.client, moderator, note_id)
        assert item is not None
        tab = browser(site.app, moderator)
        pending = get_ok(tab, f"/moderation/items/{item['id']}")
        assert "Translating…" in text_of(pending)
        assert server.requests == []  # the page never calls the engine
        site.services.queue.run_pending()
        shown = get_ok(tab, f"/moderation/items/{item['id']}")
        box = find(shown, "div", class_="translation")
        assert len(box) == 1
        assert "Translated by openai-chat:qwen-test" in box[0].text
        assert ZH_BODY[:6] in text_of(shown)  # the original stays
