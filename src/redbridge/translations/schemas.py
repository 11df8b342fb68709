"""The translation API's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from redbridge.accounts.schemas import NO_NUL, Strict, UserBrief
from redbridge.notes.schemas import BODY_MAX, TITLE_MAX
from redbridge.text.clean import RequiredSingleLine

Target = Literal["en", "zh-Hans", "zh-Hant"]
AnswerStatus = Literal["community", "translated", "unchanged", "converted", "no_engine", "unsupported", "too_long", "failed",
                       "pending"]


class GlossEntryOut(BaseModel):
    simplified: str
    traditional: str
    pinyin: str
    senses: list[str]


class GlossOut(BaseModel):
    word: str
    entries: list[GlossEntryOut]


class CommunityRef(BaseModel):
    """Who wrote the community translation an answer shows, and how readers voted on it."""

    id: str
    author: UserBrief
    score: int
    votes: int


class TranslationOut(BaseModel):
    """``title`` only for notes. ``reasons``: for ``failed``, each engine's reason code
    (``engine:code``). ``notice``: what the reader is told besides (in their language), e.g. that
    no machine translation is configured. ``glosses`` (no_engine only): dictionary entries of the
    text's words, from ``credit``."""

    status: AnswerStatus
    source: str | None = None
    target: Target
    engine: str | None = None
    cached: bool = False
    title: str | None = None
    body: str | None = None
    reasons: list[str] = Field(default_factory=list)
    notice: str | None = None
    glosses: list[GlossOut] = Field(default_factory=list)
    credit: str | None = None
    # ``community``: the answer is the readers' best translation (``status: "community"``); asked
    # with ``source=machine``, or when there is none, the engines' answer. ``community_count``: how
    # many community translations into ``target`` there are (the control links to them).
    community: CommunityRef | None = None
    community_count: int = 0


# A translation may run longer than its original (a Chinese sentence is about three times as many
# characters in English), so the limits are the note's times three.
LENGTH_FACTOR = 3
CommunityTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX * LENGTH_FACTOR,
                                                  pattern=NO_NUL), RequiredSingleLine]
CommunityBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_MAX * LENGTH_FACTOR,
                                                 pattern=NO_NUL)]
CommunityStatus = Literal["published", "held", "removed"]


class CommunityTranslationIn(Strict):
    """A reader's translation of a note (``title`` for a note with one) or a comment (no title)."""

    to: Target
    title: CommunityTitle | None = None
    body: CommunityBody


class CommunityTranslationOut(BaseModel):
    """``current``: it translates the item's text as it is now (after an edit it does not, and only
    its author sees it, to update it). ``my_vote``: the reader's vote (-1, 0, 1). ``status`` is
    ``held`` (under review) or ``removed`` only for its author."""

    id: str
    subject: Literal["note", "comment"]
    subject_id: str
    target: Target
    title: str | None
    body: str
    author: UserBrief
    status: CommunityStatus
    score: int
    votes: int
    my_vote: int = 0
    current: bool = True
    created_at: datetime
    updated_at: datetime


class VoteIn(Strict):
    """+1 up, -1 down, 0 takes the vote back."""

    value: StrictInt = Field(ge=-1, le=1)  # strict: ``true`` or ``"1"`` is not a vote


class VoteOut(BaseModel):
    id: str
    score: int
    votes: int
    my_vote: int
