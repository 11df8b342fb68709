"""A note made invisible is gone from every read path at once — for the very next request, with
every cache warm, on every app instance.

The test is two tables and one scenario:

* ``PATHS``: every read path on which a note can appear (the note itself, its comments, every feed
  and page that lists it, notifications about it, its media), each with who can read it, how to
  fetch it and how to tell whether the note is there. A new read path (search, a live room's pinned
  note) is one more row (search is: the API and the page, for a word only the note has).
* ``HIDES``: every way a note becomes invisible. Today: deleted (by its author through the API or
  the page, by an admin). Moderation adds its states as one row each, e.g.::

      Hide("held by a moderator", hold_via_api, keeps=lambda path, role: role == AUTHOR and path.itself),
      Hide("removed by a moderator", remove_via_api),

  where ``apply(node, world, subject)`` makes ``subject`` invisible through ``node``'s HTTP API
  (a moderator account can join ``World`` like ``admin``), and ``keeps`` names the (path, viewer)
  pairs that may legitimately still show the note (a held note still answering its author, say;
  its cover file, which only a delete removes); by default nobody keeps anything.

The scenario (``run``): two notes by one author, alike in every way — followed, liked, collected
into a public collection, commented, replied to, sharing a tag and a topic, @mentioning the
follower — plus other authors' notes so no feed is trivially empty. Every (path, viewer) is read
twice on every instance, with the "before" asserted each time (the note really is there: what
makes the test able to fail), then one note is hidden through the first instance and every
(path, viewer) is read once more, the other instance first: the hidden note must be absent (404
where the path is the note itself) and none of its text (title, body, comments) may leak, while
its twin must still be there (so a path that returns nothing cannot pass).

Everything goes through HTTP: the test knows no cache module, so it holds whatever the read side
becomes. Failures are collected, not stopped at, so one run names every leaking path.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.search.wiring import backend as search_backend
from redbridge.settings import Settings
from tests.conftest import BACKEND, prepare_schema
from tests.engagement.helpers import make_admin
from tests.factories import Factory, UserHandle
from tests.web.helpers import browser

ANONYMOUS, FOLLOWER, AUTHOR = "anonymous", "follower", "author"
EVERYONE = (ANONYMOUS, FOLLOWER, AUTHOR)
TOPIC = "food"
_seq = itertools.count(1)


# ----------------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class Subject:
    """One of the two twin notes and everything hung on it."""

    id: str
    title: str
    marker: str  # a word only this note's body has
    comment_id: str  # the follower's comment
    comment_body: str
    reply_id: str  # the author's reply to it
    reply_body: str
    media_urls: tuple[str, ...]  # the cover's files (display and thumbnail)

    @classmethod
    def other(cls, note_id: str) -> Subject:
        """Another note, known by its id only."""
        return cls(note_id, "", "", "", "", "", "", ())

    @property
    def texts(self) -> tuple[str, ...]:
        """What must not be shown anywhere once the note is invisible."""
        return (self.title, self.marker, self.comment_body, self.reply_body)


@dataclass(frozen=True)
class World:
    author: UserHandle
    follower: UserHandle  # follows the author; liked, collected, commented both twins
    admin: UserHandle
    collection_id: str  # the follower's public collection holding both twins
    tag: str
    doomed: Subject  # made invisible
    kept: Subject  # its twin, which stays
    others: tuple[str, ...]  # other authors' notes (same tag and topic)

    def user(self, role: str) -> UserHandle | None:
        return {ANONYMOUS: None, FOLLOWER: self.follower, AUTHOR: self.author}[role]


def _post(client: TestClient, url: str, user: UserHandle, expected: int, json: object = None) -> dict[str, object]:
    response = client.post(url, headers=user.headers, json=json)
    assert response.status_code == expected, (url, response.status_code, response.text[:300])
    body: dict[str, object] = response.json()
    return body


def build_world(client: TestClient, services: Services) -> World:
    """The scenario's data, made the way clients make it (API calls; notifications by the real jobs)."""
    factory = Factory(client, services)
    n = next(_seq)
    author, follower, admin = factory.user(), factory.user(), factory.user()
    make_admin(services, admin)
    tag = f"vanish{n}x"
    _post(client, f"/api/v1/users/{author.username}/follow", follower, 200)
    collection = _post(client, "/api/v1/collections", follower, 201, {"name": f"Keepers {n}"})
    others = []
    for _ in range(2):
        someone = factory.user()
        for i in range(2):
            others.append(str(factory.note(someone, title=f"Filler {n}-{i} by {someone.username}",
                                           body=f"Just filler #{tag}", topic=TOPIC)["id"]))

    def twin(label: str) -> Subject:
        marker = f"{label}body{n}q"
        note = factory.note(author, title=f"{label.capitalize()} dumplings {n}",
                            body=f"{marker} for @{follower.username} #{tag}", topic=TOPIC)
        note_id = str(note["id"])
        _post(client, f"/api/v1/notes/{note_id}/like", follower, 200)
        _post(client, f"/api/v1/notes/{note_id}/collect", follower, 200, {"collection_id": collection["id"]})
        comment_body, reply_body = f"{label} comment {n}q", f"{label} reply {n}q"
        comment = _post(client, f"/api/v1/notes/{note_id}/comments", follower, 201, {"body": comment_body})
        reply = _post(client, f"/api/v1/notes/{note_id}/comments", author, 201,
                      {"body": reply_body, "parent_id": comment["id"]})
        _post(client, f"/api/v1/comments/{comment['id']}/like", author, 200)
        media = note["media"][0]
        urls = tuple(u for u in (media["url"], media["thumb_url"]) if u)
        return Subject(note_id, str(note["title"]), marker, str(comment["id"]), comment_body, str(reply["id"]),
                       reply_body, urls)

    # The twin to hide is collected last: it is the collection's cover until it goes.
    kept = twin("kept")
    doomed = twin("doomed")
    return World(author, follower, admin, str(collection["id"]), tag, doomed, kept, tuple(others))


