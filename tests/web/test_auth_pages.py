"""Sign up → onboarding → explore over HTTP with cookies and CSRF; login, logout; the forms'
validation (messages next to the field, typed values kept, never the password); CSRF refusals."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.accounts.models import AuthSession, User
from redbridge.core.services import Services
from tests.factories import PASSWORD, Factory
from tests.web.helpers import (
    browser,
    count_rows,
    csrf_of,
    find,
    get_ok,
    post_form,
    signup_in_browser,
    text_of,
)


def _user(services: Services, username: str) -> User | None:
    from sqlalchemy import select

    with services.sessions() as session:
        return session.scalar(select(User).where(User.username_key == username.lower()))


def test_signup_onboarding_explore_flow(app: FastAPI, client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user("chef")
    factory.note_row(author, title="Dumplings at dawn", topic="food")
    factory.note_row(author, title="Mountain trail", topic="travel")

    tab = signup_in_browser(app, "newbie")
    cookie = tab.cookies.get("rb_session")
    assert cookie
    set_cookie = "; ".join(tab.get("/onboarding").headers.get_list("set-cookie"))
    assert "rb_session" not in set_cookie  # set once, at signup

    page = get_ok(tab, "/onboarding")
    assert len(find(page, "input", name="interests")) == 10
    response = post_form(tab, "/onboarding", {"interests": ["food", "travel"], "read_langs": ["en", "zh"], "next": "/"},
                         csrf_of(page))
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    user = _user(services, "newbie")
    assert user is not None
    assert user.onboarded
    assert sorted(user.interests) == ["food", "travel"]
    assert sorted(user.read_langs) == ["en", "zh"]

    explore = get_ok(tab, "/")
    assert "Dumplings at dawn" in explore
    assert "Mountain trail" in explore
    assert 'href="/u/newbie"' in explore
    assert "pick your interests" not in explore  # the onboarding banner is gone


def test_signup_cookie_flags(app: FastAPI, client: TestClient, services: Services) -> None:
    tab = browser(app)
    page = get_ok(tab, "/signup")
    response = post_form(tab, "/signup", {"username": "flags", "password": PASSWORD}, csrf_of(page))
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("rb_session="))
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered
    assert f"max-age={services.settings.session_days * 86400}" in lowered
    assert "secure" not in lowered  # settings.cookie_secure is off in tests


def test_secure_cookie_when_configured(app: FastAPI, client: TestClient, services: Services) -> None:
    services.settings.cookie_secure = True
    tab = browser(app, base_url="https://testserver")
    page = get_ok(tab, "/signup")
    response = post_form(tab, "/signup", {"username": "tls", "password": PASSWORD}, csrf_of(page))
    cookies = response.headers.get_list("set-cookie")
    assert all("secure" in c.lower() for c in cookies)
    assert any(c.startswith("rb_session=") for c in cookies)
    plain = browser(app)
    plain.get("/signup")
    assert post_form(plain, "/signup", {"username": "tls2", "password": PASSWORD},
                     csrf_of(get_ok(plain, "/signup"))).status_code == 403  # a Secure cookie never rode on http


def test_signup_errors_keep_input_but_not_password(app: FastAPI, client: TestClient, factory: Factory,
                                                   services: Services) -> None:
    factory.user("taken")
    tab = browser(app)
    page = get_ok(tab, "/signup")
    token = csrf_of(page)
    response = post_form(tab, "/signup", {"username": "taken", "display_name": "Tess", "password": "sekret-horse-77"},
                         token)
    assert response.status_code == 422
    html = response.text
    assert "This username is already taken." in text_of(html)
    assert find(html, "input", name="username")[0].attrs["value"] == "taken"
    assert find(html, "input", name="display_name")[0].attrs["value"] == "Tess"
    assert "sekret-horse-77" not in html
    assert "value" not in find(html, "input", name="password")[0].attrs

    short = post_form(tab, "/signup", {"username": "fresh", "password": "short"}, token)
    assert short.status_code == 422
    assert "at least 8 characters" in text_of(short.text)
    bad_name = post_form(tab, "/signup", {"username": "no spaces!", "password": PASSWORD}, token)
    assert bad_name.status_code == 422
    assert find(bad_name.text, "input", name="username")[0].attrs.get("aria-invalid") == "true"
    too_long = post_form(tab, "/signup", {"username": "x" * 31, "password": PASSWORD}, token)
    assert too_long.status_code == 422
    assert count_rows(services, User) == 1


def test_anonymous_forms_need_the_csrf_pair(app: FastAPI, client: TestClient, services: Services) -> None:
    tab = browser(app)
    page = get_ok(tab, "/signup")
    token = csrf_of(page)
    # No token, a wrong token, and the right token without its cookie: all refused, nothing written.
    assert post_form(tab, "/signup", {"username": "csrf1", "password": PASSWORD}).status_code == 403
    wrong = post_form(tab, "/signup", {"username": "csrf2", "password": PASSWORD}, "0" * 64)
    assert wrong.status_code == 403
    assert "reload the page" in text_of(wrong.text)
    assert wrong.headers["content-type"].startswith("text/html")
    other = browser(app)
    assert post_form(other, "/signup", {"username": "csrf3", "password": PASSWORD}, token).status_code == 403
    assert post_form(other, "/login", {"username": "csrf3", "password": PASSWORD}, token).status_code == 403
    assert count_rows(services, User) == 0
    # The login form's token works for signup too (one pair per browser).
    login_page = get_ok(tab, "/login")
    assert csrf_of(login_page) == token
    assert post_form(tab, "/signup", {"username": "csrf4", "password": PASSWORD}, token).status_code == 303


def test_login_logout(app: FastAPI, factory: Factory, services: Services) -> None:
    factory.user("lola", email="lola@example.com")
    for login in ("lola", "LOLA", "lola@example.com"):
        tab = browser(app)
        page = get_ok(tab, "/login?next=/u/lola")
        assert find(page, "input", name="next")[0].attrs["value"] == "/u/lola"
        response = post_form(tab, "/login", {"username": login, "password": PASSWORD, "next": "/u/lola"},
                             csrf_of(page))
        assert response.status_code == 303
        # Not onboarded yet: onboarding first, then where they were going.
        assert response.headers["location"] == "/onboarding?next=%2Fu%2Flola"
        assert tab.get("/login").status_code == 303  # already logged in
    before = count_rows(services, AuthSession, AuthSession.revoked_at.is_(None))
    html = get_ok(tab, "/")
    out = post_form(tab, "/logout", {}, csrf_of(html))
    assert out.status_code == 303
    assert out.headers["location"] == "/"
    assert count_rows(services, AuthSession, AuthSession.revoked_at.is_(None)) == before - 1
    tab.cookies.clear()
    assert 'action="/logout"' not in get_ok(tab, "/")


def test_logout_needs_the_session_csrf_token(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user("stay")
    tab = browser(app, user)
    assert post_form(tab, "/logout", {}).status_code == 403
    assert post_form(tab, "/logout", {}, "f" * 64).status_code == 403
    assert count_rows(services, AuthSession, AuthSession.revoked_at.is_(None)) == 1


def test_wrong_password_is_a_form_error(app: FastAPI, factory: Factory) -> None:
    factory.user("pat")
    tab = browser(app)
    page = get_ok(tab, "/login")
    response = post_form(tab, "/login", {"username": "pat", "password": "not-the-password"}, csrf_of(page))
    assert response.status_code == 422
    assert "Wrong username or password." in text_of(response.text)
    assert find(response.text, "input", name="username")[0].attrs["value"] == "pat"
    assert "not-the-password" not in response.text
    assert "rb_session" not in response.headers.get("set-cookie", "")


def test_login_has_the_api_rate_limits(app: FastAPI, factory: Factory, services: Services) -> None:
    factory.user("limited")
    services.settings.rate_limits.login_per_account = (2, 300)
    tab = browser(app)
    token = csrf_of(get_ok(tab, "/login"))
    codes = [post_form(tab, "/login", {"username": "limited", "password": "wrong-wrong"}, token).status_code
             for _ in range(3)]
    assert codes == [422, 422, 429]
    last = post_form(tab, "/login", {"username": "limited", "password": PASSWORD}, token)
    assert last.status_code == 429
    assert last.headers["content-type"].startswith("text/html")
    assert "Retry-After" in last.headers


def test_login_refuses_open_redirects(app: FastAPI, factory: Factory) -> None:
    factory.user("safe")
    for evil in ("https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
        tab = browser(app)
        page = get_ok(tab, "/login", params={"next": evil})
        assert find(page, "input", name="next")[0].attrs["value"] == "/"
        response = post_form(tab, "/login", {"username": "safe", "password": PASSWORD, "next": evil}, csrf_of(page))
        assert response.headers["location"] in ("/onboarding?next=%2F", "/")


def test_onboarding_requires_login_and_a_language(app: FastAPI, factory: Factory, services: Services) -> None:
    anonymous = browser(app).get("/onboarding")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/onboarding"
    user = factory.user("picky")
    tab = browser(app, user)
    page = get_ok(tab, "/onboarding")
    response = post_form(tab, "/onboarding", {"interests": ["food", "not-a-topic"]}, csrf_of(page))
    assert response.status_code == 422
    assert "Pick at least one language you read." in text_of(response.text)
    checked = [i.attrs["value"] for i in find(response.text, "input", name="interests") if "checked" in i.attrs]
    assert checked == ["food"]
    stored = _user(services, "picky")
    assert stored is not None
    assert not stored.onboarded
    assert post_form(tab, "/onboarding", {"read_langs": ["zh"]}).status_code == 403
