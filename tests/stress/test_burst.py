"""Bursts several times larger than the pools, against the real app on a loopback port.

The server runs with small pools (4 admitted, 8 queued for at most 0.5 s; thread and connection
pools sized from that, ``core.admission``), so a burst of 48 mostly meets admission control.
Assertions are on what came back and on what was logged, never on wall-clock time:

* every answer is a success, a client error the route means (401/403/404, a page's redirect to
  /login) or a shed 503 with ``Retry-After`` and the ``overloaded`` envelope — no other 5xx;
* nothing logged a pool timeout, a second connection per request, or a traceback;
* ``/healthz`` answered 200 while the burst was still in flight, and right after it the load is
  back to zero and an ordinary request answers 200;
* writes from many accounts at once leave exact counters (likes, comments, collects, follows).

Every GET route is covered: the API's from its OpenAPI document, the pages from the app's
routes; a route with a path parameter this module cannot fill fails the test (add it to
``Seed.params``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Route

from redbridge.app import _all_routes, create_app
from redbridge.core.clock import SystemClock
from redbridge.settings import CapacitySettings, Settings
from tests.conftest import fast_passwords, generous_limits, prepare_schema
from tests.e2e.browser import free_socket, serve, url_of
from tests.factories import PASSWORD, png_bytes

BURST = 48  # 12x max_inflight, 4x inflight + queue
ACCOUNTS = 24
CAPACITY = CapacitySettings(max_inflight=4, max_queued=8, queue_timeout_s=0.5)
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
READ_OK = {200, 201, 204, 304, 401, 403, 404, 302, 303, 307}
WRITE_OK = {200, 201, 204, 409, 429}
BAD_LOG = ("QueuePool limit", "TimeoutError", "second database connection", "Traceback")
# The pages the brief names; enumeration must find at least these.
KNOWN_PAGES = {"/", "/following", "/n/{note_id}", "/u/{username}", "/u/{username}/collections", "/t/{tag}",
               "/notifications", "/settings/profile", "/settings/sessions", "/login", "/signup", "/compose", "/search"}


class Recording(logging.Handler):
    """Keeps every record that reaches it (root, and uvicorn's loggers, which do not propagate)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self.records.append(record)

    def bad(self) -> list[str]:
        found = []
        with self._guard:
            records = list(self.records)
        for record in records:
            text = f"{record.name} {record.levelname} {record.getMessage()}"
            if record.exc_info:
                text += " " + logging.Formatter().formatException(record.exc_info)
            if record.levelno >= logging.ERROR or record.exc_info or any(p in text for p in BAD_LOG):
                found.append(text[:2000])
        return found


@dataclass
class Live:
    url: str
    app: FastAPI
    log: Recording

    def client(self, **options: Any) -> httpx.AsyncClient:
        # Idle connections expire on the client first (1 s, uvicorn closes them after 5 s): with
        # equal timeouts a retry round could write to a connection the server is closing that very
        # moment (a ReadError, and no way to know whether the write was taken).
        limits = httpx.Limits(max_connections=BURST * 3, max_keepalive_connections=BURST * 3, keepalive_expiry=1.0)
        return httpx.AsyncClient(base_url=self.url, timeout=30, limits=limits, follow_redirects=False, **options)

    @property
    def load(self) -> tuple[int, int]:
        load = self.app.state.admission.load
        return load.inflight, load.queued

    async def settled_load(self) -> tuple[int, int]:
        """The load once the server has finished its side of the last answers. A client holds a
        whole response as soon as its last byte is written, a moment before the server task
        that wrote it leaves the admission middleware; give that tail up to a second (bounded,
        and not a speed claim: a slot that is never released still fails)."""
        for _ in range(100):
            if self.load == (0, 0):
                break
            await asyncio.sleep(0.01)
        return self.load


@contextmanager
def live(settings: Settings) -> Iterator[Live]:
    sock = free_socket()
    server_settings = settings.model_copy(update={
        "capacity": CAPACITY, "jobs_mode": "immediate", "passwords": fast_passwords(),
        "rate_limits": generous_limits(), "base_url": url_of(sock),
    })
    app = create_app(server_settings, SystemClock())
    prepare_schema(app.state.services)
    recording = Recording()
    watched = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("uvicorn.access")]
    with serve(app, sock) as url:
        # After uvicorn configured its loggers (that replaces the handlers of "uvicorn").
        for logger in watched:
            logger.addHandler(recording)
        try:
            yield Live(url, app, recording)
        finally:
            for logger in watched:
                logger.removeHandler(recording)