@dataclass
class Node:
    """One app instance and a client per viewer: API clients (bearer token, no cookies) and
    browser-like page clients (session cookie, Accept: text/html)."""

    name: str
    app: FastAPI
    api: dict[str, TestClient] = field(default_factory=dict)
    pages: dict[str, TestClient] = field(default_factory=dict)

    def connect(self, world: World) -> None:
        for role in EVERYONE:
            user = world.user(role)
            self.api[role] = TestClient(self.app, headers=user.headers if user else {})
            self.pages[role] = browser(self.app, user)


# ----------------------------------------------------------------------------------- read paths


def answers(response: httpx.Response, subject: Subject) -> bool:
    """The path is the note (or a part of it): it is there when it answers."""
    return response.status_code == 200


def in_feed(response: httpx.Response, subject: Subject) -> bool:
    return response.status_code == 200 and subject.id in [card["id"] for card in response.json()["items"]]


def lists_comment(response: httpx.Response, subject: Subject) -> bool:
    return response.status_code == 200 and subject.comment_id in [c["id"] for c in response.json()["items"]]


def lists_reply(response: httpx.Response, subject: Subject) -> bool:
    return response.status_code == 200 and subject.reply_id in [c["id"] for c in response.json()["items"]]


def links_note(response: httpx.Response, subject: Subject) -> bool:
    """An HTML page with a link to the note (a card, a notification)."""
    return response.status_code == 200 and f'href="/n/{subject.id}' in response.text


def shows_cover(response: httpx.Response, subject: Subject) -> bool:
    return response.status_code == 200 and any(url in response.text for url in subject.media_urls)


def notifies_about(response: httpx.Response, subject: Subject) -> bool:
    return response.status_code == 200 and any(
        (item.get("note") or {}).get("id") == subject.id for item in response.json()["items"])


Url = Callable[[World, Subject], str]


