"""Schema migrations (Alembic) run programmatically: ``redbridge migrate`` and app tests."""

from __future__ import annotations

from importlib import resources
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

# Tables a migration makes on one engine only and no model describes (the PostgreSQL search
# backend's index, 0016, its vectors, 0018, and its vocabulary, 0019): autogenerate and the schema comparison leave them alone.
ENGINE_ONLY_TABLES: Final = frozenset({"search_notes", "search_vectors", "search_words"})


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object`` hook: everything but ``ENGINE_ONLY_TABLES`` (and their indexes)."""
    table = obj.table.name if type_ == "index" else name
    return not (reflected and compare_to is None and table in ENGINE_ONLY_TABLES)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("redbridge") / "migrations"))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
