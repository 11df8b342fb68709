"""Bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from redbridge.accounts.schemas import Strict, UserBrief
from redbridge.engagement.schemas import OpaqueId

Kind = Literal["like", "collect", "comment", "reply", "mention", "comment_like", "follow"]


class NoteRef(BaseModel):
    id: str
    title: str
    cover_url: str | None


class CommentRef(BaseModel):
    id: str
    body: str = Field(description="The start of the comment (an excerpt).")


class NotificationOut(BaseModel):
    id: str
    kind: Kind
    actor: UserBrief
    note: NoteRef | None
    comment: CommentRef | None
    created_at: datetime
    read: bool


class UnreadOut(BaseModel):
    unread: int


class MarkReadIn(Strict):
    up_to_id: OpaqueId | None = Field(
        default=None, description="Mark notifications up to and including this one; null marks all."
    )