@dataclass(frozen=True)
class ReadPath:
    name: str
    kind: Literal["api", "page"]
    url: Url
    shows: Callable[[httpx.Response, Subject], bool]
    viewers: tuple[str, ...] = EVERYONE
    itself: bool = False  # the note itself (or part of it): invisible means 404
    lists_others: bool = False  # also lists the other authors' notes: they must stay
    # Before each fetch, on the instance fetched from (search: commit the index's pending writes,
    # as its commit timer would half a second later).
    prepare: Callable[[Node], None] | None = None


def search_indexed(node: Node) -> None:
    search_backend(node.app.state.services).flush()


PATHS: tuple[ReadPath, ...] = (
    # The note itself.
    ReadPath("note API", "api", lambda w, s: f"/api/v1/notes/{s.id}", answers, itself=True),
    ReadPath("note page", "page", lambda w, s: f"/n/{s.id}", answers, itself=True),
    ReadPath("note share API", "api", lambda w, s: f"/api/v1/notes/{s.id}/share", answers, itself=True),
    ReadPath("note edit page", "page", lambda w, s: f"/n/{s.id}/edit", answers, viewers=(AUTHOR,), itself=True),
    ReadPath("comments API", "api", lambda w, s: f"/api/v1/notes/{s.id}/comments", lists_comment, itself=True),
    ReadPath("replies API", "api", lambda w, s: f"/api/v1/comments/{s.comment_id}/replies", lists_reply,
             itself=True),
    ReadPath("comment thread page", "page", lambda w, s: f"/n/{s.id}/c/{s.comment_id}", answers, itself=True),
    ReadPath("cover file", "api", lambda w, s: s.media_urls[-1], answers, itself=True),
    # Feeds and pages listing it.
    ReadPath("explore API", "api", lambda w, s: "/api/v1/feeds/explore", in_feed, lists_others=True),
    ReadPath("explore API (topic)", "api", lambda w, s: f"/api/v1/feeds/explore?topic={TOPIC}", in_feed,
             lists_others=True),
    ReadPath("explore page", "page", lambda w, s: "/", links_note, lists_others=True),
    ReadPath("explore page (topic)", "page", lambda w, s: f"/?topic={TOPIC}", links_note, lists_others=True),
    ReadPath("following API", "api", lambda w, s: "/api/v1/feeds/following", in_feed, viewers=(FOLLOWER,)),
    ReadPath("following page", "page", lambda w, s: "/following", links_note, viewers=(FOLLOWER,)),
    ReadPath("author's notes API", "api", lambda w, s: f"/api/v1/users/{w.author.username}/notes", in_feed),
    ReadPath("author's profile page", "page", lambda w, s: f"/u/{w.author.username}", links_note),
    ReadPath("collection API", "api", lambda w, s: f"/api/v1/collections/{w.collection_id}/notes", in_feed),
    ReadPath("collection page", "page",
             lambda w, s: f"/u/{w.follower.username}/collections/{w.collection_id}", links_note),
    ReadPath("collections page (cover)", "page", lambda w, s: f"/u/{w.follower.username}/collections",
             shows_cover),
    ReadPath("tag page", "page", lambda w, s: f"/t/{w.tag}", links_note, lists_others=True),
    ReadPath("my collects API", "api", lambda w, s: "/api/v1/me/collects", in_feed, viewers=(FOLLOWER,)),
    # Search, for a word only this note has (upper-cased: the page shows the query typed, and a
    # note's text on the page would be a leak; search folds case).
    ReadPath("search API", "api", lambda w, s: f"/api/v1/search/notes?q={s.marker.upper()}", in_feed,
             prepare=search_indexed),
    ReadPath("search page", "page", lambda w, s: f"/search?q={s.marker.upper()}", links_note,
             prepare=search_indexed),
    # Notifications about it: the author's (like, collect, comment), the follower's (mention in
    # the note, reply to their comment, like of their comment).
    ReadPath("notifications API", "api", lambda w, s: "/api/v1/notifications?limit=50", notifies_about,
             viewers=(FOLLOWER, AUTHOR)),
    ReadPath("notifications page", "page", lambda w, s: "/notifications", links_note, viewers=(FOLLOWER, AUTHOR)),
)


