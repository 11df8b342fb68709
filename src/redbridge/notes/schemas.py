"""Bodies of the notes API, and the card shape every feed shares."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from redbridge.accounts.schemas import Topic, UserBrief
from redbridge.media.schemas import MediaOut
from redbridge.text.clean import RequiredSingleLine, SingleLine

NoteStatus = Literal["published", "held", "removed"]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]


class Place(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, RequiredSingleLine] = Field(min_length=1, max_length=80)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)


class Cover(BaseModel):
    url: str
    width: int
    height: int
    is_video: bool = False


class NoteCard(BaseModel):
    """A note as shown in the two-column feed: enough to lay out the masonry without a second call."""

    id: str
    kind: str
    title: str
    lang: str
    topic: str | None
    author: UserBrief
    cover: Cover | None
    like_count: int
    liked_by_me: bool = False
    created_at: datetime
    # Cards of others' notes are always published; an author's own list also shows their held
    # notes, marked "under review".
    status: NoteStatus = "published"
    label: str | None = None


# The note limits of the product (RedNote's): one definition for the API schemas, the composer's
# counters and the demo content generator.
TITLE_MAX = 40
BODY_MAX = 2000


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, SingleLine] = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(default="", max_length=BODY_MAX)
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    topic: Topic | None = None
    place: Place | None = None
    media_ids: list[str] = Field(default_factory=list, max_length=18)


class NoteUpdate(BaseModel):
    """Partial edit; ``media_ids`` replaces the carousel (reorder, add, remove), same rules as create."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, SingleLine] | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    body: str | None = Field(default=None, max_length=BODY_MAX)
    tags: list[Tag] | None = Field(default=None, max_length=10)
    topic: Topic | None = None
    place: Place | None = None
    clear_place: bool = False
    media_ids: list[str] | None = Field(default=None, min_length=1, max_length=18)


class NoteOut(BaseModel):
    id: str
    kind: str
    author: UserBrief
    title: str
    body: str
    lang: str
    topic: str | None
    tags: list[str]
    place: Place | None
    media: list[MediaOut]
    like_count: int
    collect_count: int
    comment_count: int
    liked_by_me: bool
    collected_by_me: bool
    share_url: str
    created_at: datetime
    updated_at: datetime
    status: NoteStatus = Field(
        default="published",
        description="published; held: under review, shown only to its author and moderators; removed.")
    label: str | None = Field(default=None, description='Shown with the note, e.g. "sensitive".')


class ShareOut(BaseModel):
    """What a share sheet needs: the public link and a ready-made message."""

    url: str
    title: str
    text: str
