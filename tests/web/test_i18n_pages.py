"""Pages in the reader's language: account setting → ?lang= → rb_lang cookie → Accept-Language;
the language switcher (cookie for everyone, account setting when logged in); no open redirects."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.accounts.models import User
from redbridge.core.services import Services
from tests.factories import Factory
from tests.web.conftest import World
from tests.web.helpers import browser, csrf_of, find, get_ok, html_lang, post_form, text_of

# A string of the layout in each language (the nav's "Explore").
EXPLORE = {"en": "Explore", "zh-Hans": "发现", "zh-Hant": "發現"}


def ui_lang(services: Services, username: str) -> str:
    from sqlalchemy import select

    with services.sessions() as session:
        return str(session.scalar(select(User.ui_lang).where(User.username_key == username)))


ACCEPT = [("zh-CN,zh;q=0.9", "zh-Hans"), ("zh-TW", "zh-Hant"), ("zh-HK,en;q=0.5", "zh-Hant"), ("en-US", "en"),
          ("fr-FR", "en"), ("fr;q=1, zh;q=0.8", "zh-Hans"), ("", "en")]


def test_accept_language(app: FastAPI, world: World) -> None:
    for accept, expected in ACCEPT:
        tab = browser(app, **{"Accept-Language": accept})
        for url in ("/", f"/n/{world.photo_note['id']}", "/u/alice", "/login", "/no-such-page"):
            response = tab.get(url)
            assert html_lang(response.text) == expected, (accept, url)
            assert EXPLORE[expected] in response.text, (accept, url)
    # The page's own strings are translated, not just the navigation.
    tab = browser(app, **{"Accept-Language": "zh-CN"})
    note = get_ok(tab, f"/n/{world.photo_note['id']}")
    text = text_of(note)
    for expected in ("评论", "分享链接", "登录后评论"):
        assert expected in text
    assert "Comments" not in text
    assert "Share link" not in text
    hant = text_of(get_ok(browser(app, **{"Accept-Language": "zh-TW"}), "/signup"))
    assert "註冊" in hant
    assert "密碼" in hant
    topics = text_of(get_ok(tab, "/"))
    assert "美食" in topics
    assert "旅行" in topics
    assert "護膚" in text_of(get_ok(browser(app, **{"Accept-Language": "zh-TW"}), "/"))


def test_account_setting_wins_over_accept_language_and_cookie(app: FastAPI, factory: Factory) -> None:
    user = factory.user("mei", ui_lang="zh-Hans")
    tab = browser(app, user, **{"Accept-Language": "en-US"})
    tab.cookies.set("rb_lang", "en")
    html = get_ok(tab, "/")
    assert html_lang(html) == "zh-Hans"
    assert "发现" in html
    # ?lang= is an explicit request for this page only, and wins.
    assert html_lang(get_ok(tab, "/?lang=zh-Hant")) == "zh-Hant"


def test_user_content_in_the_other_language_is_marked(app: FastAPI, world: World) -> None:
    english = get_ok(browser(app), "/")
    zh_title = [t for t in find(english, "span", class_="card-text-inner") if "早上好" in t.text]
    assert zh_title
    assert zh_title[0].attrs.get("lang") == "zh"
    note = get_ok(browser(app), f"/n/{world.text_note['id']}")
    assert find(note, "h1", id="note-title")[0].attrs.get("lang") == "zh"
    chinese = get_ok(browser(app, **{"Accept-Language": "zh-CN"}), f"/n/{world.text_note['id']}")
    assert "lang" not in find(chinese, "h1", id="note-title")[0].attrs
    en_note = get_ok(browser(app, **{"Accept-Language": "zh-CN"}), f"/n/{world.photo_note['id']}")
    assert find(en_note, "h1", id="note-title")[0].attrs.get("lang") == "en"


def test_cookie_switcher(app: FastAPI, world: World) -> None:
    tab = browser(app, **{"Accept-Language": "en"})
    page = get_ok(tab, "/u/alice")
    links = {a.attrs["href"] for a in find(page, "a") if (a.attrs.get("href") or "").startswith("/lang/")}
    assert "/lang/zh-Hant?next=/u/alice" in links
    response = tab.get("/lang/zh-Hant", params={"next": "/u/alice"})
    assert response.status_code == 303
    assert response.headers["location"] == "/u/alice"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("rb_lang=zh-hant")
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert html_lang(get_ok(tab, "/u/alice")) == "zh-Hant"
    assert html_lang(get_ok(tab, "/u/alice?lang=en")) == "en"
    tab.get("/lang/en", params={"next": "/"})
    assert html_lang(get_ok(tab, "/")) == "en"
    assert tab.get("/lang/fr").status_code == 404


def test_switcher_refuses_open_redirects(app: FastAPI, client: TestClient) -> None:
    for evil in ("https://evil.example", "//evil.example/x", "/\\evil.example", "http:/evil", "/\tevil",
                 "evil.example", "/%0d%0aSet-Cookie:x=1"):
        response = browser(app).get("/lang/zh-Hans", params={"next": evil})
        assert response.status_code == 303
        assert response.headers["location"] in ("/", evil), evil
        assert response.headers["location"].startswith("/")
        assert not response.headers["location"].startswith(("//", "/\\"))


def test_logged_in_switcher_saves_the_account_setting(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user("lin")
    tab = browser(app, user)
    page = get_ok(tab, "/u/lin")
    buttons = [b.attrs["value"] for b in find(page, "button", name="lang")]
    assert buttons == ["en", "zh-Hans", "zh-Hant"]
    response = post_form(tab, "/lang", {"lang": "zh-Hant", "next": "https://evil.example"}, csrf_of(page))
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert ui_lang(services, "lin") == "zh-Hant"
    assert html_lang(get_ok(tab, "/")) == "zh-Hant"
    # Without the CSRF token nothing changes.
    assert post_form(tab, "/lang", {"lang": "en", "next": "/"}).status_code == 403
    assert ui_lang(services, "lin") == "zh-Hant"
    # An unknown language: 404, the account keeps its setting.
    assert post_form(tab, "/lang", {"lang": "xx", "next": "/"}, csrf_of(page)).status_code == 404
    assert ui_lang(services, "lin") == "zh-Hant"


def test_error_pages_speak_the_readers_language(app: FastAPI, factory: Factory) -> None:
    missing = browser(app, **{"Accept-Language": "zh-CN"}).get("/n/123")
    assert missing.status_code == 404
    assert html_lang(missing.text) == "zh-Hans"
    assert "页面不存在" in missing.text
    user = factory.user("yuyu", ui_lang="zh-Hant")
    forbidden = post_form(browser(app, user), "/logout", {}, "0" * 64)
    assert forbidden.status_code == 403
    assert html_lang(forbidden.text) == "zh-Hant"
    assert "頁面已過期，請重新整理後重試。" in text_of(forbidden.text)
