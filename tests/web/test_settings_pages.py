"""Edit profile (/settings/profile) and sessions (/settings/sessions) as pages: the forms, their
refusals (field errors with what was typed, 422; a bad picture; CSRF), avatars through the media
action, and sessions listed, revoked one by one or all but this one — only ever the viewer's own."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.accounts.models import AuthSession, User
from redbridge.core import i18n
from redbridge.core.services import Services
from redbridge.web.render import device
from tests.factories import PASSWORD, Factory, UserHandle, png_bytes
from tests.web.conftest import World
from tests.web.helpers import HTMX, browser, csrf_of, find, get_ok, html_lang, post_form, text_of
from tests.web.test_security import XSS, assert_clean

PROFILE_FIELDS: dict[str, Any] = {
    "display_name": "Alice W", "bio": "Hotpot hunter\n火锅爱好者", "region": "Chengdu", "ui_lang": "en",
    "read_langs": ["en", "zh"], "interests": ["food", "travel"],
}


def stored(services: Services, username: str) -> User:
    with services.sessions() as session:
        from sqlalchemy import select

        user = session.scalar(select(User).where(User.username_key == username))
        assert user is not None
        session.expunge(user)
        return user


def open_form(tab: TestClient) -> str:
    return get_ok(tab, "/settings/profile")


# ----------------------------------------------------------------------------------- edit profile


def test_edit_profile_form_shows_the_current_values(app: FastAPI, factory: Factory, client: TestClient) -> None:
    user = factory.user("lin", display_name="Lin")
    client.patch("/api/v1/auth/me", headers=user.headers,
                 json={"bio": "Tea & trains", "region": "Taipei", "read_langs": ["zh"], "interests": ["travel"]})
    html = open_form(browser(app, user))
    form = find(html, "form", id="profile-form")[0]
    assert form.attrs["enctype"] == "multipart/form-data"
    assert find(html, "input", name="display_name")[0].attrs["value"] == "Lin"
    assert find(html, "textarea", name="bio")[0].text == "Tea & trains"
    assert find(html, "label", for_="f-bio")[0].text == "Bio"
    assert find(html, "input", name="region")[0].attrs["value"] == "Taipei"
    assert "checked" in find(html, "input", name="read_langs", value="zh")[0].attrs
    assert "checked" not in find(html, "input", name="read_langs", value="en")[0].attrs
    assert "checked" in find(html, "input", name="interests", value="travel")[0].attrs
    assert "selected" in find(html, "option", value="en")[0].attrs
    assert find(html, "input", type="file", name="avatar")
    assert [b.text.strip() for b in find(html, "button", type="submit")][-1] == "Save"


def test_save_profile(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user("lin")
    tab = browser(app, user)
    response = post_form(tab, "/settings/profile", PROFILE_FIELDS, csrf_of(open_form(tab)))
    assert response.status_code == 303
    assert response.headers["location"] == "/u/lin"
    saved = stored(services, "lin")
    assert (saved.display_name, saved.bio, saved.region) == ("Alice W", "Hotpot hunter\n火锅爱好者", "Chengdu")
    assert saved.read_langs == ["en", "zh"]
    assert saved.interests == ["food", "travel"]
    profile = get_ok(tab, "/u/lin")
    assert find(profile, "h1", id="profile-name")[0].text == "Alice W"
    assert find(profile, "p", class_="profile-bio")[0].text == "Hotpot hunter\n火锅爱好者"
    assert "Chengdu" in text_of(profile)
    # Clearing the bio and the display name: the name falls back to the username.
    token = csrf_of(open_form(tab))
    post_form(tab, "/settings/profile", {**PROFILE_FIELDS, "bio": "", "display_name": ""}, token)
    saved = stored(services, "lin")
    assert (saved.bio, saved.display_name) == ("", "lin")


def test_changing_the_interface_language(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user("lin")
    tab = browser(app, user)
    post_form(tab, "/settings/profile", {**PROFILE_FIELDS, "ui_lang": "zh-Hant"}, csrf_of(open_form(tab)))
    assert stored(services, "lin").ui_lang == "zh-Hant"
    html = open_form(tab)
    assert html_lang(html) == "zh-Hant"
    assert find(html, "label", for_="f-bio")[0].text == "簡介"
    assert [b.text.strip() for b in find(html, "button", type="submit")][-1] == "儲存"


def test_zh_hans_strings(app: FastAPI, factory: Factory) -> None:
    tab = browser(app, factory.user("lin"))
    html = get_ok(tab, "/settings/profile?lang=zh-Hans")
    assert find(html, "h1", id="settings-title")[0].text == "编辑资料"
    assert find(html, "label", for_="f-bio")[0].text == "简介"
    assert "界面语言" in text_of(html)
    sessions = get_ok(tab, "/settings/sessions?lang=zh-Hans")
    assert "本设备" in text_of(sessions)
    assert "退出其他所有设备" not in text_of(sessions)  # a single session: nothing else to end


def test_oversize_bio_is_refused_and_what_was_typed_is_kept(app: FastAPI, factory: Factory,
                                                             services: Services) -> None:
    user = factory.user("lin", display_name="Lin")
    tab = browser(app, user)
    long_bio = "火锅" * 151  # 302 characters: over the 300 cap
    fields = {**PROFILE_FIELDS, "bio": long_bio, "display_name": "Typed name"}
    response = post_form(tab, "/settings/profile", fields, csrf_of(open_form(tab)))
    assert response.status_code == 422
    html = response.text
    assert find(html, "textarea", name="bio")[0].text == long_bio
    assert find(html, "input", name="display_name")[0].attrs["value"] == "Typed name"
    assert find(html, "p", id="bio-error")[0].text
    assert find(html, "textarea", name="bio")[0].attrs["aria-invalid"] == "true"
    saved = stored(services, "lin")
    assert (saved.bio, saved.display_name) == ("", "Lin")  # nothing stored
    # The message is in the reader's language.
    zh = post_form(tab, "/settings/profile?lang=zh-Hans", fields, csrf_of(open_form(tab)))
    assert zh.status_code == 422
    assert find(zh.text, "p", id="bio-error")[0].text != find(html, "p", id="bio-error")[0].text


def test_other_malformed_fields(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user("lin", display_name="Lin")
    before = stored(services, "lin")
    tab = browser(app, user)
    cases = [
        ({"read_langs": []}, "read_langs"),
        ({"read_langs": ["fr"]}, "read_langs"),
        ({"interests": ["food", "<script>"]}, "interests"),
        ({"ui_lang": "klingon"}, "ui_lang"),
        ({"display_name": "x" * 41}, "display_name"),
        ({"region": "nul\x00byte"}, "region"),
        ({"bio": "nul\x00byte"}, "bio"),
    ]
    for change, field in cases:
        response = post_form(tab, "/settings/profile", {**PROFILE_FIELDS, **change}, csrf_of(open_form(tab)))
        assert response.status_code == 422, change
        assert find(response.text, "p", id=f"{field}-error"), change
        assert "<script>" not in response.text.split("</head>")[1], change
    # The API refuses NUL the same way (one schema): a 422, not a database error on PostgreSQL.
    api = factory.client.patch("/api/v1/auth/me", headers=user.headers, json={"bio": "nul\x00byte"})
    assert api.status_code == 422
    saved = stored(services, "lin")
    assert (saved.display_name, saved.bio, saved.read_langs, saved.interests) == (
        "Lin", "", before.read_langs, before.interests)


def test_xss_in_bio_is_shown_as_text(app: FastAPI, factory: Factory) -> None:
    user = factory.user("mallory")
    tab = browser(app, user)
    for payload in XSS:
        response = post_form(tab, "/settings/profile", {**PROFILE_FIELDS, "bio": payload, "display_name": payload},
                             csrf_of(open_form(tab)))
        assert response.status_code == 303
        for html in (get_ok(tab, "/u/mallory"), get_ok(browser(app), "/u/mallory"), open_form(tab)):
            assert_clean(html, "/u/mallory")
            assert "<script>alert" not in html
            assert "<img src=x" not in html
        assert find(get_ok(browser(app), "/u/mallory"), "p", class_="profile-bio")[0].text == payload
        assert find(open_form(tab), "textarea", name="bio")[0].text == payload


def test_avatar_upload_and_removal(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user("lin")
    tab = browser(app, user)
    response = tab.post("/settings/profile", data={**PROFILE_FIELDS, "csrf_token": csrf_of(open_form(tab))},
                        files={"avatar": ("me.png", png_bytes(120, 90), "image/png")})
    assert response.status_code == 303, response.text[:300]
    key = stored(services, "lin").avatar_key
    assert key is not None
    profile = get_ok(tab, "/u/lin")
    avatar = find(profile, "img", class_="avatar-80")[0]
    assert avatar.attrs["src"] == f"/media/{key}"
    assert avatar.attrs["alt"]
    assert tab.get(f"/media/{key}").status_code == 200
    # No file chosen (a browser sends an empty part): the avatar stays.
    response = tab.post("/settings/profile", data={**PROFILE_FIELDS, "csrf_token": csrf_of(open_form(tab))},
                        files={"avatar": ("", b"", "application/octet-stream")})
    assert response.status_code == 303
    assert stored(services, "lin").avatar_key == key
    # Remove it.
    html = open_form(tab)
    assert find(html, "input", name="remove_avatar")
    response = post_form(tab, "/settings/profile", {**PROFILE_FIELDS, "remove_avatar": "1"}, csrf_of(html))
    assert response.status_code == 303
    assert stored(services, "lin").avatar_key is None
    assert not find(open_form(tab), "input", name="remove_avatar")


def test_a_bad_avatar_file_is_refused_and_nothing_changes(app: FastAPI, factory: Factory,
                                                          services: Services) -> None:
    user = factory.user("lin", display_name="Lin")
    tab = browser(app, user)
    for name, data, kind in (("evil.png", b"<svg onload=alert(1)>", "image/png"),
                             ("notes.txt", b"just text", "text/plain")):
        response = tab.post("/settings/profile", data={**PROFILE_FIELDS, "csrf_token": csrf_of(open_form(tab))},
                            files={"avatar": (name, data, kind)})
        assert response.status_code == 422, response.text[:300]
        assert find(response.text, "p", id="avatar-error")[0].text
        assert find(response.text, "textarea", name="bio")[0].text == PROFILE_FIELDS["bio"]  # typed text kept
    saved = stored(services, "lin")
    assert (saved.avatar_key, saved.bio, saved.display_name) == (None, "", "Lin")


def test_edit_profile_needs_a_login(app: FastAPI, factory: Factory) -> None:
    tab = browser(app)
    assert tab.get("/settings/profile").headers["location"] == "/login?next=/settings/profile"
    response = tab.post("/settings/profile", data=PROFILE_FIELDS)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/profile"
    assert tab.get("/settings/sessions").headers["location"] == "/login?next=/settings/sessions"


def test_edit_profile_without_or_with_anothers_csrf_token_writes_nothing(app: FastAPI, world: World,
                                                                         services: Services) -> None:
    tab = browser(app, world.alice)
    bobs_token = csrf_of(open_form(browser(app, world.bob)))
    for token in (None, "", "0" * 64, bobs_token):
        response = post_form(tab, "/settings/profile", {**PROFILE_FIELDS, "bio": "forged"}, token)
        assert response.status_code == 403, token
        assert "reload the page" in text_of(response.text)
    # Only one's own profile can be edited: there is no way to name another account, and bob's
    # form (his token) with alice's cookie is refused above.
    assert stored(services, "alice").bio == ""
    assert stored(services, "bob").bio == ""


# --------------------------------------------------------------------------------------- sessions


def second_session(client: TestClient, user: UserHandle, agent: str) -> str:
    """Log the user in again (another device); returns the new token."""
    response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD},
                           headers={"User-Agent": agent})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def session_ids(client: TestClient, token: str) -> dict[bool, list[str]]:
    """The user's sessions as the API lists them: current → ids."""
    body = client.get("/api/v1/auth/sessions", headers={"Authorization": f"Bearer {token}"}).json()
    out: dict[bool, list[str]] = {True: [], False: []}
    for s in body:
        out[s["current"]].append(s["id"])
    return out


