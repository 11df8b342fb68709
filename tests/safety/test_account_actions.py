"""Account actions (docs/moderation.md, "Account actions"): moderators warn, mute, suspend and (admins)
ban accounts, lift them early, act on reported profiles and with removals; mutes and suspensions
are enforced on every write and on login and sessions; the account is told. On a frozen clock, so
an action's end is reached by advancing it, never by waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from redbridge.accounts.models import AuthSession, User
from redbridge.core import ids
from redbridge.core.clock import FrozenClock
from redbridge.core.services import Services
from redbridge.safety import actions
from redbridge.safety.models import AccountAction
from redbridge.safety.schemas import DecisionIn
from redbridge.settings import Settings
from tests.conftest import built_app
from tests.factories import PASSWORD, Factory, UserHandle
from tests.safety.helpers import audit_rows, find_item, install_fake_checker, report, staff


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[FastAPI]:
    with built_app(settings, clock) as application:
        install_fake_checker(application.state.services)
        yield application


@pytest.fixture
def cast(factory: Factory, services: Services) -> dict[str, UserHandle]:
    return {"user": factory.user(), "other": factory.user(), "reporter": factory.user(),
            "mod": staff(factory, services, "moderator"), "mod2": staff(factory, services, "moderator"),
            "admin": staff(factory, services, "admin"), "admin2": staff(factory, services, "admin")}


def act(client: TestClient, by: UserHandle | None, username: str, expected: int = 201, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/moderation/users/{username}/actions", headers=by.headers if by else {},
                           json={"reason": "harassment", **body})
    assert response.status_code == expected, response.text
    out: dict[str, Any] = response.json()
    return out


def lift(client: TestClient, by: UserHandle, username: str, action_id: str, expected: int = 200) -> dict[str, Any]:
    response = client.post(f"/api/v1/moderation/users/{username}/actions/{action_id}/lift", headers=by.headers)
    assert response.status_code == expected, response.text
    out: dict[str, Any] = response.json()
    return out


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code, body
    return body


def post_note(client: TestClient, user: UserHandle, **extra: Any) -> Any:
    return client.post("/api/v1/notes", headers=user.headers,
                       json={"title": "Noodles", "body": "Rich broth #food", **extra})


def notices(client: TestClient, user: UserHandle, lang: str = "en") -> list[dict[str, Any]]:
    response = client.get("/api/v1/notifications", headers=user.headers, params={"lang": lang})
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["actor"] is None]


def login(client: TestClient, user: UserHandle, lang: str = "en") -> Any:
    return client.post("/api/v1/auth/login", params={"lang": lang},
                       json={"username": user.username, "password": PASSWORD})


# ------------------------------------------------------------------------------ input and roles


def test_not_logged_in_wrong_role_and_hostile_input(client: TestClient, cast: dict[str, UserHandle],
                                                    services: Services) -> None:
    user, mod = cast["user"], cast["mod"]
    base = f"/api/v1/moderation/users/{user.username}"
    assert client.get(base).status_code == 401
    assert client.post(f"{base}/actions", json={"action": "warn", "reason": "spam"}).status_code == 401
    assert client.post(f"{base}/actions/1/lift").status_code == 401
    for who in (cast["other"], user):
        assert client.get(base, headers=who.headers).status_code == 403
        error(client.post(f"{base}/actions", headers=who.headers, json={"action": "warn", "reason": "spam"}),
              403, "forbidden")
        assert client.post(f"{base}/actions/1/lift", headers=who.headers).status_code == 403
    before = audit_rows(services)
    for body in (
        {"action": "mute", "reason": "spam"},  # a mute needs its period
        {"action": "suspend", "reason": "spam"},
        {"action": "warn", "reason": "spam", "hours": 3},  # a warning has none
        {"action": "ban", "reason": "spam", "hours": 3},
        {"action": "mute", "reason": "spam", "hours": 0},
        {"action": "mute", "reason": "spam", "hours": 8761},
        {"action": "mute", "reason": "spam", "hours": True},
        {"action": "mute", "reason": "spam", "hours": "3"},
        {"action": "mute", "reason": "spam", "hours": 1.5},
        {"action": "delete", "reason": "spam"},
        {"action": "warn", "reason": "no_violation"},
        {"action": "warn", "reason": "rude\x00"},
        {"action": "warn"},
        {"action": "warn", "reason": "spam", "extra": 1},
        [1], "warn", None,
    ):
        response = client.post(f"{base}/actions", headers=mod.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    for name in ("nobody_here", "x" * 300, "%00", "a b"):
        response = client.post(f"/api/v1/moderation/users/{name}/actions", headers=mod.headers,
                               json={"action": "warn", "reason": "spam"})
        assert response.status_code == 404, (name, response.text)
        assert client.get(f"/api/v1/moderation/users/{name}", headers=mod.headers).status_code == 404
    for action_id in ("nope", "-1", "9" * 300, "123456789"):
        error(client.post(f"{base}/actions/{action_id}/lift", headers=mod.headers), 404, "account_action.not_found")
    assert audit_rows(services) == before  # nothing refused was audited


def test_role_rules(client: TestClient, cast: dict[str, UserHandle], services: Services) -> None:
    mod, mod2, admin, admin2, user = cast["mod"], cast["mod2"], cast["admin"], cast["admin2"], cast["user"]
    warn = {"action": "warn"}
    error(client.post(f"/api/v1/moderation/users/{mod.username}/actions", headers=mod.headers,
                      json={"reason": "spam", **warn}), 403, "account_action.self")
    error(client.post(f"/api/v1/moderation/users/{mod2.username}/actions", headers=mod.headers,
                      json={"reason": "spam", **warn}), 403, "account_action.protected")
    error(client.post(f"/api/v1/moderation/users/{admin.username}/actions", headers=mod.headers,
                      json={"reason": "spam", **warn}), 403, "account_action.protected")
    error(client.post(f"/api/v1/moderation/users/{admin2.username}/actions", headers=admin.headers,
                      json={"reason": "spam", **warn}), 403, "account_action.protected")
    error(client.post(f"/api/v1/moderation/users/{admin.username}/actions", headers=admin.headers,
                      json={"reason": "spam", **warn}), 403, "account_action.self")
    error(client.post(f"/api/v1/moderation/users/{user.username}/actions", headers=mod.headers,
                      json={"reason": "spam", "action": "ban"}), 403, "account_action.admin_only")
    before = audit_rows(services)
    assert act(client, admin, mod2.username, action="warn")["action"] == "warn"  # an admin may act on a moderator
    banned = act(client, admin, user.username, action="ban", reason="spam")
    assert banned["until"] is None
    assert banned["in_force"] is True
    assert banned["moderator"] == admin.username
    assert audit_rows(services) == before + 2
    error(client.post(f"/api/v1/moderation/users/{user.username}/actions/{banned['id']}/lift",
                      headers=mod.headers), 403, "account_action.admin_only")  # lifting a ban: admins too
    lifted = lift(client, admin2, user.username, banned["id"])
    assert lifted["lifted_by"] == admin2.username
    assert lifted["in_force"] is False
    error(client.post(f"/api/v1/moderation/users/{user.username}/actions/{banned['id']}/lift",
                      headers=admin.headers), 409, "account_action.not_in_force")
    other_action = act(client, mod, cast["other"].username, action="warn")
    error(client.post(f"/api/v1/moderation/users/{user.username}/actions/{other_action['id']}/lift",
                      headers=mod.headers), 404, "account_action.not_found")  # not this account's
    error(client.post(f"/api/v1/moderation/users/{cast['other'].username}/actions/{other_action['id']}/lift",
                      headers=mod.headers), 409, "account_action.not_in_force")  # a warning is never in force
    assert audit_rows(services) == before + 4
    with services.sessions() as session:
        actions = [a.action for a in session.scalars(select(AccountAction).order_by(AccountAction.id))]
    assert actions == ["warn", "ban", "warn"]


# -------------------------------------------------------------------------------------- mutes


def test_mute_stops_posting_until_its_end(client: TestClient, cast: dict[str, UserHandle], clock: FrozenClock,
                                          factory: Factory, services: Services) -> None:
    user, mod, other = cast["user"], cast["mod"], cast["other"]
    theirs = post_note(client, other).json()
    mine = post_note(client, user).json()
    muted = act(client, mod, user.username, action="mute", hours=24, reason="spam")
    until = datetime.fromisoformat(muted["until"])
    assert until == clock.now() + timedelta(hours=24)

    body = error(post_note(client, user), 403, "account.muted")
    assert datetime.fromisoformat(str(body["fields"]["until"])) == until
    assert "muted until" in body["message"]
    zh = client.post("/api/v1/notes?lang=zh-Hans", headers=user.headers, json={"title": "面", "body": "好吃"})
    assert "禁言" in error(zh, 403, "account.muted")["message"]
    error(client.patch(f"/api/v1/notes/{mine['id']}", headers=user.headers, json={"body": "edited"}),
          403, "account.muted")
    error(client.post(f"/api/v1/notes/{theirs['id']}/comments", headers=user.headers, json={"body": "hi"}),
          403, "account.muted")
    error(client.patch("/api/v1/auth/me", headers=user.headers, json={"bio": "new bio"}), 403, "account.muted")
    error(client.patch("/api/v1/auth/me", headers=user.headers, json={"display_name": "New"}), 403, "account.muted")
    # Reading, liking, following and settings stay open.
    assert client.patch("/api/v1/auth/me", headers=user.headers, json={"ui_lang": "zh-Hans"}).status_code == 200
    assert client.get(f"/api/v1/notes/{theirs['id']}", headers=user.headers).status_code == 200
    assert client.post(f"/api/v1/notes/{theirs['id']}/like", headers=user.headers).status_code == 200
    assert client.post(f"/api/v1/users/{other.username}/follow", headers=user.headers).status_code == 200
    assert login(client, user).status_code == 200  # a mute is not a suspension

    history = client.get(f"/api/v1/moderation/users/{user.username}", headers=mod.headers).json()
    assert history["standing"] == "muted"
    assert history["counts"]["actions"] == 1
    assert history["actions"][0]["id"] == muted["id"]

    clock.advance(hours=24, seconds=1)
    assert post_note(client, user).status_code == 201
    history = client.get(f"/api/v1/moderation/users/{user.username}", headers=mod.headers).json()
    assert history["standing"] == "ok"
    assert history["actions"][0]["in_force"] is False


def test_lift_and_overlapping_mutes(client: TestClient, cast: dict[str, UserHandle], clock: FrozenClock,
                                    services: Services) -> None:
    user, mod, mod2 = cast["user"], cast["mod"], cast["mod2"]
    long = act(client, mod, user.username, action="mute", hours=72)
    short = act(client, mod2, user.username, action="mute", hours=1)
    clock.advance(hours=2)  # the shorter mute is over; the longer one still holds
    error(post_note(client, user), 403, "account.muted")
    error(client.post(f"/api/v1/moderation/users/{user.username}/actions/{short['id']}/lift", headers=mod.headers),
          409, "account_action.not_in_force")
    before = audit_rows(services)
    lifted = lift(client, mod2, user.username, long["id"])  # any moderator may lift it
    assert lifted["lifted_by"] == mod2.username
    assert audit_rows(services) == before + 1
    assert post_note(client, user).status_code == 201
    with services.sessions() as session:
        row = session.scalar(select(User).where(User.username == user.username))
        assert row is not None
        assert row.muted_until is None
    messages = [n["message"] for n in notices(client, user)]
    assert messages[0] == "A moderator lifted your account's mute."
    assert sum("muted until" in m for m in messages) == 2


# -------------------------------------------------------------------------------- suspensions


def test_suspension_ends_sessions_and_refuses_login(client: TestClient, cast: dict[str, UserHandle],
                                                   clock: FrozenClock, services: Services) -> None:
    user, mod = cast["user"], cast["mod"]
    assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 200  # the caller is cached now
    suspended = act(client, mod, user.username, action="suspend", hours=48, reason="threat")
    assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 401
    with services.sessions() as session:
        assert all(s.revoked_at is not None for s in session.scalars(
            select(AuthSession).where(AuthSession.user_id == user.int_id)))
    body = error(login(client, user), 403, "account.suspended")
    assert datetime.fromisoformat(str(body["fields"]["until"])) == datetime.fromisoformat(suspended["until"])
    assert "暂停" in error(login(client, user, "zh-Hans"), 403, "account.suspended")["message"]
    # A wrong password says nothing about the suspension.
    wrong = client.post("/api/v1/auth/login", json={"username": user.username, "password": "not-it-at-all-9"})
    error(wrong, 401, "auth.invalid")
    history = client.get(f"/api/v1/moderation/users/{user.username}", headers=mod.headers).json()
    assert history["standing"] == "suspended"
    clock.advance(hours=48, seconds=1)
    fresh = login(client, user)
    assert fresh.status_code == 200, fresh.text


def test_session_check_refuses_a_suspended_account_even_unrevoked(client: TestClient, cast: dict[str, UserHandle],
                                                                  clock: FrozenClock, services: Services) -> None:
    user, mod = cast["user"], cast["mod"]
    act(client, mod, user.username, action="suspend", hours=1)
    token = login_after_restoring_a_session(services, user, clock)
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def login_after_restoring_a_session(services: Services, user: UserHandle, clock: FrozenClock) -> str:
    """Un-revoke the account's sessions by hand (as a bug elsewhere might): the session lookup must
    still refuse them while the suspension is in force."""
    from sqlalchemy import update
    with services.sessions() as session:
        session.execute(update(AuthSession).where(AuthSession.user_id == user.int_id).values(revoked_at=None))
        session.commit()
    return user.token


def test_unsuspend_and_ban(client: TestClient, cast: dict[str, UserHandle], clock: FrozenClock) -> None:
    user, mod, admin = cast["user"], cast["mod"], cast["admin"]
    suspended = act(client, mod, user.username, action="suspend", hours=100)
    lift(client, mod, user.username, suspended["id"])
    assert login(client, user).status_code == 200
    banned = act(client, admin, user.username, action="ban", reason="slur")
    body = error(login(client, user), 403, "account.suspended")
    assert body["fields"]["until"] == "never"
    assert "banned" in body["message"]
    history = client.get(f"/api/v1/moderation/users/{user.username}", headers=mod.headers).json()
    assert history["standing"] == "banned"
    assert history["suspended_until"] is None
    clock.advance(days=3650)
    error(login(client, user), 403, "account.suspended")
    again = login(client, admin)  # the admin's own session has expired by now
    assert again.status_code == 200, again.text
    fresh = UserHandle(id=admin.id, username=admin.username, token="", csrf_token="",
                       headers={"Authorization": f"Bearer {again.json()['token']}"})
    lift(client, fresh, user.username, banned["id"])
    assert login(client, user).status_code == 200


# ---------------------------------------------------------------------- decisions with actions


def test_reported_profile_decided_with_an_account_action(client: TestClient, cast: dict[str, UserHandle],
                                                         services: Services) -> None:
    user, mod, reporter, other = cast["user"], cast["mod"], cast["reporter"], cast["other"]
    report(client, reporter, "user", user.username, "harassment")
    report(client, other, "user", user.username, "spam")
    item = find_item(client, mod, user.id)
    assert item is not None
    url = f"/api/v1/moderation/queue/{item['id']}/decision"
    for body, code in (
        ({"action": "remove", "reason": "spam"}, "moderation.action_unsupported"),
        ({"action": "label", "reason": "spam"}, "moderation.action_unsupported"),
        ({"action": "act", "reason": "spam"}, "decision.account_required"),
        ({"action": "approve", "reason": "no_violation", "account": {"action": "warn"}}, "decision.account_unsupported"),
        ({"action": "act", "reason": "no_violation", "account": {"action": "warn"}}, "decision.reason_invalid"),
    ):
        error(client.post(url, headers=mod.headers, json=body), 422, code)
    for body in ({"action": "act", "reason": "spam", "account": {"action": "mute"}},
                 {"action": "act", "reason": "spam", "account": {"action": "mute", "hours": -1}},
                 {"action": "act", "reason": "spam", "account": "mute"}):
        assert client.post(url, headers=mod.headers, json=body).status_code == 422
    error(client.post(url, headers=mod.headers, json={"action": "act", "reason": "spam",
                                                      "account": {"action": "ban"}}), 403, "account_action.admin_only")
    before = audit_rows(services)
    response = client.post(url, headers=mod.headers,
                           json={"action": "act", "reason": "harassment", "account": {"action": "mute", "hours": 12}})
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["outcome"] == "actioned"
    assert out["reports_resolved"] == 2
    assert out["account_action"]["action"] == "mute"
    assert out["account_action"]["queue_item_id"] == item["id"]
    assert audit_rows(services) == before + 1  # one audit row for the decision, with the action in it
    error(post_note(client, user), 403, "account.muted")
    mine = client.get("/api/v1/reports/mine", headers=reporter.headers).json()["items"]
    assert mine[0]["outcome"] == "actioned"
    told = notices(client, reporter)
    assert told[0]["kind"] == "report"
    assert told[0]["details"]["outcome"] == "actioned"
    assert told[0]["message"] == "Thank you for your report: a moderator acted on the account you reported."
    assert "举报" in notices(client, other, "zh-Hans")[0]["message"]
    account = notices(client, user)
    assert [n["kind"] for n in account] == ["account"]
    assert account[0]["details"]["action"] == "mute"
    assert "harassment" in account[0]["message"]


def test_removal_with_an_account_action_and_who_is_told(client: TestClient, cast: dict[str, UserHandle],
                                                        services: Services) -> None:
    user, mod, reporter = cast["user"], cast["mod"], cast["reporter"]
    note = post_note(client, user).json()
    report(client, reporter, "note", note["id"], "spam")
    item = find_item(client, mod, note["id"])
    assert item is not None
    url = f"/api/v1/moderation/queue/{item['id']}/decision"
    error(client.post(url, headers=mod.headers, json={"action": "label", "reason": "spam",
                                                      "account": {"action": "warn"}}), 422, "decision.account_unsupported")
    error(client.post(url, headers=mod.headers, json={"action": "act", "reason": "spam",
                                                      "account": {"action": "warn"}}), 422, "moderation.action_unsupported")
    response = client.post(url, headers=mod.headers, json={"action": "remove", "reason": "spam",
                                                           "account": {"action": "suspend", "hours": 2}})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "removed"
    assert response.json()["account_action"]["action"] == "suspend"
    assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 401
    # The author reads why, once they can log in again: their note, removed, with the reason.
    with services.sessions() as session:
        rows = list(session.scalars(select(AccountAction).where(AccountAction.user_id == user.int_id)))
    assert [(r.action, r.reason) for r in rows] == [("suspend", "spam")]
    told = notices(client, reporter)
    assert told[0]["details"] == {"subject": "note", "outcome": "removed"}
    assert told[0]["note"] is None


def test_a_moderator_cannot_act_on_an_admins_content(client: TestClient, cast: dict[str, UserHandle]) -> None:
    admin, mod, reporter = cast["admin"], cast["mod"], cast["reporter"]
    note = post_note(client, admin).json()
    report(client, reporter, "note", note["id"], "spam")
    item = find_item(client, mod, note["id"])
    assert item is not None
    response = client.post(f"/api/v1/moderation/queue/{item['id']}/decision", headers=mod.headers,
                           json={"action": "remove", "reason": "spam", "account": {"action": "warn"}})
    error(response, 403, "account_action.protected")
    assert client.get(f"/api/v1/notes/{note['id']}", headers=reporter.headers).status_code == 200  # nothing moved


# ------------------------------------------------------------------------- two moderators at once


def test_a_second_account_action_builds_on_the_first(client: TestClient, cast: dict[str, UserHandle],
                                                     services: Services, clock: FrozenClock,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Two moderators decide two queue items about one account at the same time — a removal of
    its note with a 72-hour mute, and its reported profile with a 1-hour mute: the account row must
    end muted for 72 hours whichever commits last. On PostgreSQL the two run in two threads and the
    first is held open until the second is seen waiting for a lock. A decision only refers to the
    account row (a foreign key's share lock, which a mute's update does not block), so without the
    row lock in ``_act_in_tx`` the second reads the account's actions before the first commits and
    then writes its 1-hour end over the 72 hours. SQLite serialises writers at BEGIN, so there the
    two run one after the other (the second still has to see the first)."""
    user, mod, mod2, reporter = cast["user"], cast["mod"], cast["mod2"], cast["reporter"]
    note = post_note(client, user).json()
    report(client, reporter, "note", note["id"], "spam")
    report(client, reporter, "user", user.username, "harassment")
    items = [find_item(client, mod, note["id"]), find_item(client, mod2, user.id)]
    assert None not in items
    note_item, profile_item = (ids.decode(i["id"]) for i in items if i is not None)
    assert note_item is not None
    assert profile_item is not None
    now = clock.now()

    def decide(handle: UserHandle, item_id: int, body: dict[str, Any]) -> None:
        with services.sessions() as session:
            moderator = session.get(User, handle.int_id)
            assert moderator is not None
            actions.decide(session, now, moderator, item_id, DecisionIn.model_validate(body))

    def long_mute() -> None:
        decide(mod, note_item, {"action": "remove", "reason": "spam", "account": {"action": "mute", "hours": 72}})

    def short_mute() -> None:
        decide(mod2, profile_item, {"action": "act", "reason": "harassment",
                                    "account": {"action": "mute", "hours": 1}})

    if services.settings.is_sqlite:
        long_mute()
        short_mute()
    else:
        held, release = threading.Event(), threading.Event()
        original = actions.audit

        def audit_then_hold(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if threading.current_thread().name == "long-mute":
                held.set()  # the mute is written, its transaction still open
                assert release.wait(timeout=60)
            return result

        monkeypatch.setattr(actions, "audit", audit_then_hold)
        failures: list[BaseException] = []

        def run(target: Any) -> None:
            try:
                target()
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        first = threading.Thread(target=run, args=(long_mute,), name="long-mute")
        second = threading.Thread(target=run, args=(short_mute,), name="short-mute")
        first.start()
        assert held.wait(timeout=60)
        second.start()
        try:
            # The decision must queue behind the open mute on a row lock (the account row).
            with services.engine.connect() as probe:
                for _ in range(6000):
                    waiting = probe.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()")).scalar()
                    if waiting or not second.is_alive():
                        break
                    probe.rollback()
                    time.sleep(0.01)  # polling for a state, not a deadline
        finally:
            release.set()
            first.join(timeout=60)
            second.join(timeout=60)
        assert not failures, failures

    with services.sessions() as session:
        row = session.get(User, user.int_id)
        assert row is not None
        assert row.muted_until == now + timedelta(hours=72)
        mutes = sorted(a.until for a in session.scalars(select(AccountAction).where(AccountAction.user_id == user.int_id)))
    assert mutes == [now + timedelta(hours=1), now + timedelta(hours=72)]