# ------------------------------------------------------------------------------------ hide rows


def never(path: ReadPath, role: str) -> bool:
    return False


@dataclass(frozen=True)
class Hide:
    name: str
    apply: Callable[[Node, World, Subject], None]
    # (path, viewer) pairs on which the note legitimately stays visible after this hide.
    keeps: Callable[[ReadPath, str], bool] = never


def delete_by_author_api(node: Node, world: World, subject: Subject) -> None:
    response = node.api[AUTHOR].delete(f"/api/v1/notes/{subject.id}")
    assert response.status_code == 204, response.text


def delete_by_author_page(node: Node, world: World, subject: Subject) -> None:
    tab = browser(node.app, world.author)
    response = tab.post(f"/n/{subject.id}/delete", data={"csrf_token": world.author.csrf_token})
    assert response.status_code == 303, response.text[:300]


def delete_by_admin_api(node: Node, world: World, subject: Subject) -> None:
    response = TestClient(node.app, headers=world.admin.headers).delete(f"/api/v1/notes/{subject.id}")
    assert response.status_code == 204, response.text


# Text the shipped lists hold for review (an off-platform contact solicitation): the real checker
# decides, as it does in production.
HELD_TEXT = "加vx 12345678 领取福利"


def held_by_pipeline_edit(node: Node, world: World, subject: Subject) -> None:
    """The author edits the note into text the pipeline holds: it goes back to review."""
    response = node.api[AUTHOR].patch(f"/api/v1/notes/{subject.id}", json={"body": f"{subject.marker} {HELD_TEXT}"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "held", response.text


# What the author still sees of their own held note: the note itself (with its comments), their own
# list of notes, their notifications about it. Its media files stay served (only a delete removes
# them; their keys are unguessable).
AUTHORS_OWN = frozenset({"author's notes API", "author's profile page", "notifications API", "notifications page"})


def authors_own_views(path: ReadPath, role: str) -> bool:
    return path.name == "cover file" or (role == AUTHOR and (path.itself or path.name in AUTHORS_OWN))


def removed_by_moderator_api(node: Node, world: World, subject: Subject) -> None:
    """The follower reports the note, a moderator (the world's admin) finds it in the review queue
    and removes it; the reporter then sees the outcome (docs/moderation.md, "Reports, queue and
    decisions")."""
    reporter, moderator = node.api[FOLLOWER], TestClient(node.app, headers=world.admin.headers)
    made = reporter.post("/api/v1/reports", json={"subject": "note", "id": subject.id, "reason": "spam"})
    assert made.status_code == 201, made.text
    queue = moderator.get("/api/v1/moderation/queue", params={"kind": "note", "category": "spam", "limit": 50})
    assert queue.status_code == 200, queue.text
    item = next(i for i in queue.json()["items"] if i["subject_id"] == subject.id)
    decided = moderator.post(f"/api/v1/moderation/queue/{item['id']}/decision",
                             json={"action": "remove", "reason": "spam"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "removed", decided.text
    mine = reporter.get("/api/v1/reports/mine").json()["items"]
    assert [(r["subject_id"], r["outcome"]) for r in mine] == [(subject.id, "removed")]


def authors_note_itself(path: ReadPath, role: str) -> bool:
    """A removed note still answers its author (status ``removed``), but is in none of their lists."""
    return path.name == "cover file" or (role == AUTHOR and path.itself)


HIDES: tuple[Hide, ...] = (
    Hide("deleted by its author (API)", delete_by_author_api),
    Hide("deleted by its author (page)", delete_by_author_page),
    Hide("deleted by an admin (API)", delete_by_admin_api),
    Hide("held by the pipeline (edit)", held_by_pipeline_edit, keeps=authors_own_views),
    Hide("removed by a moderator", removed_by_moderator_api, keeps=authors_note_itself),
)


# ------------------------------------------------------------------------------------- scenario


def pairs() -> Iterator[tuple[ReadPath, str]]:
    for path in PATHS:
        for role in path.viewers:
            yield path, role


def fetch(node: Node, world: World, path: ReadPath, role: str, subject: Subject) -> httpx.Response:
    client = node.api[role] if path.kind == "api" else node.pages[role]
    if path.prepare is not None:
        path.prepare(node)
    response: httpx.Response = client.get(path.url(world, subject))
    return response


def leaks(response: httpx.Response, subject: Subject) -> list[str]:
    return [text for text in subject.texts if text in response.text]


def outside_pool_boundary(margin_s: float = 20.0) -> None:
    """Explore pools are rebuilt from the database each wall-clock minute: a warm cache that
    silently rolled over between the warm-up and the check would prove nothing. Start well inside
    a minute (waiting at most ``margin_s``)."""
    left = 60.0 - time.time() % 60.0
    if left < margin_s:
        time.sleep(left + 0.5)


def run(nodes: list[Node], world: World, hide: Hide) -> None:
    doomed, kept = world.doomed, world.kept
    for node in nodes:
        node.connect(world)
    outside_pool_boundary()
    # Warm every cache: each (path, viewer) twice on every instance, the "before" checked each time.
    for _ in range(2):
        for node in nodes:
            for path, role in pairs():
                for subject in (doomed, kept) if path.url(world, doomed) != path.url(world, kept) else (doomed,):
                    response = fetch(node, world, path, role, subject)
                    assert path.shows(response, subject), (
                        f"before hiding, {path.name} on {node.name} as {role} does not show {subject.title!r}: "
                        f"GET {path.url(world, subject)} -> {response.status_code} {response.text[:300]}")
                    for other in world.others if path.lists_others else ():
                        assert path.shows(response, Subject.other(other)), (path.name, role, other)

    hide.apply(nodes[0], world, doomed)

    failures: list[str] = []
    for node in reversed(nodes):  # the instance that did not make the change first
        for path, role in pairs():
            where = f"[{node.name}] {path.name} as {role}: GET {path.url(world, doomed)}"
            response = fetch(node, world, path, role, doomed)
            if hide.keeps(path, role):
                if not path.shows(response, doomed):
                    failures.append(f"{where} -> {response.status_code}: should still show the note")
            else:
                expected = 404 if path.itself else 200
                problems = []
                if response.status_code != expected:
                    problems.append(f"status {response.status_code}, expected {expected}")
                if response.status_code == 200 and path.shows(response, doomed):
                    problems.append("still shows the note")
                leaked = leaks(response, doomed)
                if leaked:
                    problems.append(f"leaks {leaked}")
                if problems:
                    failures.append(f"{where} -> " + "; ".join(problems))
            if path.url(world, kept) != path.url(world, doomed):
                response = fetch(node, world, path, role, kept)
            if not path.shows(response, kept):
                failures.append(f"[{node.name}] {path.name} as {role}: GET {path.url(world, kept)} -> "
                                f"{response.status_code}: lost the twin note {kept.title!r}, which was not hidden")
            missing = [i for i in world.others if path.lists_others and not path.shows(response, Subject.other(i))]
            if missing:
                failures.append(f"[{node.name}] {path.name} as {role}: lost other authors' notes {missing}")
    assert not failures, f"{hide.name}: the note stayed visible\n" + "\n".join(failures)


# ---------------------------------------------------------------------------------------- modes


@pytest.mark.parametrize("hide", HIDES, ids=lambda h: h.name)
def test_embedded_one_app(hide: Hide, app: FastAPI, client: TestClient, services: Services) -> None:
    world = build_world(client, services)
    run([Node("app", app)], world, hide)


@pytest.fixture
def cluster(settings: Settings) -> Iterator[list[Node]]:
    """Two app instances from the same settings: one PostgreSQL database, one Redis."""
    assert settings.redis_url, "cluster mode needs the PostgreSQL + Redis pass"
    first, second = create_app(settings, SystemClock()), create_app(settings, SystemClock())
    prepare_schema(first.state.services)
    try:
        with TestClient(first), TestClient(second):
            yield [Node("A", first), Node("B", second)]
    finally:
        first.state.services.close()
        second.state.services.close()


@pytest.mark.skipif(BACKEND != "postgres", reason="cluster mode: runs with REDBRIDGE_TEST_BACKEND=postgres")
@pytest.mark.parametrize("hide", HIDES, ids=lambda h: h.name)
def test_cluster_two_apps(hide: Hide, cluster: list[Node]) -> None:
    first = cluster[0].app
    world = build_world(TestClient(first), first.state.services)
    run(cluster, world, hide)


# ---------------------------------------------------------------------- held at creation (pipeline)


def test_held_at_creation_shows_on_its_authors_own_views_only(app: FastAPI, client: TestClient,
                                                              services: Services) -> None:
    """A note the pipeline holds when it is posted, and a held comment: with every cache warm, no
    path but the author's own shows either (the real checker and the shipped lists decide)."""
    world = build_world(client, services)
    node = Node("app", app)
    node.connect(world)
    n = next(_seq)
    marker = f"heldbody{n}q"
    # Warm every cache first, as in ``run``.
    for path, role in pairs():
        fetch(node, world, path, role, world.kept)
    created = node.api[AUTHOR].post("/api/v1/notes", json={
        "title": f"Held dumplings {n}", "body": f"{marker} {HELD_TEXT} for @{world.follower.username} #{world.tag}",
        "topic": TOPIC})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "held"
    held = Subject(str(created.json()["id"]), str(created.json()["title"]), marker, "", "", "", "", ())
    comment_body = f"held comment {n}q {HELD_TEXT}"
    count_before = node.api[ANONYMOUS].get(f"/api/v1/notes/{world.kept.id}").json()["comment_count"]
    said = node.api[FOLLOWER].post(f"/api/v1/notes/{world.kept.id}/comments", json={"body": comment_body})
    assert (said.status_code, said.json().get("status")) == (201, "held"), said.text
    held_comment = str(said.json()["id"])

    failures: list[str] = []
    needs_comments = {"replies API", "comment thread page", "cover file"}  # the held note has none
    for path, role in pairs():
        if path.name in needs_comments:
            continue
        response = fetch(node, world, path, role, held)
        where = f"{path.name} as {role}: GET {path.url(world, held)}"
        if role == AUTHOR and (path.itself or path.name in {"author's notes API", "author's profile page"}):
            # The note itself answers (it has no comments to list); the author's lists show it.
            if not (response.status_code == 200 if path.itself else path.shows(response, held)):
                failures.append(f"{where} -> {response.status_code}: the author must see their held note")
            continue
        if path.itself and response.status_code != 404:
            failures.append(f"{where} -> {response.status_code}, expected 404")
        if response.status_code == 200 and path.shows(response, held):
            failures.append(f"{where} -> shows the held note")
        leaked = [t for t in (held.title, marker) if t in response.text]
        if leaked:
            failures.append(f"{where} -> leaks {leaked}")
        # The held comment, on the kept note: its author's only.
        kept_response = fetch(node, world, path, role, world.kept)
        if role != FOLLOWER and comment_body in kept_response.text:
            failures.append(f"{path.name} as {role}: GET {path.url(world, world.kept)} -> leaks the held comment")
    assert not failures, "\n".join(failures)

    comments_url = f"/api/v1/notes/{world.kept.id}/comments"
    own = node.api[FOLLOWER].get(comments_url).json()["items"]
    assert [c["status"] for c in own if c["id"] == held_comment] == ["held"]
    for role in (ANONYMOUS, AUTHOR):
        assert held_comment not in [c["id"] for c in node.api[role].get(comments_url).json()["items"]]
    assert node.api[ANONYMOUS].get(f"/api/v1/notes/{world.kept.id}").json()["comment_count"] == count_before
