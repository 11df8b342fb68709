"""Shapes of the search API: a page of the feeds' note card (``Page[NoteCard]``, as every feed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from redbridge.core.pagination import Page
from redbridge.notes.schemas import NoteCard
from redbridge.search.backend import Kind, Lang, Sort

SearchPage = Page[NoteCard]
QueryText = Annotated[str | None, Query(description="What to search for, in any language (required; plain words: "
                                                    "no query syntax)")]
SortParam = Annotated[Sort, Query(description="relevance (default), newest, likes, collects or comments")]
KindParam = Annotated[Kind | None, Query(alias="type", description="Only image or only video notes")]
LangParam = Annotated[Lang | None, Query(description="Only notes in this language (mixed-language notes count "
                                                     "for both)")]
