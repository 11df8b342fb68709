"""In a real browser, with surge mode on: the signup page's proof-of-work (static/js/proof.js)
solves the page's challenge, fills in the nonce, and the account is created."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, Tab, unique
from tests.engagement.helpers import make_admin
from tests.factories import PASSWORD, UserHandle

pytestmark = pytest.mark.e2e


@pytest.fixture
def surge_on(live_server: LiveServer) -> Iterator[UserHandle]:
    """Surge mode on for this test only: the live server is shared by the worker's browser tests."""
    admin = live_server.user("surgeadmin")
    make_admin(live_server.app.state.services, admin)

    def switch(mode: str) -> None:
        response = live_server.http.put("/api/v1/admin/surge", headers=admin.headers, json={"mode": mode})
        assert response.status_code == 200, response.text

    switch("on")
    try:
        yield admin
    finally:
        switch("auto")


def test_signup_in_surge_mode_solves_the_proof_in_the_browser(tab: Tab, live_server: LiveServer,
                                                               surge_on: UserHandle) -> None:
    assert live_server.http.get("/api/v1/auth/challenge").json()["required"] is True
    page = tab.goto("/signup")
    form = page.locator("main form[action='/signup']")
    # The check runs on its own (no click needed) and says when it is done.
    expect(page.locator("[data-proof]")).to_have_text("Check done: you can sign up.")
    challenge = form.locator("input[name=challenge]").get_attribute("value")
    nonce = form.locator("input[name=nonce]").get_attribute("value")
    assert challenge, "no challenge on the page"
    assert nonce, "the nonce was not filled in"

    username = unique("surged")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/onboarding"))
    profile = live_server.http.get(f"/api/v1/users/{username}")
    assert profile.status_code == 200, profile.text
    # What the browser solved was spent on this account: the same proof signs up no one else.
    again = live_server.http.post("/api/v1/auth/signup", json={
        "username": unique("replay"), "password": PASSWORD, "challenge": challenge, "nonce": nonce})
    assert again.status_code == 422, again.text
    assert again.json()["error"]["code"] == "signup.proof_used"
