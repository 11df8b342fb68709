"""Counters stay exact when many requests race: each request is a real HTTP call through the
app's thread pool, all released at the same moment by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from redbridge.engagement.models import Collect, Collection, Comment, Like
from redbridge.notes.models import Note
from redbridge.notifications.models import Notification
from redbridge.settings import CapacitySettings, Settings
from tests.engagement.helpers import note_counts, received, rows

USERS = 20


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Immediate-mode jobs run inside the request's commit and take a second connection; give
    # every one of the racing requests room for two.
    return settings.model_copy(update={"capacity": CapacitySettings(max_inflight=2 * USERS, max_queued=64, queue_timeout_s=30)})


def race(calls: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_likes_keep_like_count_exact(client, factory, services):
    author = factory.user()
    note = factory.note_row(author)
    fans = [factory.user() for _ in range(USERS)]
    url = f"/api/v1/notes/{note}/like"

    # Every fan likes twice at once: 40 racing requests, 20 real likes.
    results = race([lambda f=f: client.post(url, headers=f.headers) for f in fans * 2])
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200]
    assert rows(services, Like, note_id=note) == USERS
    assert note_counts(services, note)["likes"] == USERS
    assert received(services, author) == USERS
    # One notification per fan, however the duplicates interleaved.
    assert rows(services, Notification, recipient_id=author.int_id, kind="like") == USERS

    # Half unlike (twice each) while the other half like again: the count follows the rows.
    leaving, staying = fans[: USERS // 2], fans[USERS // 2 :]
    calls = [lambda f=f: client.delete(url, headers=f.headers) for f in leaving * 2]
    calls += [lambda f=f: client.post(url, headers=f.headers) for f in staying]
    race(calls)
    like_rows = rows(services, Like, note_id=note)
    assert like_rows == len(staying)
    assert note_counts(services, note)["likes"] == like_rows
    assert received(services, author) == like_rows


def test_concurrent_collects_and_moves_keep_counts_exact(client, factory, services):
    author = factory.user()
    note = factory.note_row(author)
    fans = [factory.user() for _ in range(USERS // 2)]
    boxes = {}
    for fan in fans:
        made = [client.post("/api/v1/collections", headers=fan.headers, json={"name": n}).json()["id"] for n in "ab"]
        boxes[fan.username] = made
    url = f"/api/v1/notes/{note}/collect"

    # Each fan collects into "a" and into "b" at the same moment: one collect, in one of them.
    calls = [
        lambda f=f, box=box: client.post(url, headers=f.headers, json={"collection_id": box})
        for f in fans for box in boxes[f.username]
    ]
    assert all(r.status_code == 200 for r in race(calls))
    assert rows(services, Collect, note_id=note) == len(fans)
    assert note_counts(services, note)["collects"] == len(fans)
    assert received(services, author) == len(fans)
    with services.sessions() as session:
        for fan in fans:
            filed = session.scalar(select(Collect.collection_id).where(Collect.user_id == fan.int_id))
            counts = {
                c.id: c.note_count
                for c in session.scalars(select(Collection).where(Collection.owner_id == fan.int_id))
            }
            assert counts == {c: int(c == filed) for c in counts}


def test_concurrent_comments_and_replies_keep_counts_exact(client, factory, services):
    author = factory.user()
    note = factory.note_row(author)
    top = client.post(f"/api/v1/notes/{note}/comments", headers=author.headers, json={"body": "ask me"}).json()["id"]
    fans = [factory.user() for _ in range(USERS)]
    calls = [
        lambda f=f, i=i: client.post(
            f"/api/v1/notes/{note}/comments", headers=f.headers,
            json={"body": f"reply {i}", "parent_id": top} if i % 2 else {"body": f"comment {i}"},
        )
        for i, f in enumerate(fans)
    ]
    assert all(r.status_code == 201 for r in race(calls))
    assert note_counts(services, note)["comments"] == rows(services, Comment, note_id=note) == USERS + 1
    with services.sessions() as session:
        assert session.scalar(select(Comment.reply_count).where(Comment.id == int(top))) == USERS // 2
        assert session.scalar(select(Note.comment_count).where(Note.id == note)) == USERS + 1
