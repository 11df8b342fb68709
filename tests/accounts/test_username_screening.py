"""Usernames go through the moderation pipeline at signup, with their words split where a reader
splits them (underscores, CamelCase, digits): abuse in a name is refused at the username field,
in the caller's language, the traps pass, and nothing is stored."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from redbridge.accounts.models import User
from redbridge.core.services import Services
from redbridge.moderation.screening import username_words
from tests.factories import PASSWORD
from tests.web.helpers import browser, csrf_of, find, get_ok, post_form

REFUSED = ["nazi_Scum88", "KillYourself", "kys_now", "cnm666", "fuck_you", "vx_12345678", "go_kill_yourself"]
PASSING = ["alice", "hotpot_lover_2025", "Penistone_fan", "assassins_creed", "cocktail_queen", "killing_it",
           "ChengduHotpot", "this_ramen_slaps"]


def _users(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def test_words_are_split_where_a_reader_splits_them() -> None:
    assert username_words("nazi_Scum88") == "nazi Scum 88"
    assert username_words("KillYourself") == "Kill Yourself"
    assert username_words("__a__b__") == "a b"
    assert username_words("ABC") == "ABC"  # an acronym stays one word


@pytest.mark.parametrize("username", REFUSED)
def test_abusive_usernames_are_refused_at_the_field(client: TestClient, services: Services, username: str) -> None:
    before = _users(services)
    r = client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "moderation.username_rejected"
    assert error["fields"]["username"] == "rejected"
    assert error["fields"]["reasons"]
    assert _users(services) == before


def test_the_traps_pass(client: TestClient) -> None:
    for username in PASSING:
        r = client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
        assert r.status_code == 201, (username, r.text)


def test_refused_in_chinese_and_on_the_signup_page_with_what_was_typed(app: FastAPI, client: TestClient) -> None:
    r = client.post("/api/v1/auth/signup", headers={"Accept-Language": "zh-CN"},
                    json={"username": "fuck_you", "password": PASSWORD})
    assert r.json()["error"]["message"] == "该用户名不能使用：违反了社区规则。请换一个。"
    tab = browser(app)
    page = get_ok(tab, "/signup")
    refused = post_form(tab, "/signup", {"username": "KillYourself", "password": PASSWORD}, csrf_of(page))
    assert refused.status_code == 422
    errors = find(refused.text, "p", id="username-error")
    assert len(errors) == 1
    assert "This username can't be used" in errors[0].text
    assert 'value="KillYourself"' in refused.text
