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
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
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
