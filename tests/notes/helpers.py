"""Helpers shared by the notes and media API tests."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import event, func, select

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.services import Services
from redbridge.media.models import Media
from redbridge.settings import Settings
from tests.conftest import prepare_schema
from tests.factories import Factory, UserHandle, png_bytes


@contextmanager
def custom_app(settings: Settings, *, media: dict[str, Any] | None = None,
               rate_limits: dict[str, Any] | None = None) -> Iterator[tuple[TestClient, Factory]]:
    """A client for an app built from the test settings with some media limits / rate limits changed."""
    update: dict[str, Any] = {}
    if media:
        update["media"] = settings.media.model_copy(update=media)
    if rate_limits:
        update["rate_limits"] = settings.rate_limits.model_copy(update=rate_limits)
    app = create_app(settings.model_copy(update=update), SystemClock())
    prepare_schema(app.state.services)
    with TestClient(app) as client:
        yield client, Factory(client, app.state.services)


@contextmanager
def count_queries(services: Services) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            statements.append(statement)

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(services.engine, "before_cursor_execute", record)


def stored_files(services: Services) -> set[str]:
    """Every file under the media root, as storage keys (temp files included, on purpose)."""
    root: Path = services.settings.resolved_media_dir
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def key_of(url: str) -> str:
    assert url.startswith("/media/"), url
    return url.removeprefix("/media/")


def media_count(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Media)) or 0)


def media_row(services: Services, media_id: str) -> Media | None:
    with services.sessions() as session:
        return session.get(Media, int(media_id))


def upload(client: TestClient, user: UserHandle, data: bytes, filename: str = "photo.png",
           content_type: str = "image/png", **form: str) -> Any:
    return client.post("/api/v1/media", headers=user.headers, files={"file": (filename, data, content_type)},
                       data=form or None)


def post_note(client: TestClient, user: UserHandle | None, **payload: Any) -> Any:
    body = {"title": "A note", **payload}
    return client.post("/api/v1/notes", headers=user.headers if user else {}, json=body)


def coloured_png(seed: int) -> bytes:
    """A small PNG whose colour depends on ``seed`` (distinct uploads, distinct files)."""
    return png_bytes(32, 24, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))


def decode_image(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def record_events(monkeypatch: Any) -> list[tuple[str, dict[str, Any]]]:
    """Events published by actions from now on, as (name, payload)."""
    from redbridge.core import events

    seen: list[tuple[str, dict[str, Any]]] = []
    original = events.publish

    def publish(session: Any, name: str, payload: dict[str, Any]) -> None:
        seen.append((name, payload))
        original(session, name, payload)

    monkeypatch.setattr(events, "publish", publish)
    return seen
