"""Factories: build users, images and notes the way a client would (through the API), with
direct-database shortcuts where a test needs volume rather than realism."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from redbridge.core import ids
from redbridge.core.services import Services

_seq = itertools.count(1)
PASSWORD = "bridge-over-river-42"


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 80, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class UserHandle:
    id: str
    username: str
    token: str
    csrf_token: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def int_id(self) -> int:
        return int(self.id)


class Factory:
    def __init__(self, client: httpx.Client, services: Services) -> None:
        # A TestClient in-process, or an httpx.Client against a live server (tests/e2e).
        self.client = client
        self.services = services

    def user(self, username: str | None = None, **extra: Any) -> UserHandle:
        name = username or f"user{next(_seq)}"
        response = self.client.post("/api/v1/auth/signup", json={"username": name, "password": PASSWORD, **extra})
        assert response.status_code == 201, response.text
        body = response.json()
        return UserHandle(
            id=body["user"]["id"], username=name, token=body["token"], csrf_token=body["csrf_token"],
            headers={"Authorization": f"Bearer {body['token']}"},
        )

    def upload(self, user: UserHandle, data: bytes | None = None, filename: str = "photo.png",
               content_type: str = "image/png") -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/media", headers=user.headers,
            files={"file": (filename, data if data is not None else png_bytes(), content_type)},
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def note(self, user: UserHandle, images: int = 1, **fields: Any) -> dict[str, Any]:
        media_ids = [self.upload(user)["id"] for _ in range(images)]
        payload = {"title": f"Note {next(_seq)}", "body": "hello #food", "media_ids": media_ids, **fields}
        response = self.client.post("/api/v1/notes", headers=user.headers, json=payload)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def note_row(self, author: UserHandle, *, title: str = "row note", body: str = "", lang: str = "en",
                 topic: str | None = None, age: timedelta = timedelta(0), likes: int = 0,
                 collects: int = 0) -> int:
        """Insert a text note straight into the database (volume tests); returns its id."""
        from redbridge.core import changes
        from redbridge.notes.models import Note
        from redbridge.notes.ranking import hot_score

        created: datetime = self.services.clock.now() - age
        with self.services.sessions() as session:
            note = Note(
                id=ids.new_id(created), author_id=author.int_id, kind="text", title=title, body=body, lang=lang,
                topic=topic, like_count=likes, collect_count=collects, comment_count=0,
                hot=hot_score(likes, collects, 0, created), created_at=created, updated_at=created,
            )
            session.add(note)
            # Announced like a published note (``notes.actions``), so the read caches see it.
            changes.note_visibility_changed(session, note.id, author.int_id, visible=True)
            session.commit()
            return note.id
