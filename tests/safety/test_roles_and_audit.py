"""Who may call what (a role × endpoint matrix over every moderation and admin route the app has),
the audit row every staff write leaves, and granting roles (docs/moderation.md, "Audit log and roles")."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Route

from redbridge.app import _all_routes
from redbridge.core.services import Services
from tests.factories import Factory, UserHandle
from tests.moderation.pictures import jpeg, picture
from tests.safety.helpers import audit_rows, find_item, removal, report, staff

ROLES = ("anonymous", "user", "moderator", "admin")
_picture_seeds = itertools.count(5000)  # the image blocklist's rows: each call blocks a new picture
STAFF_PREFIXES = ("/api/v1/moderation", "/api/v1/admin")
# Routes under those prefixes that any account may call about its own content (the lowest role
# "user"): not staff actions, so they write no audit row. Each is called by an account of the role
# under test as the author of the content (``World.caller``); another account gets 404 (tests/safety/test_appeals.py).


@dataclass
class World:
    client: TestClient
    factory: Factory
    services: Services
    users: dict[str, UserHandle]
    reporter: UserHandle
    remover: UserHandle  # a moderator of its own, so every role under test may decide its removals' appeals
    caller: str = "anonymous"  # the role the matrix is calling as

    def author(self) -> UserHandle:
        return self.users.get(self.caller) or self.users["user"]

    def removed_decision(self) -> str:
        """The id of a fresh removal of the caller's own note (what its author appeals)."""
        return removal(self.client, self.author(), self.remover, self.reporter)[1]

    def open_appeal(self) -> str:
        """A fresh open appeal (someone else's note, removed by ``remover``)."""
        author = self.factory.user()
        _, decision_id = removal(self.client, author, self.remover, self.reporter)
        response = self.client.post(f"/api/v1/moderation/decisions/{decision_id}/appeal", headers=author.headers,
                                    json={"text": "It was a joke"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def rule(self) -> str:
        """A fresh administrator's rule (the rules editor's routes)."""
        response = self.client.post("/api/v1/admin/moderation/rules", headers=self.users["admin"].headers,
                                    json={"pattern": f"matrix phrase {self.factory.user().username}", "category": "spam"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def overridden_shipped(self) -> str:
        """A shipped rule's id, overridden (so its override can be removed)."""
        rule_id = "spam_zh:vx"
        response = self.client.put("/api/v1/admin/moderation/rules/shipped/override", params={"id": rule_id},
                                   headers=self.users["admin"].headers, json={"enabled": False})
        assert response.status_code == 200, response.text
        return rule_id

    def open_item(self) -> str:
        """A fresh open queue item (someone else's note, reported)."""
        note = self.factory.note(self.factory.user(), images=0)
        report(self.client, self.reporter, "note", note["id"])
        item = find_item(self.client, self.users["admin"], note["id"])
        assert item is not None
        return str(item["id"])

    def muted_account(self) -> tuple[str, str]:
        """A fresh account muted by an admin: (its username, the mute's id), for lifting."""
        target = self.factory.user()
        response = self.client.post(f"/api/v1/moderation/users/{target.username}/actions",
                                    headers=self.users["admin"].headers,
                                    json={"action": "mute", "hours": 6, "reason": "spam"})
        assert response.status_code == 201, response.text
        return target.username, str(response.json()["id"])

    def picture_media(self) -> str:
        """A fresh upload of a picture nobody blocked yet (its own seed: unrelated to every other)."""
        return str(self.factory.upload(self.factory.user(), jpeg(picture(next(_picture_seeds))), "p.jpg",
                                       "image/jpeg")["id"])

    def image_block(self) -> str:
        """A fresh blocklist entry (added by an admin), for taking off the list."""
        response = self.client.post("/api/v1/moderation/image-blocklist", headers=self.users["admin"].headers,
                                    json={"media_id": self.picture_media(), "category": "other"})
        assert response.status_code == 201, response.text
        return str(response.json()["items"][0]["id"])

    def example(self) -> str:
        """A fresh semantic example (marked by an admin), for disabling."""
        response = self.client.post("/api/v1/moderation/examples", headers=self.users["admin"].headers,
                                    json={"text": "Send me 0.1 BTC and get 0.2 BTC back in an hour", "category": "spam"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


# (method, path template) → (the lowest role allowed, how to build (url, json) for a call).
Call = Callable[[World], tuple[str, Any]]
ENDPOINTS: dict[tuple[str, str], tuple[str, Call]] = {
    ("GET", "/api/v1/moderation/queue"): ("moderator", lambda w: ("/api/v1/moderation/queue", None)),
    ("GET", "/api/v1/moderation/queue/{item_id}"):
        ("moderator", lambda w: (f"/api/v1/moderation/queue/{w.open_item()}", None)),
    ("POST", "/api/v1/moderation/queue/{item_id}/decision"):
        ("moderator", lambda w: (f"/api/v1/moderation/queue/{w.open_item()}/decision",
                                 {"action": "remove", "reason": "spam"})),
    ("GET", "/api/v1/moderation/mine"): ("user", lambda w: ("/api/v1/moderation/mine", None)),
    ("POST", "/api/v1/moderation/decisions/{decision_id}/appeal"):
        ("user", lambda w: (f"/api/v1/moderation/decisions/{w.removed_decision()}/appeal", {"text": "Please look again"})),
    ("GET", "/api/v1/moderation/appeals"): ("moderator", lambda w: ("/api/v1/moderation/appeals", None)),
    ("POST", "/api/v1/moderation/appeals/{appeal_id}/decision"):
        ("moderator", lambda w: (f"/api/v1/moderation/appeals/{w.open_appeal()}/decision",
                                 {"action": "reinstate", "reason": "no_violation"})),
    ("GET", "/api/v1/moderation/audit"): ("admin", lambda w: ("/api/v1/moderation/audit", None)),
    ("GET", "/api/v1/moderation/users/{username}"):
        ("moderator", lambda w: (f"/api/v1/moderation/users/{w.reporter.username}", None)),
    ("POST", "/api/v1/moderation/users/{username}/actions"):
        ("moderator", lambda w: (f"/api/v1/moderation/users/{w.factory.user().username}/actions",
                                 {"action": "mute", "hours": 24, "reason": "harassment"})),
    ("POST", "/api/v1/moderation/users/{username}/actions/{action_id}/lift"):
        ("moderator", lambda w: ("/api/v1/moderation/users/{}/actions/{}/lift".format(*w.muted_account()), None)),
    ("POST", "/api/v1/moderation/image-blocklist"):
        ("moderator", lambda w: ("/api/v1/moderation/image-blocklist",
                                 {"media_id": w.picture_media(), "category": "sexual"})),
    ("GET", "/api/v1/moderation/image-blocklist"): ("moderator", lambda w: ("/api/v1/moderation/image-blocklist", None)),
    ("DELETE", "/api/v1/moderation/image-blocklist/{entry_id}"):
        ("moderator", lambda w: (f"/api/v1/moderation/image-blocklist/{w.image_block()}", None)),
    ("GET", "/api/v1/admin/moderation/rules"): ("moderator", lambda w: ("/api/v1/admin/moderation/rules", None)),
    ("POST", "/api/v1/admin/moderation/rules"):
        ("admin", lambda w: ("/api/v1/admin/moderation/rules",
                             {"pattern": f"matrix new {w.factory.user().username}", "category": "spam"})),
    ("GET", "/api/v1/admin/moderation/rules/{rule_id}"):
        ("moderator", lambda w: (f"/api/v1/admin/moderation/rules/{w.rule()}", None)),
    ("PATCH", "/api/v1/admin/moderation/rules/{rule_id}"):
        ("admin", lambda w: (f"/api/v1/admin/moderation/rules/{w.rule()}", {"action": "label"})),
    ("POST", "/api/v1/admin/moderation/rules/{rule_id}/disable"):
        ("admin", lambda w: (f"/api/v1/admin/moderation/rules/{w.rule()}/disable", None)),
    ("POST", "/api/v1/admin/moderation/rules/{rule_id}/enable"):
        ("admin", lambda w: (f"/api/v1/admin/moderation/rules/{w.rule()}/enable", None)),
    ("POST", "/api/v1/admin/moderation/rules/try"):
        ("moderator", lambda w: ("/api/v1/admin/moderation/rules/try", {"text": "加vx聊"})),
    ("GET", "/api/v1/admin/moderation/rules/shipped"):
        ("moderator", lambda w: ("/api/v1/admin/moderation/rules/shipped", None)),
    ("PUT", "/api/v1/admin/moderation/rules/shipped/override"):
        ("admin", lambda w: ("/api/v1/admin/moderation/rules/shipped/override?id=spam_zh:vx", {"enabled": False})),
    ("DELETE", "/api/v1/admin/moderation/rules/shipped/override"):
        ("admin", lambda w: (f"/api/v1/admin/moderation/rules/shipped/override?id={w.overridden_shipped()}", None)),
    ("GET", "/api/v1/admin/surge"): ("admin", lambda w: ("/api/v1/admin/surge", None)),
    ("PUT", "/api/v1/admin/surge"): ("admin", lambda w: ("/api/v1/admin/surge", {"mode": "auto"})),
    ("PUT", "/api/v1/admin/users/{username}/role"):
        ("admin", lambda w: (f"/api/v1/admin/users/{w.factory.user().username}/role", {"role": "moderator"})),
    ("POST", "/api/v1/moderation/examples"):
        ("moderator", lambda w: ("/api/v1/moderation/examples", {"text": "Double your bitcoin in an hour", "category": "spam"})),
    ("GET", "/api/v1/moderation/examples"): ("moderator", lambda w: ("/api/v1/moderation/examples", None)),
    ("DELETE", "/api/v1/moderation/examples/{example_id}"):
        ("moderator", lambda w: (f"/api/v1/moderation/examples/{w.example()}", None)),
}


def staff_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(method, r.path) for r in _all_routes(app.routes) if isinstance(r, Route)
            and r.path.startswith(STAFF_PREFIXES) for method in (r.methods or ()) if method != "HEAD"}


@pytest.fixture
def world(client: TestClient, factory: Factory, services: Services) -> World:
    users = {"user": factory.user(), "moderator": staff(factory, services, "moderator"),
             "admin": staff(factory, services, "admin")}
    return World(client, factory, services, users, factory.user(), staff(factory, services, "moderator"))


def test_the_matrix_covers_every_staff_route(app: FastAPI) -> None:
    assert staff_routes(app) == set(ENDPOINTS), "add the new moderation/admin route to ENDPOINTS"


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS), ids=lambda e: f"{e[0]} {e[1]}")
def test_role_matrix(endpoint: tuple[str, str], world: World) -> None:
    lowest, call = ENDPOINTS[endpoint]
    method = endpoint[0]
    for role in ROLES:
        world.caller = role
        url, body = call(world)
        user = world.users.get(role)
        response = world.client.request(method, url, headers=user.headers if user else {}, json=body)
        if role == "anonymous":
            expected = {401}
        elif ROLES.index(role) < ROLES.index(lowest):
            expected = {403}
        else:
            expected = {200, 201}
        assert response.status_code in expected, (role, method, url, response.status_code, response.text[:200])
        if response.status_code >= 400:
            assert set(response.json()["error"]) >= {"code", "message"}  # the one envelope


STAFF_WRITES = sorted(e for e, (lowest, _) in ENDPOINTS.items() if e[0] != "GET" and lowest != "user")


def test_user_routes_under_the_staff_prefixes_write_no_audit_row(world: World) -> None:
    for endpoint in (e for e, (lowest, _) in ENDPOINTS.items() if e[0] != "GET" and lowest == "user"):
        world.caller = "user"
        url, body = ENDPOINTS[endpoint][1](world)
        before = audit_rows(world.services)
        response = world.client.request(endpoint[0], url, headers=world.users["user"].headers, json=body)
        assert response.status_code in (200, 201), response.text
        assert audit_rows(world.services) == before, endpoint


@pytest.mark.parametrize("endpoint", STAFF_WRITES, ids=lambda e: f"{e[0]} {e[1]}")
def test_every_staff_write_is_audited(endpoint: tuple[str, str], world: World) -> None:
    """Every route under /api/v1/moderation/ and /api/v1/admin/ that is not a GET, and not an account's
    own (lowest role "user"), writes one audit row in its own transaction (the list is the app's, so a
    new write route is covered, or fails the matrix)."""
    world.caller = "admin"
    url, body = ENDPOINTS[endpoint][1](world)
    before = audit_rows(world.services)
    response = world.client.request(endpoint[0], url, headers=world.users["admin"].headers, json=body)
    assert response.status_code in (200, 201), response.text
    assert audit_rows(world.services) == before + 1
    log = world.client.get("/api/v1/moderation/audit", headers=world.users["admin"].headers).json()["items"]
    assert log[0]["actor"] == world.users["admin"].username


def test_every_staff_route_is_in_the_openapi_document(app: FastAPI, client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for method, path in ENDPOINTS:
        assert method.lower() in paths[path]


def test_granting_roles(client: TestClient, factory: Factory, services: Services) -> None:
    admin, target = staff(factory, services, "admin"), factory.user()
    url = f"/api/v1/admin/users/{target.username}/role"
    assert client.get("/api/v1/moderation/queue", headers=target.headers).status_code == 403
    response = client.put(url, headers=admin.headers, json={"role": "moderator"})
    assert response.status_code == 200, response.text
    assert response.json() == {"username": target.username, "role": "moderator", "previous": "user"}
    assert client.get("/api/v1/moderation/queue", headers=target.headers).status_code == 200  # at once
    assert client.get("/api/v1/auth/me", headers=target.headers).json()["role"] == "moderator"
    assert client.get("/api/v1/moderation/audit", headers=target.headers).status_code == 403
    before = audit_rows(services)
    for path, body, expected in (
        (url, {"role": "root"}, 422), (url, {"role": None}, 422), (url, {}, 422), (url, {"role": "admin", "x": 1}, 422),
        ("/api/v1/admin/users/nobody-at-all/role", {"role": "admin"}, 404),
        (f"/api/v1/admin/users/{'x' * 300}/role", {"role": "admin"}, 404),
        (f"/api/v1/admin/users/{admin.username}/role", {"role": "user"}, 422),
    ):
        got = client.put(path, headers=admin.headers, json=body)
        assert got.status_code == expected, (path, body, got.text)
    assert audit_rows(services) == before
    client.put(url, headers=admin.headers, json={"role": "user"})
    assert client.get("/api/v1/moderation/queue", headers=target.headers).status_code == 403
    entries = client.get("/api/v1/moderation/audit", headers=admin.headers).json()["items"]
    assert [(e["action"], e["details"]["from"], e["details"]["to"]) for e in entries[:2]] == [
        ("role.set", "moderator", "user"), ("role.set", "user", "moderator")]
    assert client.get("/api/v1/moderation/audit?cursor=%%%", headers=admin.headers).status_code == 400


def test_cookie_writes_need_csrf(client: TestClient, factory: Factory, services: Services) -> None:
    admin, target = staff(factory, services, "admin"), factory.user()
    cookie_client = TestClient(client.app, cookies={"rb_session": admin.token})
    response = cookie_client.put(f"/api/v1/admin/users/{target.username}/role", json={"role": "moderator"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf.invalid"
    assert audit_rows(services) == 0
