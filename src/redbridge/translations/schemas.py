"""The translation API's answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Target = Literal["en", "zh-Hans", "zh-Hant"]
AnswerStatus = Literal["translated", "unchanged", "converted", "no_engine", "unsupported", "too_long", "failed",
                       "pending"]


class GlossEntryOut(BaseModel):
    simplified: str
    traditional: str
    pinyin: str
    senses: list[str]


class GlossOut(BaseModel):
    word: str
    entries: list[GlossEntryOut]


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
