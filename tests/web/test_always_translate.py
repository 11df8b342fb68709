"""The "always translate" reader setting on the note page: the translation in the original's
place, the original behind "Show original" (?translate=off); "translating…" while the job runs
(the page never waits on an engine); comments from the store only; nothing per-reader leaks to
another reader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import UserHandle
from tests.translation.fakes import FakeServer, serve
from tests.translations.conftest import MakeSite, Site, chat, make_site  # noqa: F401 - the fixture
from tests.web.helpers import HTMX, browser, csrf_of, find, get_ok, post_form, text_of

ZH = "我们去成都吃火锅吧！太好吃了。"
ZH_COMMENT = "太好吃了，我也想去"
ZH_OTHER = "下次一起去吧"


@dataclass
class Scene:
    site: Site
    server: FakeServer
    note: dict[str, Any]
    reader: UserHandle


@pytest.fixture
def scene(make_site: MakeSite) -> Iterator[Scene]:  # noqa: F811 - the imported fixture
    """A Chinese note and an English reader who always translates; nothing translated yet."""
    with serve("chat") as server:
        site = make_site(engines=[chat(server.url)], lifespan=False, jobs_mode="embedded")
        author = site.factory.user()
        note = site.factory.note(author, images=0, title="成都火锅", body=ZH)
        reader = site.factory.user(ui_lang="en")
        response = site.client.patch("/api/v1/auth/me", headers=reader.headers, json={"always_translate": True})
        assert response.status_code == 200, response.text
        # The setting's account_changed hook asks the search index to look at the account: drain
        # it, so each test counts its own translation jobs.
        site.services.queue.run_pending()
        yield Scene(site, server, note, reader)


def _translate_note(scene: Scene) -> None:
    scene.site.client.get(f"/api/v1/notes/{scene.note['id']}/translation?to=en", headers=scene.reader.headers)
    assert scene.site.services.queue.run_pending() == 1


def _title(html: str) -> str:
    (h1,) = [t for t in find(html, "h1") if t.attrs.get("id") == "note-title"]
    return h1.text


def _hidden(html: str, key: str) -> bool:
    (original,) = [t for t in find(html, "div") + find(html, "p") if t.attrs.get("data-original-of") == key]
    return "hidden" in original.attrs


def test_the_translation_comes_first_and_the_original_is_one_tap_away(scene: Scene) -> None:
    _translate_note(scene)
    nid = scene.note["id"]
    html = get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}")
    assert "good" in _title(html)  # the heading is the translated title
    assert _hidden(html, f"note:{nid}")  # the original is in the page, hidden
    assert ZH[:6] in html
    assert "Translated by openai-chat:qwen-test" in text_of(html)
    originals = [a.attrs["href"] for a in find(html, "a") if "data-translate-original" in a.attrs]
    assert originals == [f"/n/{nid}?translate=off#note-title"]
    assert find(html, "a", class_="translate-link") == []


def test_show_original_and_the_setting_off_show_the_original(scene: Scene) -> None:
    _translate_note(scene)
    nid = scene.note["id"]
    off = get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}?translate=off")
    assert _title(off) == "成都火锅"
    assert not _hidden(off, f"note:{nid}")
    assert [a.attrs["href"] for a in find(off, "a", class_="translate-link")] == [f"/n/{nid}?translate=en#note-title"]
    # Asked for explicitly, the translation still comes first for this reader.
    asked = get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}?translate=en")
    assert "good" in _title(asked)
    response = scene.site.client.patch("/api/v1/auth/me", headers=scene.reader.headers,
                                       json={"always_translate": False})
    assert response.status_code == 200
    plain = get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}")
    assert _title(plain) == "成都火锅"
    assert find(plain, "div", class_="translated-first") == []
    # Without the setting, an explicit request shows the translation under the original, as before.
    under = get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}?translate=en")
    assert _title(under) == "成都火锅"
    assert "good" in find(under, "div", class_="translation")[0].text


def test_pending_says_translating_and_never_waits_on_the_engine(scene: Scene) -> None:
    nid = scene.note["id"]
    html = get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}")
    assert "Translating…" in text_of(html)
    assert scene.server.requests == []  # the page only asked for the job
    (control,) = [t for t in find(html, "div") if t.attrs.get("data-key") == f"note:{nid}"]
    assert "data-auto" in control.attrs  # translate.js polls at once
    assert _title(html) == "成都火锅"  # the original until the translation is stored
    assert scene.site.services.queue.run_pending() == 1
    assert "good" in _title(get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}"))


def test_other_readers_never_get_the_translated_page(scene: Scene) -> None:
    _translate_note(scene)
    nid = scene.note["id"]
    assert "good" in _title(get_ok(browser(scene.site.app, scene.reader), f"/n/{nid}"))
    other = scene.site.factory.user(ui_lang="en")
    for tab in (browser(scene.site.app, other), browser(scene.site.app, **{"Accept-Language": "en"})):
        html = get_ok(tab, f"/n/{nid}")
        assert _title(html) == "成都火锅"
        assert find(html, "div", class_="translated-first") == []
    # The API's note (the note page cache, reads.note_page) is the same original for both.
    mine = scene.site.client.get(f"/api/v1/notes/{nid}", headers=scene.reader.headers).json()
    theirs = scene.site.client.get(f"/api/v1/notes/{nid}", headers=other.headers).json()
    assert mine["title"] == theirs["title"] == "成都火锅"
    # And a Chinese reader who always translates is not offered a translation of a Chinese note.
    zh = scene.site.factory.user(ui_lang="zh-Hans")
    scene.site.client.patch("/api/v1/auth/me", headers=zh.headers, json={"always_translate": True})
    html = get_ok(browser(scene.site.app, zh), f"/n/{nid}")
    assert _title(html) == "成都火锅"
    assert find(html, "div", class_="translate") == []


def test_comments_are_shown_translated_when_stored_and_never_enqueued(scene: Scene) -> None:
    site, nid = scene.site, scene.note["id"]
    author = site.factory.user()
    first = site.client.post(f"/api/v1/notes/{nid}/comments", headers=author.headers, json={"body": ZH_COMMENT})
    second = site.client.post(f"/api/v1/notes/{nid}/comments", headers=author.headers, json={"body": ZH_OTHER})
    translated, untranslated = first.json()["id"], second.json()["id"]
    _translate_note(scene)
    site.client.get(f"/api/v1/comments/{translated}/translation?to=en", headers=scene.reader.headers)
    assert site.services.queue.run_pending() == 1
    html = get_ok(browser(site.app, scene.reader), f"/n/{nid}")
    (shown,) = [t for t in find(html, "p") if t.attrs.get("data-translated-of") == f"comment:{translated}"]
    assert "good" in shown.text
    assert _hidden(html, f"comment:{translated}")
    assert not _hidden(html, f"comment:{untranslated}")
    originals = [a.attrs["href"] for a in find(html, "a") if "data-translate-original" in a.attrs]
    assert f"/n/{nid}?translate=off#c-{translated}" in originals
    links = [a.attrs["href"] for a in find(html, "a", class_="translate-link")]
    assert links == [f"/n/{nid}?translate=en&translate_comment={untranslated}#c-{untranslated}"]
    assert site.services.queue.run_pending() == 0  # the page enqueued nothing for the comment
    off = get_ok(browser(site.app, scene.reader), f"/n/{nid}?translate=off")
    assert not _hidden(off, f"comment:{translated}")


def test_the_comments_fragment_after_a_comment_keeps_the_translations(scene: Scene) -> None:
    site, nid = scene.site, scene.note["id"]
    author = site.factory.user()
    stored = site.client.post(f"/api/v1/notes/{nid}/comments", headers=author.headers, json={"body": ZH_COMMENT})
    site.client.get(f"/api/v1/comments/{stored.json()['id']}/translation?to=en", headers=scene.reader.headers)
    assert site.services.queue.run_pending() == 1
    tab = browser(site.app, scene.reader)
    page = get_ok(tab, f"/n/{nid}")
    response = post_form(tab, f"/n/{nid}/comments", {"body": "Looks great"}, csrf_of(page), headers=HTMX)
    assert response.status_code == 200, response.text[:300]
    fragment = response.text
    assert [t for t in find(fragment, "p") if t.attrs.get("data-translated-of") == f"comment:{stored.json()['id']}"]
    # The links name the note's page, not the POST's path.
    originals = [a.attrs["href"] for a in find(fragment, "a") if "data-translate-original" in a.attrs]
    assert originals == [f"/n/{nid}?translate=off#c-{stored.json()['id']}"]


def test_the_replies_page_shows_stored_translations_first_and_its_translate_links_work(scene: Scene) -> None:
    site, nid = scene.site, scene.note["id"]
    author = site.factory.user()
    top = site.client.post(f"/api/v1/notes/{nid}/comments", headers=author.headers, json={"body": "好看"}).json()
    replies = [site.client.post(f"/api/v1/notes/{nid}/comments", headers=author.headers,
                                json={"body": body, "parent_id": top["id"]}).json()["id"] for body in (ZH_COMMENT, ZH_OTHER)]
    site.client.get(f"/api/v1/comments/{replies[0]}/translation?to=en", headers=scene.reader.headers)
    assert site.services.queue.run_pending() == 1
    thread = f"/n/{nid}/c/{top['id']}"
    html = get_ok(browser(site.app, scene.reader), thread)
    (shown,) = [t for t in find(html, "p") if t.attrs.get("data-translated-of") == f"comment:{replies[0]}"]
    assert "good" in shown.text
    assert _hidden(html, f"comment:{replies[0]}")
    assert not _hidden(html, f"comment:{replies[1]}")
    assert site.services.queue.run_pending() == 0  # nothing enqueued by the page
    assert not _hidden(get_ok(browser(site.app, scene.reader), thread + "?translate=off"), f"comment:{replies[0]}")
    # The other reply's no-JS link asks for it here and the page says it is on its way.
    (link,) = [a.attrs["href"] for a in find(html, "a", class_="translate-link")]
    assert link == f"{thread}?translate=en&translate_comment={replies[1]}#c-{replies[1]}"
    asked = get_ok(browser(site.app, scene.reader), str(link).split("#")[0])
    assert "Translating…" in text_of(asked)
    assert site.services.queue.run_pending() == 1
    done = get_ok(browser(site.app, scene.reader), str(link).split("#")[0])
    # Both first now: the one asked for, and the stored one the setting shows first anyway.
    assert _hidden(done, f"comment:{replies[0]}")
    assert _hidden(done, f"comment:{replies[1]}")
    assert [t for t in find(done, "p") if t.attrs.get("data-translated-of") == f"comment:{replies[1]}"]
