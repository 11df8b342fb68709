"""Pages bind their CSRF token to the session token's digest, which the viewer knows from the token
itself (``accounts.deps.Viewer.digest``): rendering a page as a logged-in user reads no session row."""

from __future__ import annotations

from fastapi import FastAPI

from redbridge.core.security import csrf_valid, token_digest
from redbridge.core.services import Services
from tests.factories import Factory
from tests.notes.helpers import count_queries
from tests.web.helpers import browser, csrf_of


def test_a_logged_in_page_reads_no_session_row(app: FastAPI, factory: Factory, services: Services) -> None:
    user = factory.user()
    tab = browser(app, user)
    assert tab.get("/").status_code == 200  # the caller is cached from here on
    with count_queries(services) as statements:
        response = tab.get("/")
    assert response.status_code == 200
    assert not [s for s in statements if "auth_sessions" in s], statements
    assert csrf_valid(services.secret, token_digest(user.token), csrf_of(response.text))
