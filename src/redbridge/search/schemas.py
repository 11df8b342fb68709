"""Shapes of the search API: a page of the feeds' note card (``Page[NoteCard]``, as every feed)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from redbridge.accounts.schemas import UserBrief
from redbridge.core.pagination import Page
from redbridge.notes.schemas import NoteCard
from redbridge.search.backend import Kind, Lang, Sort

SearchPage = Page[NoteCard]
Time = Literal["day", "week", "halfyear"]
Scope = Literal["all", "following", "unseen"]
QueryText = Annotated[str | None, Query(description="What to search for, in any language (required; plain words: "
                                                    "no query syntax)")]
SortParam = Annotated[Sort, Query(description="relevance (default), newest, likes, collects or comments")]
KindParam = Annotated[Kind | None, Query(alias="type", description="Only image or only video notes")]
LangParam = Annotated[Lang | None, Query(description="Only notes in this language (mixed-language notes count "
                                                     "for both)")]
TimeParam = Annotated[Time | None, Query(alias="time", description="Only notes posted in the last day, week or "
                                                                  "half-year")]
ScopeParam = Annotated[Scope, Query(description="all (default); following: only people the viewer follows; "
                                                "unseen: only notes the viewer has not opened (both need a login)")]
NearParam = Annotated[str | None, Query(description="Only notes with a place near this point: latitude,longitude "
                                                    "in decimal degrees, e.g. 31.30,120.62")]
WithinParam = Annotated[float | None, Query(description="With near or place: how far from it, in km (0.1 to 500; "
                                                        "default 25, the same city)")]
PlaceParam = Annotated[str | None, Query(max_length=200, description="Only notes near the place of this name, "
                                                                     "as the community's notes locate it "
                                                                     "(e.g. Suzhou, 苏州); near wins over it")]


class UserResult(UserBrief):
    """A person found by name: the brief the feeds show, and what tells namesakes apart."""

    bio: str
    follower_count: int
    note_count: int


class TagResult(BaseModel):
    tag: str
    note_count: int  # published notes carrying it


UserPage = Page[UserResult]
TagPage = Page[TagResult]


# ------------------------------------------------- suggestions, trending, history (docs/search.md)

SuggestText = Annotated[str | None, Query(description="What has been typed so far: words, pinyin (huoguo) or its "
                                                      "initials (hg), in either script")]


class Suggestion(BaseModel):
    text: str = Field(description="The query to offer (a tag's name, without #)")
    kind: Literal["query", "tag"]
    count: int = Field(description="Distinct searcher-days that found something with it (query), or its "
                                   "published notes (tag)")


class SuggestionList(BaseModel):
    items: list[Suggestion]


class TrendingQuery(BaseModel):
    text: str
    searchers: int = Field(description="Distinct searchers in the last 24 hours")


class TrendingList(BaseModel):
    items: list[TrendingQuery]


class HistoryEntry(BaseModel):
    id: str
    text: str
    searched_at: datetime


class HistoryList(BaseModel):
    items: list[HistoryEntry]