def active(services: Services, user: UserHandle) -> int:
    from tests.web.helpers import count_rows

    return count_rows(services, AuthSession, AuthSession.user_id == user.int_id, AuthSession.revoked_at.is_(None))


def test_sessions_page_lists_the_viewers_sessions(app: FastAPI, world: World, client: TestClient) -> None:
    second_session(client, world.alice, "Mozilla/5.0 (iPhone) <b>Safari/1</b>")
    second_session(client, world.alice, "<script>alert(1)</script>")
    html = get_ok(browser(app, world.alice), "/settings/sessions")
    rows = find(html, "li", class_="session")
    assert len(rows) == 3
    assert len(find(html, "li", class_="is-current")) == 1
    assert "This device" in find(html, "li", class_="is-current")[0].text
    devices = {p.text.strip(): p.attrs.get("title") for p in find(html, "p", class_="session-device")}
    # A browser is named the way a person says it; the raw User-Agent stays in the tooltip.
    assert devices["Safari on iOS"] == "Mozilla/5.0 (iPhone) <b>Safari/1</b>"
    # Anything else is shown as it names itself: as text, escaped, never markup.
    assert "<script>alert(1)</script>" in devices
    assert "<b>Safari" not in html
    assert "<script>alert" not in html
    assert find(html, "form", action="/settings/sessions/revoke-others")
    # Bob's sessions are not on alice's page.
    bob_ids = session_ids(client, world.bob.token)[True]
    assert bob_ids
    assert not find(html, "form", action=f"/settings/sessions/{bob_ids[0]}/revoke")


