"""The demo seeder (redbridge.demo.seed): a bilingual community whose every counter matches its rows,
written once, usable through the API. Expected counters are SQL aggregates over the rows, computed
here independently of the seeder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased

from redbridge.accounts.models import Follow, User
from redbridge.app import create_app
from redbridge.cli import main as cli_main
from redbridge.core import db, ids
from redbridge.core import services as services_mod
from redbridge.demo.seed import DEMO_PASSWORD, SeedReport, seed
from redbridge.engagement.models import Collect, Collection, Comment, CommentLike, Like
from redbridge.media.models import Media
from redbridge.notes.models import Note, NoteTag
from redbridge.notes.ranking import hot_score
from redbridge.search.wiring import backend
from redbridge.settings import Settings
from redbridge.text.markup import extract_tags
from redbridge.text.topics import TOPICS


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    result = db.make_engine(settings)
    yield result
    result.dispose()


def _count(conn: Connection, model: Any) -> int:
    return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def _counter_mismatches(conn: Connection) -> dict[str, list[Any]]:
    """For every counter column, the rows whose stored value differs from an aggregate of the rows."""

    def count_of(model: Any, *where: Any) -> Any:
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    reply = aliased(Comment)
    received = (
        select(func.count()).select_from(Like).join(Note, Note.id == Like.note_id)
        .where(Note.author_id == User.id).scalar_subquery()
        + select(func.count()).select_from(Collect).join(Note, Note.id == Collect.note_id)
        .where(Note.author_id == User.id).scalar_subquery()
    )
    checks: dict[str, tuple[Any, Any, Any]] = {
        "users.follower_count": (User.id, User.follower_count, count_of(Follow, Follow.followee_id == User.id)),
        "users.following_count": (User.id, User.following_count, count_of(Follow, Follow.follower_id == User.id)),
        "users.note_count": (User.id, User.note_count, count_of(Note, Note.author_id == User.id)),
        "users.engagement_received": (User.id, User.engagement_received, received),
        "notes.like_count": (Note.id, Note.like_count, count_of(Like, Like.note_id == Note.id)),
        "notes.collect_count": (Note.id, Note.collect_count, count_of(Collect, Collect.note_id == Note.id)),
        "notes.comment_count": (Note.id, Note.comment_count, count_of(Comment, Comment.note_id == Note.id)),
        "comments.reply_count": (Comment.id, Comment.reply_count, count_of(reply, reply.parent_id == Comment.id)),
        "comments.like_count": (Comment.id, Comment.like_count,
                                count_of(CommentLike, CommentLike.comment_id == Comment.id)),
        "collections.note_count": (Collection.id, Collection.note_count,
                                   count_of(Collect, Collect.collection_id == Collection.id)),
    }
    return {name: list(conn.execute(select(key, stored, expected).where(stored != expected)))
            for name, (key, stored, expected) in checks.items()}


def assert_consistent(engine: Engine, report: SeedReport) -> None:
    with engine.connect() as conn:
        assert {k: v for k, v in _counter_mismatches(conn).items() if v} == {}
        for model, n in ((User, report.users), (Note, report.notes), (Media, report.media),
                         (Follow, report.follows), (Like, report.likes), (Collect, report.collects),
                         (Collection, report.collections), (Comment, report.comments)):
            assert _count(conn, model) == n, model.__tablename__

        notes = conn.execute(select(Note.like_count, Note.collect_count, Note.comment_count, Note.created_at,
                                    Note.hot)).all()
        for likes, collects, comments, created_at, hot in notes:
            assert hot == pytest.approx(hot_score(likes, collects, comments, created_at), rel=1e-12, abs=1e-12)

        # Ids carry their row's creation millisecond, so "newest first" by id is newest first by time.
        for model in (User, Note, Media, Collect, Comment, Collection):
            for row_id, created_at in conn.execute(select(model.id, model.created_at)):
                assert ids.id_floor(created_at) <= row_id < ids.id_floor(created_at + timedelta(milliseconds=1))

        # Tags are the #tags written in the body, and media belong to their note's author.
        bodies = dict(conn.execute(select(Note.id, Note.body)).all())
        for note_id, tag in conn.execute(select(NoteTag.note_id, NoteTag.tag)):
            assert tag in extract_tags(bodies[note_id])
        assert not conn.execute(
            select(Media.id).join(Note, Note.id == Media.note_id).where(Media.owner_id != Note.author_id)
        ).first()


def test_community_is_bilingual_engaged_and_consistent(settings: Settings, engine: Engine) -> None:
    report = seed(settings, users=30, notes=200, images=False)

    assert report.created
    assert (report.users, report.notes, report.media, report.pictures) == (30, 200, 0, 0)
    assert report.password == DEMO_PASSWORD
    assert_consistent(engine, report)
    with engine.connect() as conn:
        assert set(conn.scalars(select(Note.lang).distinct())) == {"en", "zh"}
        assert set(conn.scalars(select(Comment.lang).distinct())) == {"en", "zh"}
        assert {"en", "zh-Hans"} <= set(conn.scalars(select(User.ui_lang).distinct()))
        assert set(conn.scalars(select(Note.topic).distinct())) <= set(TOPICS)
        assert set(conn.scalars(select(Note.kind).distinct())) == {"text"}
        assert conn.scalar(select(func.count()).select_from(Note).where(Note.cover_media_id.is_not(None))) == 0
        for interests, read_langs in conn.execute(select(User.interests, User.read_langs)):
            assert interests
            assert set(interests) <= set(TOPICS)
            assert read_langs
            assert set(read_langs) <= {"en", "zh"}
        assert all(conn.scalars(select(User.onboarded)))
        assert set(conn.scalars(select(User.role))) == {"user"}

        # Everyone follows a bounded number of people; some are more followed than others (in a
        # community this small each user follows about half of it, which flattens the curve).
        following = list(conn.scalars(select(User.following_count)))
        assert min(following) >= 1
        assert max(following) <= 30
        followers = sorted(conn.scalars(select(User.follower_count)))
        assert followers[-1] >= 1.5 * followers[len(followers) // 2] > followers[0]

        # Likes follow a power law: the top tenth of notes holds far more than a tenth of them.
        likes = sorted(conn.scalars(select(Note.like_count)), reverse=True)
        assert sum(likes[: len(likes) // 10]) > 0.2 * sum(likes)
        assert 0 < report.collects < report.likes
        assert conn.scalar(select(func.count()).select_from(Like).join(Note, Note.id == Like.note_id)
                           .where(Like.user_id == Note.author_id)) == 0

        # Comment threads with replies; a reply to a reply names whom it answers.
        assert conn.scalar(select(func.max(Comment.reply_count))) > 0
        assert conn.scalar(select(func.count()).select_from(Comment).where(Comment.reply_to_user_id.is_not(None))) > 0

        # One default collection per user, named in their language; some collects filed, some not.
        names = dict(conn.execute(select(User.ui_lang, Collection.name).join(Collection,
                                                                            Collection.owner_id == User.id)).all())
        assert names == {"en": "Saved", "zh-Hans": "收藏"}
        assert report.collections == report.users
        filed = conn.scalar(select(func.count()).select_from(Collect).where(Collect.collection_id.is_not(None)))
        assert 0 < filed < report.collects


def test_seeding_again_changes_nothing(settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    first = seed(settings, users=8, notes=30, images=False)
    with engine.connect() as conn:
        hashes = list(conn.scalars(select(User.password_hash)))
    second = seed(settings, users=8, notes=30, images=False)

    assert first.created
    assert not second.created
    assert "already exists" in capsys.readouterr().out
    counts = ("users", "notes", "media", "follows", "likes", "collects", "collections", "comments")
    assert [getattr(second, c) for c in counts] == [getattr(first, c) for c in counts]
    with engine.connect() as conn:
        assert list(conn.scalars(select(User.password_hash))) == hashes
    # One shared hash, computed once: the demo password opens every account.
    assert len(set(hashes)) == 1


def test_cli_demo_seeds_without_serving(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``redbridge demo --no-serve`` seeds, and indexes what it seeds: a newcomer's first search
    finds something."""
    monkeypatch.setenv("REDBRIDGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("REDBRIDGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDBRIDGE_PASSWORDS__MEMORY_KIB", str(settings.passwords.memory_kib))
    monkeypatch.setenv("REDBRIDGE_PASSWORDS__TIME_COST", str(settings.passwords.time_cost))

    assert cli_main(["demo", "--no-serve", "--no-images", "--users", "6", "--notes", "20"]) == 0

    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    assert "search index rebuilt: 20 notes" in out
    with engine.connect() as conn:
        assert (_count(conn, User), _count(conn, Note), _count(conn, Media)) == (6, 20, 0)
    services = services_mod.build(settings)
    try:
        assert backend(services).count() == 20
    finally:
        services.close()


def _login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_demo_with_pictures_through_the_api(settings: Settings, engine: Engine) -> None:
    report = seed(settings, users=12, notes=60, images=True, image_pool=10)

    assert report.created
    assert 0 < report.pictures <= 10 + len(TOPICS)
    assert report.media > report.pictures  # pictures are shared out between notes
    assert_consistent(engine, report)
    media_dir = settings.resolved_media_dir
    with engine.connect() as conn:
        media = conn.execute(select(Media.note_id, Media.position, Media.id, Media.key, Media.thumb_key,
                                    Media.width, Media.height, Media.thumb_width, Media.thumb_height,
                                    Media.status, Media.kind)).all()
        notes = {n.id: n for n in conn.execute(select(Note.id, Note.kind, Note.cover_media_id))}
        users = conn.execute(select(User.username, User.following_count).order_by(User.following_count.desc())).all()
        top_note = conn.execute(select(Note.id, Note.like_count).order_by(Note.like_count.desc()).limit(1)).one()

    # Each media row has its own files, real WebP of the stated size, with no metadata.
    keys = [m.key for m in media] + [m.thumb_key for m in media]
    assert len(set(keys)) == len(keys)
    for m in media:
        assert (m.status, m.kind) == ("ready", "image")
        for key, size in ((m.key, (m.width, m.height)), (m.thumb_key, (m.thumb_width, m.thumb_height))):
            with Image.open(media_dir / key) as picture:
                assert picture.format == "WEBP"
                assert picture.size == size
                assert len(picture.getexif()) == 0
                assert "exif" not in picture.info
                assert "xmp" not in picture.info

    # Image notes have a carousel starting with their cover; text notes have neither.
    carousels: dict[int, list[tuple[int, int]]] = {}
    for m in media:
        carousels.setdefault(m.note_id, []).append((m.position, m.id))
    kinds = {n.kind for n in notes.values()}
    assert kinds == {"image", "text"}
    for note in notes.values():
        carousel = sorted(carousels.get(note.id, []))
        if note.kind == "image":
            assert [p for p, _ in carousel] == list(range(len(carousel)))
            assert 1 <= len(carousel) <= 18
            assert note.cover_media_id == carousel[0][1]
        else:
            assert carousel == []
            assert note.cover_media_id is None

    app = create_app(settings)
    try:
        with TestClient(app) as client:
            wrong = client.post("/api/v1/auth/login", json={"username": users[0].username, "password": "not-the-one"})
            assert wrong.status_code == 401
            headers = _login(client, users[0].username)

            explore = client.get("/api/v1/feeds/explore", headers=headers)
            assert explore.status_code == 200, explore.text
            cards = explore.json()["items"]
            assert cards
            covered = [c for c in cards if c["kind"] == "image"]
            assert covered
            assert all(c["cover"] and c["cover"]["url"] and c["cover"]["width"] > 0 for c in covered)
            served = client.get(covered[0]["cover"]["url"])
            assert served.status_code == 200
            assert served.headers["content-type"] == "image/webp"

            following = client.get("/api/v1/feeds/following", headers=headers)
            assert following.status_code == 200, following.text
            assert following.json()["items"]

            page = client.get(f"/api/v1/notes/{ids.encode(top_note.id)}", headers=headers)
            assert page.status_code == 200, page.text
            assert page.json()["like_count"] == top_note.like_count

            # Deleting a note removes its own files only: every other note's pictures still serve.
            victim = next(n for n in notes.values() if n.kind == "image")
            author = client.get(f"/api/v1/notes/{ids.encode(victim.id)}").json()["author"]["username"]
            deleted = client.delete(f"/api/v1/notes/{ids.encode(victim.id)}", headers=_login(client, author))
            assert deleted.status_code == 204, deleted.text
            for m in media:
                exists = (media_dir / m.key).is_file() and (media_dir / m.thumb_key).is_file()
                assert exists == (m.note_id != victim.id)
    finally:
        app.state.services.close()

    again = seed(settings, users=12, notes=60, images=True, image_pool=10)
    assert not again.created
    assert again.notes == report.notes - 1
    assert again.media == report.media - len(carousels[victim.id])
