"""Shapes of the feeds API: every feed is a page of the shared note card."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from redbridge.accounts.schemas import Topic
from redbridge.core.pagination import Page
from redbridge.notes.schemas import NoteCard

FeedPage = Page[NoteCard]
Cursor = Annotated[str | None, Query(description="Opaque cursor from the previous page's next_cursor")]
TopicFilter = Annotated[Topic | None, Query(description="Only notes of this topic (an explore channel)")]