def test_revoke_another_session(app: FastAPI, world: World, client: TestClient, services: Services) -> None:
    phone = second_session(client, world.alice, "phone")
    other = session_ids(client, phone)[True][0]
    tab = browser(app, world.alice)
    response = post_form(tab, f"/settings/sessions/{other}/revoke", {}, csrf_of(get_ok(tab, "/settings/sessions")))
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/sessions"
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {phone}"}).status_code == 401
    assert get_ok(tab, "/settings/sessions")  # this one still works
    # Again (already revoked): not found.
    again = post_form(tab, f"/settings/sessions/{other}/revoke", {}, csrf_of(get_ok(tab, "/settings/sessions")))
    assert again.status_code == 404
    # HTMX: the row goes away (an empty answer swapped over it).
    third = second_session(client, world.alice, "tablet")
    third_id = session_ids(client, third)[True][0]
    htmx = tab.post(f"/settings/sessions/{third_id}/revoke", headers={**HTMX, "X-CSRF-Token": world.alice.csrf_token})
    assert htmx.status_code == 200
    assert htmx.text == ""
    assert active(services, world.alice) == 1


def test_revoking_the_current_session_logs_out(app: FastAPI, world: World, client: TestClient) -> None:
    tab = browser(app, world.alice)
    current = session_ids(client, world.alice.token)[True][0]
    response = post_form(tab, f"/settings/sessions/{current}/revoke", {}, csrf_of(get_ok(tab, "/settings/sessions")))
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert 'rb_session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/api/v1/auth/me", headers=world.alice.headers).status_code == 401
    assert tab.get("/settings/sessions").headers["location"] == "/login?next=/settings/sessions"


