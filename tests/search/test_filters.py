"""The notes search's time, scope and place filters (API), and the users and tags searches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from redbridge.core.services import Services
from redbridge.notes import views as note_views
from redbridge.notes.models import Note, NoteView
from redbridge.search import actions
from redbridge.search.backend import Near
from tests.factories import Factory
from tests.search.helpers import ids, search
from tests.web.helpers import browser, count_rows

SUZHOU = {"name": "Suzhou", "lat": 31.30, "lng": 120.62}
SHANGHAI = {"name": "上海", "lat": 31.23, "lng": 121.47}  # ~80 km from Suzhou
BOSTON = {"name": "Boston", "lat": 42.36, "lng": -71.06}


def _backdate(services: Services, note: dict[str, Any], days: float) -> None:
    """The note as if posted ``days`` ago (and re-indexed so, as an edit would)."""
    with services.sessions() as session:
        row = session.get(Note, int(note["id"]))
        assert row is not None
        session.execute(update(Note).where(Note.id == row.id).values(created_at=row.created_at - timedelta(days=days)))
        session.commit()
    actions.sync_notes(services, [int(note["id"])])


def test_time_window(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    today = factory.note(author, title="matcha latte today")
    last_month = factory.note(author, title="matcha latte last month")
    last_year = factory.note(author, title="matcha latte last year")
    _backdate(services, last_month, 30)
    _backdate(services, last_year, 365)
    assert ids(search(client, services, "matcha", time="day")) == [today["id"]]
    assert ids(search(client, services, "matcha", time="week")) == [today["id"]]
    assert set(ids(search(client, services, "matcha", time="halfyear"))) == {today["id"], last_month["id"]}
    assert len(ids(search(client, services, "matcha"))) == 3
    bad = client.get("/api/v1/search/notes", params={"q": "matcha", "time": "decade"})
    assert bad.status_code == 422


def test_following_scope(client: TestClient, factory: Factory, services: Services) -> None:
    reader, friend, stranger = factory.user(), factory.user(), factory.user()
    mine = factory.note(friend, title="bubble tea with friends")
    factory.note(stranger, title="bubble tea alone")
    assert ids(search(client, services, "bubble tea", reader, scope="following")) == []  # follows nobody
    assert client.post(f"/api/v1/users/{friend.username}/follow", headers=reader.headers).status_code in (200, 204)
    assert ids(search(client, services, "bubble tea", reader, scope="following")) == [mine["id"]]
    assert len(ids(search(client, services, "bubble tea", reader, scope="all"))) == 2
    anonymous = client.get("/api/v1/search/notes", params={"q": "bubble tea", "scope": "following"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "search.scope_needs_login"
    zh = client.get("/api/v1/search/notes", params={"q": "bubble tea", "scope": "following"},
                    headers={"Accept-Language": "zh-CN"})
    assert zh.json()["error"]["message"] != anonymous.json()["error"]["message"]


def test_unseen_scope_leaves_out_the_notes_the_reader_opened(app: FastAPI, client: TestClient, factory: Factory,
                                                              services: Services) -> None:
    reader, other, author = factory.user(), factory.user(), factory.user()
    opened_by_api = factory.note(author, title="kimchi stew")
    opened_page = factory.note(author, title="kimchi fried rice")
    never = factory.note(author, title="kimchi pancake")
    assert client.get(f"/api/v1/notes/{opened_by_api['id']}", headers=reader.headers).status_code == 200
    assert client.get(f"/api/v1/notes/{opened_by_api['id']}", headers=reader.headers).status_code == 200  # twice: one view
    assert browser(app, reader).get(f"/n/{opened_page['id']}").status_code == 200
    # This process's views count at once, before they are written.
    assert ids(search(client, services, "kimchi", reader, scope="unseen")) == [never["id"]]
    assert len(ids(search(client, services, "kimchi", other, scope="unseen"))) == 3  # someone else's views
    assert len(ids(search(client, services, "kimchi", reader))) == 3  # the default scope: everything
    # Written, they are the reader's alone, once each, and still left out.
    assert note_views.flush(services) == 2
    assert count_rows(services, NoteView) == 2
    assert count_rows(services, NoteView, NoteView.user_id == int(reader.id)) == 2
    assert ids(search(client, services, "kimchi", reader, scope="unseen")) == [never["id"]]
    # An anonymous reader has no views to leave out; a missing note is no view.
    anonymous = client.get("/api/v1/search/notes", params={"q": "kimchi", "scope": "unseen"},
                           headers={"Accept-Language": "zh-CN"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "search.scope_needs_login"
    assert "登录" in anonymous.json()["error"]["message"]
    assert client.get("/api/v1/notes/123456789", headers=reader.headers).status_code == 404
    assert note_views.flush(services) == 0
    # The page offers the scope and keeps it across the form.
    html = browser(app, reader).get("/search", params={"q": "kimchi", "scope": "unseen"}).text
    assert f'href="/n/{never["id"]}"' in html
    assert f'href="/n/{opened_page["id"]}"' not in html


def test_views_are_written_in_batches_and_bounded(factory: Factory, services: Services, client: TestClient) -> None:
    reader = factory.user()
    notes = [factory.note(reader, images=0, title=f"view {n}") for n in range(3)]
    services.settings.search.views_pending_max = 100  # the smallest the settings allow
    log = note_views.view_log(services)
    for n in range(150):  # more distinct views than may wait: the rest are dropped, not queued
        log.record(int(reader.id), 10_000_000 + n)
    assert len(log.pending(int(reader.id))) == 100
    log.record(int(reader.id), int(notes[0]["id"]))  # full: dropped too
    assert int(notes[0]["id"]) not in log.pending(int(reader.id))
    assert note_views.flush(services) == 100  # the unknown notes are left out of the rows
    assert count_rows(services, NoteView) == 0
    for note in notes:
        log.record(int(reader.id), int(note["id"]))
    assert note_views.flush(services) == 3
    assert count_rows(services, NoteView) == 3


def test_place_by_point_and_by_name(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    suzhou = factory.note(author, title="soup dumplings", place=SUZHOU)
    shanghai = factory.note(author, title="soup dumplings too", place=SHANGHAI)
    boston = factory.note(author, title="soup dumplings abroad", place=BOSTON)
    factory.note(author, title="soup dumplings somewhere")  # no place: never near anything
    assert ids(search(client, services, "dumplings", near="31.31,120.60")) == [suzhou["id"]]
    assert set(ids(search(client, services, "dumplings", near="31.31,120.60", within_km=100))) == {
        suzhou["id"], shanghai["id"]}
    assert ids(search(client, services, "dumplings", place="boston")) == [boston["id"]]  # any case
    assert ids(search(client, services, "dumplings", place="上海", within_km=2)) == [shanghai["id"]]
    # Either Chinese script names the place.
    with services.sessions() as session:
        session.execute(update(Note).where(Note.id == int(shanghai["id"])).values(place_name="臺北"))
        session.commit()
    assert ids(search(client, services, "dumplings", place="台北", within_km=2)) == [shanghai["id"]]


@pytest.mark.parametrize(("params", "code"), [
    ({"near": "31.3"}, "search.bad_near"),
    ({"near": "north,east"}, "search.bad_near"),
    ({"near": "91,0"}, "search.bad_near"),
    ({"near": "nan,nan"}, "search.bad_near"),
    ({"near": "inf,0"}, "search.bad_near"),
    ({"near": "1,2,3"}, "search.bad_near"),
    ({"near": "31,120", "within_km": 0}, "search.bad_distance"),
    ({"near": "31,120", "within_km": 10_000}, "search.bad_distance"),
    ({"place": "Atlantis"}, "search.unknown_place"),
])
def test_bad_place_is_a_clear_422(client: TestClient, params: dict[str, Any], code: str) -> None:
    response = client.get("/api/v1/search/notes", params={"q": "dumplings", **params})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


def test_the_place_box_crosses_the_antimeridian_and_the_circle_is_exact() -> None:
    fiji = Near(-17.7, 179.9, 50)
    assert len(fiji.boxes()) == 2
    assert fiji.contains(-17.7, -179.9)  # 21 km east, across the line
    assert not fiji.contains(-17.7, 178.0)
    corner = Near(0.0, 0.0, 100)
    box = corner.boxes()[0]
    assert corner.contains(0.0, box.east - 0.01)
    assert not corner.contains(box.north - 0.01, box.east - 0.01)
    assert Near(89.9, 0.0, 50).boxes()[0].west == -180.0


def test_filters_apply_to_the_dense_side_too(client: TestClient, factory: Factory, services: Services) -> None:
    """The database filter, not only the index, applies every filter: the dense ranking has none."""
    from redbridge.search.backend import NoteQuery
    from redbridge.search.queries import _visible

    author = factory.user()
    old = factory.note(author, title="old", place=SUZHOU)
    new = factory.note(author, title="new")
    _backdate(services, old, 30)
    since = int(services.clock.now().timestamp()) - 86_400
    note_ids = [int(old["id"]), int(new["id"])]
    with services.sessions() as session:
        assert _visible(session, note_ids, NoteQuery(terms=("x",), since=since)) == {int(new["id"])}
        assert _visible(session, note_ids, NoteQuery(terms=("x",), near=Near(31.3, 120.6, 5))) == {int(old["id"])}
        assert _visible(session, note_ids, NoteQuery(terms=("x",), authors=frozenset())) == set()
        assert _visible(session, note_ids, NoteQuery(terms=("x",), exclude_notes=frozenset({int(new["id"])}))) == {
            int(old["id"])}


# ------------------------------------------------------------------------------------------- users


def _users(client: TestClient, q: str, **params: Any) -> list[str]:
    response = client.get("/api/v1/search/users", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [person["username"] for person in response.json()["items"]]


def test_users_by_username_and_display_name(client: TestClient, factory: Factory) -> None:
    lin = factory.user(username="lin")
    linda = factory.user(username="linda_eats")
    chef = factory.user(username="chef_wang")
    assert client.patch("/api/v1/auth/me", headers=chef.headers, json={"display_name": "Lin 王小林"}).status_code == 200
    assert client.patch("/api/v1/auth/me", headers=linda.headers, json={"display_name": "臺灣小吃"}).status_code == 200
    # The exact username, then other usernames starting so, then display names.
    assert _users(client, "lin") == [lin.username, linda.username, chef.username]
    assert _users(client, "@LINDA") == [linda.username]
    assert _users(client, "小林") == [chef.username]
    assert _users(client, "台湾") == [linda.username]  # either script
    assert _users(client, "%") == []
    assert _users(client, "_") == []
    assert _users(client, "@") == []
    page = client.get("/api/v1/search/users", params={"q": "lin"}).json()["items"][0]
    assert {"bio", "follower_count", "note_count", "avatar_url"} <= set(page)


def test_users_search_hides_blocked_and_inactive(client: TestClient, factory: Factory, services: Services) -> None:
    from redbridge.accounts.models import User

    reader, blocked, gone = factory.user(), factory.user(username="noodle_a"), factory.user(username="noodle_b")
    factory.user(username="noodle_c")
    assert client.post(f"/api/v1/users/{blocked.username}/block", headers=reader.headers).status_code == 204
    with services.sessions() as session:
        session.execute(update(User).where(User.id == gone.int_id).values(is_active=False))
        session.commit()
    response = client.get("/api/v1/search/users", params={"q": "noodle"}, headers=reader.headers)
    assert [p["username"] for p in response.json()["items"]] == ["noodle_c"]


def test_users_cursor(client: TestClient, factory: Factory) -> None:
    for n in range(5):
        factory.user(username=f"tea_lover{n}")
    seen, cursor = [], None
    while True:
        response = client.get("/api/v1/search/users", params={"q": "tea_", "limit": 2, **({"cursor": cursor} if cursor else {})})
        body = response.json()
        seen += [p["username"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"tea_lover{n}" for n in range(5)]


# ------------------------------------------------------------------------------------------- tags


def _tags(client: TestClient, q: str) -> list[tuple[str, int]]:
    response = client.get("/api/v1/search/tags", params={"q": q})
    assert response.status_code == 200, response.text
    return [(t["tag"], t["note_count"]) for t in response.json()["items"]]


def test_tags_by_prefix_exact_first_then_most_used(client: TestClient, factory: Factory, services: Services) -> None:
    author = factory.user()
    factory.note(author, title="a", body="#hotpotnight")
    factory.note(author, title="b", body="#hotpotnight")
    factory.note(author, title="c", body="#hotpot")
    factory.note(author, title="d", body="#火鍋")
    assert _tags(client, "hotpot") == [("hotpot", 1), ("hotpotnight", 2)]
    assert _tags(client, "#HOT") == [("hotpotnight", 2), ("hotpot", 1)]
    assert _tags(client, "火锅") == [("火鍋", 1)]  # either script
    assert _tags(client, "%") == []
    assert _tags(client, "!!!") == []


def test_tags_of_deleted_notes_are_not_counted(client: TestClient, factory: Factory) -> None:
    author = factory.user()
    note = factory.note(author, title="x", body="#sourdough")
    assert _tags(client, "sour") == [("sourdough", 1)]
    assert client.delete(f"/api/v1/notes/{note['id']}", headers=author.headers).status_code == 204
    assert _tags(client, "sour") == []


@pytest.mark.parametrize("path", ["/api/v1/search/users", "/api/v1/search/tags"])
@pytest.mark.parametrize("q", ["", "x" * 10_000, "😀😀", "AND OR ( \" *", "'; DROP TABLE users; --"])
def test_hostile_queries(client: TestClient, path: str, q: str) -> None:
    response = client.get(path, params={"q": q})
    assert response.status_code in (200, 422), response.text
    assert "error" in response.json() or "items" in response.json()
    assert client.get(path, params={"q": "ok"}).status_code == 200

