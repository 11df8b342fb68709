"""Request and response bodies of the engagement API: likes, collects, collections, comments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from redbridge.accounts.schemas import NO_NUL, Strict, UserBrief
from redbridge.core import ids
from redbridge.text.clean import RequiredSingleLine

COMMENT_MAX = 500


def _well_formed_id(value: str) -> str:
    if ids.decode(value) is None:
        raise ValueError("not an id")
    return value


# An id given in a request body: malformed is a 422 on that field (in a path it is a 404).
OpaqueId = Annotated[str, StringConstraints(min_length=1, max_length=19), AfterValidator(_well_formed_id)]
CollectionName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=NO_NUL), RequiredSingleLine
]
CollectionDescription = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=NO_NUL)]
CommentBody = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMENT_MAX, pattern=NO_NUL)
]


class LikeOut(BaseModel):
    liked: bool
    like_count: int


class CollectIn(Strict):
    collection_id: OpaqueId | None = Field(
        default=None, description="File the collect in this collection of yours; null leaves it unfiled."
    )


class CollectOut(BaseModel):
    collected: bool
    collect_count: int
    collection_id: str | None


class CollectionCreate(Strict):
    name: CollectionName
    description: CollectionDescription = ""
    is_public: bool = True


class CollectionUpdate(Strict):
    name: CollectionName | None = None
    description: CollectionDescription | None = None
    is_public: bool | None = None


class CollectionOut(BaseModel):
    id: str
    name: str
    description: str
    is_public: bool
    note_count: int
    owner: UserBrief
    created_at: datetime


class CommentCreate(Strict):
    body: CommentBody
    parent_id: OpaqueId | None = Field(
        default=None, description="Reply to this comment; a reply to a reply joins the same top-level thread."
    )


class CommentOut(BaseModel):
    id: str
    note_id: str
    author: UserBrief
    body: str
    lang: str
    parent_id: str | None = Field(description="The top-level comment this reply belongs to; null for top-level.")
    reply_to: UserBrief | None = Field(description="Whom a reply to a reply answers (shown as “reply to @…”).")
    like_count: int
    reply_count: int
    liked_by_me: bool
    created_at: datetime
    status: Literal["published", "held", "removed"] = Field(
        default="published", description="held: under review, shown only to its author (marked) and moderators.")
    replies_preview: list[CommentOut] = Field(
        default_factory=list, description="Top-level comments only: their first replies, oldest first."
    )