def test_log_out_everywhere_else(app: FastAPI, world: World, client: TestClient, services: Services) -> None:
    others = [second_session(client, world.alice, agent) for agent in ("phone", "tablet")]
    tab = browser(app, world.alice)
    response = post_form(tab, "/settings/sessions/revoke-others", {}, csrf_of(get_ok(tab, "/settings/sessions")))
    assert response.status_code == 303
    for token in others:
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert active(services, world.alice) == 1
    html = get_ok(tab, "/settings/sessions")
    assert len(find(html, "li", class_="session")) == 1
    assert not find(html, "form", action="/settings/sessions/revoke-others")
    assert active(services, world.bob) == 1  # nobody else's sessions


def test_another_users_session_cannot_be_revoked(app: FastAPI, world: World, client: TestClient,
                                                 services: Services) -> None:
    bob_session = session_ids(client, world.bob.token)[True][0]
    tab = browser(app, world.alice)
    token = csrf_of(get_ok(tab, "/settings/sessions"))
    for target in (bob_session, "not-an-id", "0", "9" * 30):
        response = post_form(tab, f"/settings/sessions/{target}/revoke", {}, token)
        assert response.status_code == 404, target
        assert response.headers["content-type"].startswith("text/html")
    assert client.get("/api/v1/auth/me", headers=world.bob.headers).status_code == 200
    assert active(services, world.bob) == 1
    assert active(services, world.alice) == 1


