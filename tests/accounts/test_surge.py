"""Surge mode (``moderation.surge``) and its signup proof-of-work (``accounts.proof``): the admin
switch, the challenge, signup with and without a valid proof, replay and expiry, the page, a burst,
and the tighter new-account limits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from redbridge.accounts import proof
from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.errors import AppError
from redbridge.core.services import Services
from redbridge.moderation import queue
from redbridge.moderation.models import AuditEntry
from redbridge.settings import Settings, SpamSettings, TrustLimits
from tests.accounts.proof_client import solve
from tests.conftest import prepare_schema
from tests.engagement.helpers import make_admin
from tests.factories import PASSWORD, Factory, UserHandle
from tests.web.helpers import browser

BITS = 8  # cheap for the tests; the default is 16
_names = count()


@contextmanager
def surge_app(settings: Settings, **spam: Any) -> Iterator[FastAPI]:
    big = TrustLimits(note=(100_000, 3600), comment=(100_000, 3600), follow=(100_000, 3600))
    values: dict[str, Any] = {f"limits_{level}": big for level in ("new", "basic", "trusted", "surge")}
    values |= {"pow_bits": BITS, **spam}
    app = create_app(settings.model_copy(update={"spam": SpamSettings(**values)}), SystemClock())
    prepare_schema(app.state.services)
    try:
        yield app
    finally:
        app.state.services.close()


@pytest.fixture
def surged(settings: Settings) -> Iterator[tuple[TestClient, Factory]]:
    with surge_app(settings) as app, TestClient(app) as client:
        factory = Factory(client, app.state.services)
        admin = factory.user()
        make_admin(app.state.services, admin)
        assert client.put("/api/v1/admin/surge", headers=admin.headers, json={"mode": "on"}).status_code == 200
        yield client, factory


def _name() -> str:
    return f"surge{next(_names)}"


def _solved(client: TestClient) -> dict[str, str]:
    challenge = client.get("/api/v1/auth/challenge").json()
    assert challenge["required"] is True
    assert challenge["bits"] == BITS
    assert challenge["algorithm"] == "sha256"
    return {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], challenge["bits"])}


def _signup(client: TestClient, extra: dict[str, Any], lang: str = "en") -> Any:
    return client.post("/api/v1/auth/signup", params={"lang": lang},
                       json={"username": _name(), "password": PASSWORD, **extra})


# ------------------------------------------------------------------------------------ the switch


def test_the_switch_needs_an_admin_and_a_valid_mode(client: TestClient, factory: Factory, services: Services) -> None:
    assert client.get("/api/v1/admin/surge").status_code == 401
    assert client.put("/api/v1/admin/surge", json={"mode": "on"}).status_code == 401
    user, moderator, admin = factory.user(), factory.user(), factory.user()
    make_admin(services, admin)
    with services.sessions() as session:
        from sqlalchemy import update

        from redbridge.accounts.models import User
        session.execute(update(User).where(User.id == moderator.int_id).values(role="moderator"))
        session.commit()
    for who in (user, moderator):
        assert client.get("/api/v1/admin/surge", headers=who.headers).status_code == 403
        assert client.put("/api/v1/admin/surge", headers=who.headers, json={"mode": "on"}).status_code == 403
    for bad in ({"mode": "maybe"}, {"mode": ""}, {}, {"mode": 1}, {"mode": "on", "extra": 1}, [], "on",
                {"mode": "on\x00"}):
        response = client.put("/api/v1/admin/surge", headers=admin.headers, json=bad)
        assert response.status_code == 422, bad
    state = client.get("/api/v1/admin/surge", headers=admin.headers).json()
    assert state == {"mode": "auto", "active": False, "queue_open": 0,
                     "threshold": services.settings.spam.surge_queue_threshold, "changed_by": None, "changed_at": None}
    before = _audit_rows(services)
    answer = client.put("/api/v1/admin/surge", headers=admin.headers, json={"mode": "on"}).json()
    assert (answer["mode"], answer["active"], answer["changed_by"]) == ("on", True, admin.username)
    assert _audit_rows(services) == before + 1
    with services.sessions() as session:
        row = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert row is not None
        assert (row.action, row.details) == ("surge.set", {"from": "auto", "to": "on"})
    assert client.put("/api/v1/admin/surge", headers=admin.headers, json={"mode": "off"}).json()["active"] is False


def _audit_rows(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_auto_turns_on_past_the_queue_threshold(settings: Settings) -> None:
    with surge_app(settings, surge_queue_threshold=2) as app, TestClient(app) as client:
        services: Services = app.state.services
        author = Factory(client, services).user()
        assert client.get("/api/v1/auth/challenge").json()["required"] is False
        for subject in range(1, 4):
            with services.sessions() as session, session.begin():
                queue.open_item(session, services.clock.now(), "note", subject, author.int_id,
                                categories=["spam"], held=True)
            assert client.get("/api/v1/auth/challenge").json()["required"] is (subject > 2)
        # Without a proof, signup is refused now.
        assert _signup(client, {}).status_code == 422


# ------------------------------------------------------------------------------- proof-of-work


def test_signup_in_surge_mode_needs_a_valid_proof(surged: tuple[TestClient, Factory]) -> None:
    client, _factory = surged
    missing = _signup(client, {})
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "signup.proof_required"
    assert "JavaScript" in missing.json()["error"]["message"]
    zh = _signup(client, {}, lang="zh")
    assert zh.json()["error"]["code"] == "signup.proof_required"
    assert "JavaScript" in zh.json()["error"]["message"]
    assert zh.json()["error"]["message"] != missing.json()["error"]["message"]
    assert _signup(client, _solved(client)).status_code == 201


def test_a_replayed_challenge_fails(surged: tuple[TestClient, Factory]) -> None:
    client, _factory = surged
    solved = _solved(client)
    assert _signup(client, solved).status_code == 201
    replay = _signup(client, solved)
    assert replay.status_code == 422
    assert replay.json()["error"]["code"] == "signup.proof_used"


def test_a_refused_signup_keeps_its_proof(surged: tuple[TestClient, Factory]) -> None:
    client, _factory = surged
    taken = _name()
    assert client.post("/api/v1/auth/signup", json={"username": taken, "password": PASSWORD,
                                                    **_solved(client)}).status_code == 201
    solved = _solved(client)
    refused = client.post("/api/v1/auth/signup", json={"username": taken, "password": PASSWORD, **solved})
    assert refused.status_code == 409
    # The cheap checks run before the proof is spent: the same proof still signs up a free name.
    answer = _signup(client, solved)
    assert answer.status_code == 201, answer.text


def test_a_signed_challenge_weaker_than_required_fails() -> None:
    secret, now = b"test-secret", datetime.now(UTC)
    weak = proof.issue(secret, now, BITS - 1, 300)
    nonce = solve(weak.challenge, BITS - 1)
    assert proof.check(secret, now, weak.challenge, nonce, BITS - 1)
    with pytest.raises(AppError) as refused:
        proof.check(secret, now, weak.challenge, nonce, BITS)
    assert refused.value.code == "signup.proof_invalid"


@pytest.mark.parametrize("tamper", ["nonce", "bits", "mac", "shape", "hostile"])
def test_a_wrong_or_forged_proof_fails(surged: tuple[TestClient, Factory], tamper: str) -> None:
    client, _factory = surged
    solved = _solved(client)
    challenge_id, expires, bits, mac = solved["challenge"].split(".")
    if tamper == "nonce":
        # A nonce that does not solve it (the first that fails).
        solved["nonce"] = next(str(n) for n in range(10**6) if proof.leading_zero_bits(
            hashlib.sha256(f"{solved['challenge']}{n}".encode()).digest()) < BITS)
    elif tamper == "bits":  # a weaker difficulty under the old signature
        solved["challenge"] = f"{challenge_id}.{expires}.0.{mac}"
    elif tamper == "mac":
        solved["challenge"] = f"{challenge_id}.{int(expires) + 3600}.{bits}.{mac}"
    elif tamper == "shape":
        solved["challenge"] = "not-a-challenge"
    else:
        solved["nonce"] = "../../\x00" * 5
    response = _signup(client, solved)
    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("signup.proof_invalid", "signup.proof_required")


def test_an_expired_challenge_fails(settings: Settings) -> None:
    with surge_app(settings) as app, TestClient(app) as client:
        services: Services = app.state.services
        factory = Factory(client, services)
        admin = factory.user()
        make_admin(services, admin)
        client.put("/api/v1/admin/surge", headers=admin.headers, json={"mode": "on"})
        old = proof.issue(services.secret, services.clock.now() - timedelta(seconds=600), BITS, 300)
        response = _signup(client, {"challenge": old.challenge, "nonce": solve(old.challenge, BITS)})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "signup.proof_expired"


def test_oversized_proof_fields_are_422(surged: tuple[TestClient, Factory]) -> None:
    client, _factory = surged
    for extra in ({"challenge": "x" * 201, "nonce": "1"}, {"challenge": "x", "nonce": "1" * 65},
                  {"challenge": 5, "nonce": []}):
        assert _signup(client, extra).status_code == 422


def test_surge_off_needs_no_proof(client: TestClient, factory: Factory) -> None:
    assert client.get("/api/v1/auth/challenge").json()["required"] is False
    assert _signup(client, {}).status_code == 201


def test_a_burst_of_signups_in_surge_mode_is_answered(surged: tuple[TestClient, Factory]) -> None:
    client, _factory = surged
    statuses = [_signup(client, _solved(client) if i % 2 else {}).status_code for i in range(20)]
    assert statuses == [422, 201] * 10


def test_the_signup_page_carries_the_challenge_and_a_noscript_note(surged: tuple[TestClient, Factory]) -> None:
    client, _factory = surged
    page = browser(client.app)  # type: ignore[arg-type]
    html = page.get("/signup").text
    assert 'data-proof' in html
    assert 'name="challenge"' in html
    assert 'name="nonce"' in html
    assert "<noscript>" in html
    assert "JavaScript" in html
    form = page.get("/signup")
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    challenge = html.split('name="challenge" value="')[1].split('"')[0]
    refused = page.post("/signup", data={"csrf_token": csrf, "username": _name(), "password": PASSWORD})
    assert refused.status_code == 422
    assert "JavaScript" in refused.text
    csrf = refused.text.split('name="csrf_token" value="')[1].split('"')[0]
    fresh = refused.text.split('name="challenge" value="')[1].split('"')[0]
    assert fresh != challenge
    done = page.post("/signup", data={"csrf_token": csrf, "username": _name(), "password": PASSWORD,
                                      "challenge": fresh, "nonce": solve(fresh, BITS)},
                     follow_redirects=False)
    assert done.status_code in (302, 303), done.text


def test_new_accounts_get_the_surge_limits(settings: Settings) -> None:
    tight = TrustLimits(note=(1, 3600), comment=(1, 3600), follow=(1, 3600))
    with surge_app(settings, limits_surge=tight) as app, TestClient(app) as client:
        services: Services = app.state.services
        factory = Factory(client, services)
        newcomer: UserHandle = factory.user()
        admin = factory.user()
        make_admin(services, admin)
        for _ in range(2):
            assert client.post("/api/v1/notes", headers=newcomer.headers,
                               json={"title": "t", "body": "b"}).status_code == 201
        client.put("/api/v1/admin/surge", headers=admin.headers, json={"mode": "on"})
        assert client.post("/api/v1/notes", headers=newcomer.headers, json={"title": "t", "body": "b"}).status_code == 201
        refused = client.post("/api/v1/notes", headers=newcomer.headers, json={"title": "t", "body": "b"})
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
