"""The translate control without JavaScript: a link to ?translate=<target>, the stored translation
under the original with "Show original", "translating…" with a reload link while the job runs, and
no control at all when the item is already in the reader's language."""

from __future__ import annotations

from tests.translation.fakes import serve
from tests.translations.conftest import MakeSite, chat, make_site  # noqa: F401 - the fixture
from tests.web.helpers import browser, find, get_ok, text_of

ZH = "我们去成都吃火锅吧！太好吃了。"
EN = "We went to the night market and the dumplings were great."


def _links(html: str) -> list[str]:
    return [str(a.attrs.get("href")) for a in find(html, "a", class_="translate-link")]


def test_english_reader_on_a_chinese_note_pending_then_translated(make_site: MakeSite) -> None:  # noqa: F811 - the imported fixture
    with serve("chat") as server:
        site = make_site(engines=[chat(server.url)], lifespan=False, jobs_mode="embedded")
        author = site.factory.user()
        note = site.factory.note(author, images=0, title="成都火锅", body=ZH)
        tab = browser(site.app, **{"Accept-Language": "en"})
        html = get_ok(tab, f"/n/{note['id']}")
        assert _links(html) == [f"/n/{note['id']}?translate=en#note-title"]
        assert 'data-url="/api/v1/notes/' in html  # what the JS module fetches
        pending = get_ok(tab, f"/n/{note['id']}?translate=en")
        assert "Translating…" in text_of(pending)
        assert server.requests == []  # the page never called the engine
        assert site.services.queue.run_pending() == 1
        done = get_ok(tab, f"/n/{note['id']}?translate=en")
        box = find(done, "div", class_="translation")
        assert len(box) == 1
        assert "good" in box[0].text
        assert "Translated by openai-chat:qwen-test" in text_of(done)
        assert [a.attrs["href"] for a in find(done, "a") if "data-translate-original" in a.attrs] == [f"/n/{note['id']}"]
        assert ZH[:6] in text_of(done)  # the original stays, the translation is under it


def test_chinese_reader_on_an_english_note_gets_glosses_without_an_engine(make_site: MakeSite) -> None:  # noqa: F811 - the imported fixture
    site = make_site()
    author = site.factory.user()
    note = site.factory.note(author, images=0, title="Night market", body=EN)
    tab = browser(site.app, **{"Accept-Language": "zh-CN"})
    html = get_ok(tab, f"/n/{note['id']}")
    assert _links(html) == [f"/n/{note['id']}?translate=zh-Hans#note-title"]
    shown = get_ok(tab, f"/n/{note['id']}?translate=zh-Hans")
    assert "本站未配置机器翻译" in text_of(shown)
    assert find(shown, "dl", class_="glosses")
    assert "CC-CEDICT" in shown


def test_same_language_shows_no_control_and_comments_have_their_own(make_site: MakeSite) -> None:  # noqa: F811 - the imported fixture
    site = make_site()
    author = site.factory.user()
    note = site.factory.note(author, images=0, title="Night market", body=EN)
    r = site.client.post(f"/api/v1/notes/{note['id']}/comments", headers=author.headers, json={"body": "太好吃了，我也想去"})
    comment_id = r.json()["id"]
    html = get_ok(browser(site.app, **{"Accept-Language": "en"}), f"/n/{note['id']}")
    # The note is English: no control for it; the Chinese comment has one.
    assert _links(html) == [f"/n/{note['id']}?translate=en&translate_comment={comment_id}#c-{comment_id}"]
    shown = get_ok(browser(site.app, **{"Accept-Language": "en"}), _links(html)[0].replace("&amp;", "&").split("#")[0])
    assert "No machine translation is configured" in text_of(shown)
    # Hostile values are ignored, never a 500.
    for query in ("?translate=fr", "?translate=en&translate_comment=zzz", "?translate=%00", "?translate_comment=1"):
        get_ok(browser(site.app), f"/n/{note['id']}{query}")