# ------------------------------------------------------------------------------------- helpers


@dataclass
class Account:
    username: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def signup(http: httpx.Client, username: str) -> Account:
    response = http.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return Account(username, response.json()["token"])


def ok(response: httpx.Response, *codes: int) -> dict[str, Any]:
    assert response.status_code in (codes or (200, 201)), f"{response.request.method} {response.url}: " \
        f"{response.status_code} {response.text[:500]}"
    result: dict[str, Any] = response.json() if response.content else {}
    return result


def is_shed(response: httpx.Response) -> bool:
    """A 503 from admission control: Retry-After and the ``overloaded`` envelope."""
    if response.status_code != 503 or "retry-after" not in response.headers:
        return False
    try:
        return bool(response.json()["error"]["code"] == "overloaded")
    except (ValueError, KeyError, TypeError):
        return False


def is_unready(response: httpx.Response) -> bool:
    """/readyz's own 503 while saturated (it reports, it is not shed): Retry-After and checks."""
    if response.status_code != 503 or "retry-after" not in response.headers:
        return False
    body = response.json()
    return bool(body["status"] == "unavailable" and body["checks"].get("capacity") == "saturated")


def describe(responses: list[httpx.Response]) -> str:
    counts = Counter(r.status_code for r in responses)
    odd = next((r for r in responses if r.status_code >= 500 and not is_shed(r)), None)
    return f"{dict(counts)}" + (f"; e.g. {odd.status_code} {odd.text[:800]}" if odd is not None else "")


@dataclass
class Outcome:
    responses: list[httpx.Response]
    health: list[tuple[int, int]] = field(default_factory=list)  # status, burst requests still pending


async def burst(server: Live, requests: list[Awaitable[httpx.Response]]) -> Outcome:
    """Fire ``requests`` at once; poll /healthz (own client) until the last one has answered."""
    pending = len(requests)

    async def tracked(request: Awaitable[httpx.Response]) -> httpx.Response:
        nonlocal pending
        try:
            return await request
        finally:
            pending -= 1

    tasks = [asyncio.ensure_future(tracked(r)) for r in requests]
    health: list[tuple[int, int]] = []
    async with server.client() as prober:
        while pending:  # bounded: every request has a 30 s timeout
            response = await prober.get("/healthz")
            health.append((response.status_code, pending))
    return Outcome(list(await asyncio.gather(*tasks)), health)


async def check_burst(server: Live, label: str, outcome: Outcome, allowed: set[int]) -> None:
    responses = outcome.responses
    print(f"{label}: {dict(Counter(r.status_code for r in responses))}, /healthz x{len(outcome.health)}")  # -s
    for response in responses:
        if response.status_code == 503:
            assert is_shed(response) or (response.url.path == "/readyz" and is_unready(response)), \
                f"{label}: a 503 without Retry-After / overloaded envelope: {response.headers} {response.text[:300]}"
        else:
            assert response.status_code in allowed, f"{label}: {describe(responses)}"
    assert any(r.status_code != 503 for r in responses), f"{label}: nothing admitted: {describe(responses)}"
    assert outcome.health, f"{label}: /healthz was never asked"
    assert all(status == 200 for status, _ in outcome.health), f"{label}: /healthz {outcome.health}"
    assert any(still > 0 for _, still in outcome.health), f"{label}: /healthz never answered during the burst"
    load = await server.settled_load()
    assert load == (0, 0), f"{label}: load left after the burst: {load}"


