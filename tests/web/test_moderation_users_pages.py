"""The moderators' account page (web/pages/moderation_users.py): who may open it, the action form
(CSRF, refusals at the form, the role rules' 403), lift buttons, hostile input shown as text, the
zh strings; and the moderators' notices on /notifications."""

from __future__ import annotations

from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from redbridge.core.services import Services
from redbridge.safety.models import AccountAction
from tests.factories import Factory, UserHandle
from tests.safety.helpers import install_fake_checker, staff
from tests.web.helpers import browser, csrf_of, find, get_ok, post_form, text_of
from tests.web.test_security import XSS, assert_clean


@pytest.fixture
def people(services: Services, factory: Factory) -> dict[str, UserHandle]:
    install_fake_checker(services)
    return {"user": factory.user("target", display_name=XSS[0]), "other": factory.user(),
            "mod": staff(factory, services, "moderator"), "admin": staff(factory, services, "admin")}


def _actions(services: Services) -> list[AccountAction]:
    with services.sessions() as session:
        return list(session.scalars(select(AccountAction).order_by(AccountAction.id)))


def test_who_may_open_the_page(app: FastAPI, people: dict[str, UserHandle]) -> None:
    url = "/moderation/users/target"
    anonymous = browser(app).get(url)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    assert browser(app, people["other"]).get(url).status_code == 403
    assert browser(app, people["user"]).get(url).status_code == 403
    assert browser(app, people["mod"]).get("/moderation/users/nobody_here").status_code == 404
    assert browser(app, people["mod"]).get("/moderation/users/" + "x" * 300).status_code == 404
    html = get_ok(browser(app, people["mod"]), url)
    assert_clean(html, url)  # the display name is someone's hostile text: shown as text
    assert find(html, "form", action="/moderation/users/target/actions")
    assert not find(html, "input", name="action", value="ban")  # a moderator cannot ban
    assert find(get_ok(browser(app, people["admin"]), url), "input", name="action", value="ban")
    zh = get_ok(browser(app, people["mod"]), url + "?lang=zh-Hans")
    assert "处理这个账号" in unescape(text_of(zh))


def test_act_and_lift_through_the_page(app: FastAPI, client: TestClient, people: dict[str, UserHandle],
                                       services: Services) -> None:
    tab = browser(app, people["mod"])
    url = "/moderation/users/target"
    csrf = csrf_of(get_ok(tab, url))
    assert post_form(tab, f"{url}/actions", {"action": "mute", "hours": "24", "reason": "spam"}).status_code == 403
    assert not _actions(services)  # without the CSRF token nothing happens
    refused = post_form(tab, f"{url}/actions", {"action": "mute", "hours": "", "reason": "spam"}, csrf)
    assert refused.status_code == 422
    assert find(refused.text, "div", class_="form-error") or "form-error" in refused.text
    for hostile in ({"action": "mute", "hours": "abc", "reason": "spam"},
                    {"action": "explode", "hours": "", "reason": "spam"},
                    {"action": "warn", "hours": "", "reason": XSS[1]}):
        response = post_form(tab, f"{url}/actions", hostile, csrf)
        assert response.status_code == 422, hostile
        assert_clean(response.text, url)
    assert not _actions(services)
    done = post_form(tab, f"{url}/actions", {"action": "mute", "hours": "24", "reason": "harassment"}, csrf)
    assert done.status_code == 303
    assert done.headers["location"] == url
    [row] = _actions(services)
    assert row.action == "mute"
    assert row.until is not None
    html = get_ok(tab, url)
    lift_url = f"{url}/actions/{row.id}/lift"
    assert find(html, "form", action=lift_url)
    assert post_form(tab, f"{url}/actions", {"action": "ban", "hours": "", "reason": "spam"}, csrf).status_code == 403
    assert post_form(tab, lift_url, {}, csrf).status_code == 303
    assert _actions(services)[0].lifted_at is not None
    again = post_form(tab, lift_url, {}, csrf)
    assert again.status_code == 409  # no longer in force: said at the page
    assert post_form(tab, f"{url}/actions/nope/lift", {}, csrf).status_code == 404
    assert post_form(browser(app, people["other"]), lift_url, {}, csrf).status_code in (403,)
    assert not find(get_ok(tab, url), "form", action=lift_url)


def test_account_action_and_lift_need_the_role(app: FastAPI, people: dict[str, UserHandle],
                                               services: Services) -> None:
    """A plain account with its own valid CSRF token: 403 (the role's, not the token's), and no
    action is taken or lifted."""
    url = "/moderation/users/target"
    mod = browser(app, people["mod"])
    done = post_form(mod, f"{url}/actions", {"action": "mute", "hours": "24", "reason": "spam"},
                     csrf_of(get_ok(mod, url)))
    assert done.status_code == 303
    [row] = _actions(services)
    user = browser(app, people["other"])
    csrf = csrf_of(get_ok(user, "/settings/reports"))
    assert post_form(user, f"{url}/actions/{row.id}/lift", {}, csrf).status_code == 403
    assert post_form(user, f"{url}/actions", {"action": "warn", "hours": "", "reason": "spam"},
                     csrf).status_code == 403
    [after] = _actions(services)
    assert after.id == row.id
    assert after.lifted_at is None


def test_every_category_is_an_account_action_reason() -> None:
    """The form offers ACTION_REASONS; a category the API accepts is never missing from it."""
    from typing import get_args

    from redbridge.safety.models import ACTION_REASONS
    from redbridge.safety.schemas import Category

    assert set(get_args(Category)) | {"other"} == set(ACTION_REASONS)


def test_moderators_notices_on_the_notifications_page(app: FastAPI, client: TestClient,
                                                      people: dict[str, UserHandle]) -> None:
    response = client.post("/api/v1/moderation/users/target/actions", headers=people["mod"].headers,
                           json={"action": "suspend", "hours": 2, "reason": "spam"})
    assert response.status_code == 201, response.text
    lifted = client.post(f"/api/v1/moderation/users/target/actions/{response.json()['id']}/lift",
                         headers=people["mod"].headers)
    assert lifted.status_code == 200, lifted.text
    login = client.post("/api/v1/auth/login", json={"username": "target", "password": "bridge-over-river-42"})
    assert login.status_code == 200, login.text
    tab = browser(app)
    tab.cookies.set("rb_session", login.json()["token"])
    html = unescape(text_of(get_ok(tab, "/notifications")))
    assert "Redbridge moderators" in html
    assert "A moderator lifted your account's suspension." in html
    assert "Your account was suspended until" in html
    zh = unescape(text_of(get_ok(tab, "/notifications?lang=zh-Hans")))
    assert "审核员解除了你账号的暂停。" in zh
    assert people["mod"].username not in html  # moderators act unnamed
