"""Bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from redbridge.accounts.schemas import Strict, UserBrief
from redbridge.engagement.schemas import OpaqueId

# The last four are the moderators' notices (``models.MODERATION_KINDS``): no actor, a ``message``.
Kind = Literal["like", "collect", "comment", "reply", "mention", "comment_like", "follow",
               "moderation", "appeal", "account", "report"]


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
    actor: UserBrief | None = Field(description="Who acted; null for a moderators' notice (they act unnamed).")
    note: NoteRef | None
    comment: CommentRef | None
    created_at: datetime
    read: bool
    details: dict[str, Any] | None = Field(
        None, description="A moderators' notice: codes (subject, decision / outcome / action, reason, until).")
    message: str | None = Field(None, description="A moderators' notice, in the reader's language.")


class UnreadOut(BaseModel):
    unread: int


class MarkReadIn(Strict):
    up_to_id: OpaqueId | None = Field(
        default=None, description="Mark notifications up to and including this one; null marks all."
    )