Call = Callable[[], Awaitable[httpx.Response]]
RETRY_ROUNDS = 40


async def until_answered(server: Live, label: str, calls: list[Call]) -> list[httpx.Response]:
    """Fire every call at once, then again (at once) those that were shed, until none is: each
    round is a burst checked like any other. Returns each call's final answer."""
    final: list[httpx.Response | None] = [None] * len(calls)
    todo = list(range(len(calls)))
    for round_ in range(RETRY_ROUNDS):
        outcome = await burst(server, [calls[i]() for i in todo])
        await check_burst(server, f"{label} round {round_}", outcome, WRITE_OK)
        for i, response in zip(todo, outcome.responses, strict=True):
            final[i] = response
        todo = [i for i, response in zip(todo, outcome.responses, strict=True) if response.status_code == 503]
        if not todo:
            break
        await asyncio.sleep(0.05)  # not Retry-After (2 s): the test keeps the pressure on
    assert not todo, f"{label}: {len(todo)} calls still shed after {RETRY_ROUNDS} rounds"
    return [r for r in final if r is not None]


# ------------------------------------------------------------------------------------------ seed


@dataclass
class Seed:
    alice: Account
    bob: Account
    params: dict[str, str]


def seed(http: httpx.Client, prefix: str) -> Seed:
    alice, bob = signup(http, f"{prefix}alice"), signup(http, f"{prefix}bob")
    media = ok(http.post("/api/v1/media", headers=alice.bearer,
                         files={"file": ("photo.png", png_bytes(360, 480), "image/png")}))
    note = ok(http.post("/api/v1/notes", headers=alice.bearer,
                        json={"title": "Hotpot night", "body": "spicy #food", "media_ids": [media["id"]]}))
    other_media = ok(http.post("/api/v1/media", headers=bob.bearer, files={"file": ("b.png", png_bytes(), "image/png")}))
    other = ok(http.post("/api/v1/notes", headers=bob.bearer,
                         json={"title": "Tea house", "body": "oolong #food", "media_ids": [other_media["id"]]}))
    comment = ok(http.post(f"/api/v1/notes/{note['id']}/comments", headers=bob.bearer, json={"body": "looks great"}))
    ok(http.post(f"/api/v1/notes/{note['id']}/comments", headers=alice.bearer,
                 json={"body": "thanks!", "parent_id": comment["id"]}))
    ok(http.post(f"/api/v1/notes/{note['id']}/like", headers=bob.bearer))
    ok(http.post(f"/api/v1/comments/{comment['id']}/like", headers=alice.bearer))
    collection = ok(http.post("/api/v1/collections", headers=alice.bearer, json={"name": "Eats", "is_public": True}))
    ok(http.post(f"/api/v1/notes/{other['id']}/collect", headers=alice.bearer, json={"collection_id": collection["id"]}))
    ok(http.post(f"/api/v1/users/{bob.username}/follow", headers=alice.bearer))
    ok(http.post(f"/api/v1/users/{alice.username}/follow", headers=bob.bearer))
    # A report, so that alice's "my reports" and bob's queue-facing reads have something to show.
    # The moderation routes answer these non-moderators 401 / 403 whatever the item id.
    report = ok(http.post("/api/v1/reports", headers=alice.bearer,
                          json={"subject": "note", "id": other["id"], "reason": "spam"}))
    # A reader's translation of bob's note into Chinese, for the translations' reads.
    translation = ok(http.post(f"/api/v1/notes/{other['id']}/translations", headers=alice.bearer,
                               json={"to": "zh-Hans", "title": "茶馆", "body": "乌龙茶 #food"}))
    page = http.get("/", headers={"Accept": HTML})
    static = re.search(r"/static/([^/\"']+)/([^\"'?#]+)", page.text)
    assert static is not None, "no /static/ asset linked from /"
    key = httpx.URL(media["url"]).path.removeprefix("/media/")
    return Seed(alice, bob, {
        "username": alice.username, "note_id": note["id"], "comment_id": comment["id"],
        "collection_id": collection["id"], "media_id": media["id"], "key": key, "tag": "food", "code": "zh-Hans",
        "fingerprint": static.group(1), "path": static.group(2), "item_id": report["id"],
        # The rules editor answers these non-admins 403 whatever the rule id.
        "rule_id": report["id"], "translation_id": translation["id"],
    })


