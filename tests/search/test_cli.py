"""``redbridge search reindex``, the rebuild of a fresh index, and which backend an app gets."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from redbridge.core.services import Services
from redbridge.search import cli
from redbridge.search.embedded import TantivyBackend
from redbridge.search.postgres import PostgresBackend
from redbridge.search.wiring import backend
from redbridge.settings import SearchSettings, Settings
from tests.factories import Factory


def test_reindex_matches_the_database(factory: Factory, services: Services) -> None:
    author = factory.user()
    visible = [factory.note(author, title=f"jasmine tea {n}")["id"] for n in range(3)]
    factory.note_row(author, title="row note jasmine")  # straight in the database: no event, not indexed
    backend(services).flush()
    assert backend(services).count() == 3
    out = io.StringIO()
    assert cli.reindex(services.settings, out) == 4
    assert "indexed 4/4 notes" in out.getvalue()
    assert "search index rebuilt: 4 notes" in out.getvalue()
    index = backend(services)
    index.flush()  # the app's reader sees the other process's commit once reloaded
    assert index.count() == 4
    assert visible


def test_a_missing_index_is_rebuilt_from_the_database(factory: Factory, services: Services) -> None:
    """Embedded: the index directory is gone. PostgreSQL: the table is empty while findable notes
    exist (never built), the one case in which it is fresh (search.wiring)."""
    from redbridge.app import create_app

    author = factory.user()
    factory.note(author, title="pu-erh tea")
    factory.note_row(author, title="longjing tea")
    backend(services).flush()
    if services.settings.search_backend == "postgres":
        backend(services).clear()
        services.close()
    else:
        path = services.settings.var_dir / "search"
        services.close()
        shutil.rmtree(path)
    app = create_app(services.settings)
    try:
        again = backend(app.state.services)  # fresh: the rebuild job runs (immediate mode) at once
        again.flush()
        assert again.count() == 2
    finally:
        app.state.services.close()



def test_the_backend_follows_the_database(services: Services) -> None:
    expected = TantivyBackend if services.settings.is_sqlite else PostgresBackend
    assert isinstance(backend(services), expected)


def test_a_postgres_backend_needs_a_postgres_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a PostgreSQL database_url"):
        Settings(var_dir=tmp_path, search=SearchSettings(backend="postgres"))
    assert Settings(var_dir=tmp_path, database_url="postgresql+psycopg://x@127.0.0.1/x").search_backend == "postgres"
    assert Settings(var_dir=tmp_path, database_url="postgresql+psycopg://x@127.0.0.1/x",
                    search=SearchSettings(backend="embedded")).search_backend == "embedded"
