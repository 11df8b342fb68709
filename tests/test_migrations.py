"""Alembic migrations: a migrated database matches the models exactly, and the chain reverses."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from redbridge.core import db, migrate
from redbridge.models import Base
from redbridge.settings import Settings


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    return db.make_engine(settings) if settings.is_sqlite else create_engine(settings.resolved_database_url)


def test_migrated_schema_matches_models(settings: Settings) -> None:
    engine = _engine(settings)
    try:
        migrate.upgrade(engine)  # on PostgreSQL the template is already at head: this is a no-op
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": migrate.include_object}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(settings: Settings) -> None:
    engine = _engine(settings)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0004_keeps_admins_and_rows(settings: Settings) -> None:
    """``is_admin`` becomes ``role`` without losing an account or anything that references one (on
    SQLite a rebuilt ``users`` table would cascade into sessions and notes)."""
    from sqlalchemy import text

    engine = _engine(settings)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0003")
        with engine.begin() as conn:
            for uid, name, admin in ((1, "root", True), (2, "plain", False)):
                conn.execute(text(
                    "INSERT INTO users (id, username, username_key, password_hash, display_name, bio, read_langs,"
                    " ui_lang, region, interests, onboarded, is_admin, is_active, follower_count, following_count,"
                    " note_count, engagement_received, created_at) VALUES (:id, :n, :n, 'x', :n, '', '[]', 'en', '',"
                    " '[]', false, :admin, true, 0, 0, 0, 0, '2025-01-01 00:00:00')"), {"id": uid, "n": name, "admin": admin})
            conn.execute(text(
                "INSERT INTO notes (id, author_id, kind, title, body, lang, like_count, collect_count, comment_count,"
                " hot, created_at, updated_at) VALUES (10, 2, 'text', 't', 'b', 'en', 0, 0, 0, 0,"
                " '2025-01-01 00:00:00', '2025-01-01 00:00:00')"))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            roles = dict(conn.execute(text("SELECT username, role FROM users ORDER BY id")).all())
            notes = conn.execute(text("SELECT id, status, label FROM notes")).all()
        assert roles == {"root": "admin", "plain": "user"}
        assert [tuple(n) for n in notes] == [(10, "published", None)]
        migrate.downgrade(engine, "0003")
        with engine.connect() as conn:
            admins = dict(conn.execute(text("SELECT username, is_admin FROM users ORDER BY id")).all())
        assert {k: bool(v) for k, v in admins.items()} == {"root": True, "plain": False}
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM notes"))
            conn.execute(text("DELETE FROM users"))
        migrate.upgrade(engine)
    finally:
        engine.dispose()
