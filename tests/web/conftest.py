"""A small community for page tests: two users, a photo note with a comment thread, a text note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Factory, UserHandle


@dataclass
class World:
    alice: UserHandle
    bob: UserHandle
    photo_note: dict[str, Any]
    text_note: dict[str, Any]
    comment_id: str
    reply_id: str


@pytest.fixture
def world(client: TestClient, factory: Factory) -> World:
    alice = factory.user("alice", display_name="Alice")
    bob = factory.user("bob", display_name="Bob")
    photo = factory.note(alice, images=2, title="Hotpot night", body="Spicy #hotpot with @bob\nsecond line",
                         tags=["chengdu"], place={"name": "Chengdu"})
    text = factory.note(bob, images=0, title="早上好，成都", body="今天天气很好，出去走走 #天气")
    top = client.post(f"/api/v1/notes/{photo['id']}/comments", headers=bob.headers, json={"body": "Looks great"})
    assert top.status_code == 201, top.text
    reply = client.post(f"/api/v1/notes/{photo['id']}/comments", headers=alice.headers,
                        json={"body": "Thanks!", "parent_id": top.json()["id"]})
    assert reply.status_code == 201, reply.text
    return World(alice, bob, photo, text, top.json()["id"], reply.json()["id"])