# Query strings for GET routes that need one (a required parameter, else 422); by template.
QUERIES: dict[str, str] = {
    "/api/v1/glossary": "?text=%E7%81%AB%E9%94%85%20hotpot",
    "/api/v1/notes/{note_id}/translation": "?to=en",
    "/api/v1/comments/{comment_id}/translation": "?to=zh-Hans",
    "/api/v1/notes/{note_id}/translations": "?to=zh-Hans",
    "/api/v1/comments/{comment_id}/translations": "?to=zh-Hans",
    "/api/v1/search/notes": "?q=%E8%8B%8F%E5%B7%9E%20dumplings",
    "/api/v1/search/users": "?q=alice",
    "/api/v1/search/tags": "?q=foo",
    "/search": "?q=%E8%8B%8F%E5%B7%9E%20dumplings&time=week&place=Suzhou",
}


def fill(template: str, params: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in params, f"no seed value for path parameter {name!r} of {template}: add it to Seed.params"
        return params[name]

    return re.sub(r"\{([^}]+)\}", one, template) + QUERIES.get(template, "")


def get_routes(app: FastAPI, spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(API GET paths from the OpenAPI document, page GET paths from the app's routes)."""
    api = sorted(p for p, ops in spec["paths"].items() if "get" in ops)
    pages = sorted({
        re.sub(r":[^}]+}", "}", r.path) for r in _all_routes(app.routes)
        if isinstance(r, Route) and "GET" in (r.methods or ()) and r.path not in spec["paths"]
    })
    return api, pages


# ------------------------------------------------------------------------------------------ tests


# The GET burst in shards, so that xdist spreads it over its workers (one test of every target in
# a row took ~60 s, most of a worker's last minute): each shard seeds its own server, enumerates and
# fills every route (an unfillable one fails each shard), and bursts every SHARDS-th target.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda shard: f"shard{shard + 1}of{SHARDS}")
def test_every_get_under_a_burst(settings: Settings, shard: int) -> None:
    with live(settings) as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            data = seed(http, "rd")
            spec = ok(http.get("/api/v1/openapi.json"))
        api, pages = get_routes(server.app, spec)
        assert "/api/v1/notes/{note_id}/comments" in api, api
        assert len(api) >= 20, api
        assert set(pages) >= KNOWN_PAGES, KNOWN_PAGES - set(pages)
        rd = data.params
        targets: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        for path in api:
            targets.append(("anonymous", fill(path, rd), {}, {}))
            targets.append(("bearer", fill(path, rd), data.alice.bearer, {}))
        for path in pages:
            targets.append(("anonymous page", fill(path, rd), {"Accept": HTML}, {}))
            targets.append(("session page", fill(path, rd), {"Accept": HTML}, {"rb_session": data.alice.token}))
        targets = targets[shard::SHARDS]
        assert targets

        async def run() -> None:
            async with server.client() as anon:
                for label, path, headers, cookies in targets:
                    async with server.client(cookies=cookies) as client:
                        outcome = await burst(server, [client.get(path, headers=headers) for _ in range(BURST)])
                        await check_burst(server, f"{label} GET {path}", outcome, READ_OK)
                        after = await client.get(path, headers=headers)
                        assert after.status_code in READ_OK, f"{label} GET {path} after the burst: {after.status_code}"
                    assert (await anon.get("/api/v1/feeds/explore")).status_code == 200

        asyncio.run(run())
        assert server.log.bad() == []


def test_writes_from_many_accounts_keep_exact_counters(settings: Settings) -> None:
    with live(settings) as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            author = signup(http, "wrauthor")
            crowd = [signup(http, f"wr{i}") for i in range(ACCOUNTS)]
            media = ok(http.post("/api/v1/media", headers=author.bearer,
                                 files={"file": ("p.png", png_bytes(), "image/png")}))
            note = ok(http.post("/api/v1/notes", headers=author.bearer,
                                json={"title": "Dumplings", "body": "#food", "media_ids": [media["id"]]}))
            shelves: dict[str, str] = {}
            for account in crowd:
                made = ok(http.post("/api/v1/collections", headers=account.bearer, json={"name": "Saved"}))
                shelves[account.username] = made["id"]
        note_id = note["id"]

        def counters() -> tuple[int, int, int, int]:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                shown = ok(http.get(f"/api/v1/notes/{note_id}"))
                profile = ok(http.get(f"/api/v1/users/{author.username}"))
            return shown["like_count"], shown["comment_count"], shown["collect_count"], profile["follower_count"]

        def crowd_does(label: str, plan: list[tuple[str, Account, str, str, dict[str, Any] | None]]) -> dict[str, set[str]]:
            """Run (kind, account, method, path, json) calls at once (retrying the shed); the
            accounts each kind succeeded for."""

            async def run() -> list[httpx.Response]:
                async with server.client() as client:
                    calls: list[Call] = [
                        partial(client.request, method, path, headers=account.bearer, json=body)
                        for _, account, method, path, body in plan
                    ]
                    return await until_answered(server, label, calls)

            final = asyncio.run(run())
            done: dict[str, set[str]] = {kind: set() for kind, *_ in plan}
            for (kind, account, *_), response in zip(plan, final, strict=True):
                if response.status_code in (200, 201, 204):
                    done[kind].add(account.username)
            return done

        # Everyone likes, comments, collects into their own collection and follows at once.
        note_path, follow_path = f"/api/v1/notes/{note_id}", f"/api/v1/users/{author.username}/follow"
        plan: list[tuple[str, Account, str, str, dict[str, Any] | None]] = []
        for account in crowd:
            plan += [
                ("like", account, "POST", f"{note_path}/like", None),
                ("comment", account, "POST", f"{note_path}/comments", {"body": f"yum from {account.username}"}),
                ("collect", account, "POST", f"{note_path}/collect", {"collection_id": shelves[account.username]}),
                ("follow", account, "POST", follow_path, None),
            ]
        done = crowd_does("writes", plan)
        assert all(len(v) == ACCOUNTS for v in done.values()), {k: len(v) for k, v in done.items()}
        assert counters() == (ACCOUNTS, ACCOUNTS, ACCOUNTS, ACCOUNTS)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for account in crowd:
                listed = ok(http.get(f"/api/v1/collections/{shelves[account.username]}", headers=account.bearer))
                assert listed["note_count"] == 1, listed

        # Then half the crowd unlikes, uncollects and unfollows while the other half likes again
        # (already liked: the answer says so, the count does not move).
        plan = []
        for index, account in enumerate(crowd):
            if index % 2:
                plan += [
                    ("unlike", account, "DELETE", f"{note_path}/like", None),
                    ("uncollect", account, "DELETE", f"{note_path}/collect", None),
                    ("unfollow", account, "DELETE", follow_path, None),
                ]
            else:
                plan.append(("like", account, "POST", f"{note_path}/like", None))
        undone = crowd_does("writes", plan)
        half = ACCOUNTS // 2
        assert {k: len(v) for k, v in undone.items()} == {"unlike": half, "uncollect": half, "unfollow": half,
                                                           "like": ACCOUNTS - half}
        assert counters() == (ACCOUNTS - half, ACCOUNTS, ACCOUNTS - half, ACCOUNTS - half)
        assert server.log.bad() == []


@pytest.fixture(autouse=True)
def _quiet_sqlalchemy() -> Iterator[None]:
    """Records are kept from WARNING up everywhere; nothing below is needed for the checks."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(min(level or logging.WARNING, logging.WARNING))
    yield
    root.setLevel(level)