def test_session_forms_need_login_and_csrf(app: FastAPI, world: World, client: TestClient,
                                           services: Services) -> None:
    phone = second_session(client, world.alice, "phone")
    other = session_ids(client, phone)[True][0]
    anonymous = browser(app)
    response = anonymous.post(f"/settings/sessions/{other}/revoke")
    assert response.headers["location"] == "/login?next=/settings/sessions"
    tab = browser(app, world.alice)
    for url in (f"/settings/sessions/{other}/revoke", "/settings/sessions/revoke-others"):
        for token in (None, "0" * 64, world.bob.csrf_token):
            assert post_form(tab, url, {}, token).status_code == 403, (url, token)
    assert active(services, world.alice) == 2


@pytest.mark.parametrize(("agent", "en", "zh"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
     " Edg/131.0", "Edge on Windows", "Windows 上的 Edge"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
     "Chrome on Android", "Android 上的 Chrome"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
     "Safari on iOS", "iOS 上的 Safari"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox on Linux", "Linux 上的 Firefox"),
    ("python-httpx/0.28", "python-httpx/0.28", "python-httpx/0.28"),
    ("", "Unknown device", "未知设备"),
])
def test_session_devices_are_named_in_the_readers_language(agent: str, en: str, zh: str) -> None:
    for locale, expected in (("en", en), ("zh-Hans", zh)):
        token = i18n.set_locale(locale)
        try:
            assert device(agent) == expected
        finally:
            i18n.reset_locale(token)


def test_always_translate_checkbox(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user("lin")
    tab = browser(app, user)
    html = open_form(tab)
    box = find(html, "input", type="checkbox", name="always_translate")[0]
    assert "checked" not in box.attrs
    assert "Always translate notes and comments in other languages" in text_of(html)
    assert post_form(tab, "/settings/profile", {**PROFILE_FIELDS, "always_translate": "1"},
                     csrf_of(html)).status_code == 303
    assert stored(services, "lin").always_translate is True
    html = open_form(tab)
    assert "checked" in find(html, "input", name="always_translate")[0].attrs
    # Unticked, the browser sends nothing: the setting goes off.
    assert post_form(tab, "/settings/profile", PROFILE_FIELDS, csrf_of(html)).status_code == 303
    assert stored(services, "lin").always_translate is False
    # Without the form's CSRF token nothing changes, as for the other settings.
    assert post_form(tab, "/settings/profile", {**PROFILE_FIELDS, "always_translate": "1"}).status_code == 403
    assert stored(services, "lin").always_translate is False
    zh = get_ok(tab, "/settings/profile?lang=zh-Hans")
    assert "始终翻译其他语言的笔记和评论" in text_of(zh)
