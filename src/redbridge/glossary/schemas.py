"""API bodies of the word glosses (docs/translation.md, "Word glosses")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class EntryOut(BaseModel):
    """One dictionary entry: a Chinese word in both scripts, its pinyin (tone marks), its senses
    (English, as CC-CEDICT writes them)."""

    simplified: str
    traditional: str
    pinyin: str
    senses: list[str]


class Segment(BaseModel):
    """A piece of the text, in order: joining every ``text`` gives the text back. ``lang`` is the
    piece's script ("zh": Han characters, "en": a Latin word), null for anything else (spaces,
    punctuation, numbers, emoji); its entries, when the dictionary has any, are under ``entries``."""

    text: str
    lang: Literal["zh", "en"] | None = None


class GlossesOut(BaseModel):
    segments: list[Segment]
    # Segment text → its entries (Chinese word: its readings; English word: Chinese words with
    # that meaning), once per distinct word; words without entries are absent.
    entries: dict[str, list[EntryOut]] = Field(default_factory=dict)
    credit: str


class NoteGlossesOut(BaseModel):
    note_id: str
    title: list[Segment]
    body: list[Segment]
    entries: dict[str, list[EntryOut]] = Field(default_factory=dict)
    credit: str
