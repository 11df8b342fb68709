"""Reads of the word glosses: a text or a note cut into words, each with its CC-CEDICT entries.

The dictionary (``translation.glossary.default_glossary``) is loaded once per process; the
feature preloads it at start-up (``feature.preload``) so that no reader waits for it.

A note's glosses are cached in ``services.cache`` (Redis in cluster mode) per (note, edit
generation): the token ``glossary:note-gen:{id}`` is retired by ``note_changed`` with
``content`` (an edit), the one invalidation path of docs/caches.md. Counter changes (likes)
announce ``note_changed`` without content and leave the glosses alone. Visibility is not cached:
every request asks ``notes.queries.get_visible``, the note's one read check, first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from redbridge.core import changes, ids
from redbridge.core.cache import generation, retire_generation
from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.glossary.schemas import EntryOut, GlossesOut, NoteGlossesOut, Segment
from redbridge.notes import queries as notes_queries
from redbridge.notes.models import PUBLISHED
from redbridge.text.clean import BIDI_CONTROLS
from redbridge.text.lang import HAN
from redbridge.translation.glossary import LICENCE, Entry, default_glossary

MAX_TEXT: Final = 64  # characters of a free lookup: a word or a phrase, not a note
MAX_ENTRIES_ZH: Final = 4  # readings of one Chinese word (行 xíng / háng …)
MAX_ENTRIES_EN: Final = 5  # Chinese words offered for one English word
MAX_SENSES: Final = 4
NOTE_TTL_S: Final = 3600.0  # only bounds how long an unread note's glosses occupy the cache
WORD_LIST_MAX: Final = 300  # rows of the page's word list (distinct words)
CREDIT: Final = LICENCE

_WORDS_RE: Final = re.compile(rf"(?P<en>[A-Za-z]+(?:['’][A-Za-z]+)*)|(?P<zh>[{HAN}]+)")
# English words too common to gloss: every one is in thousands of CC-CEDICT senses, and what
# they would show ("the" → 的, 和, 他 …) says nothing to a reader.
_STOP_WORDS: Final = frozenset((
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as",
    "is", "am", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those",
    "i", "me", "my", "you", "your", "he", "him", "his", "she", "her", "we", "us", "our", "they", "them", "their",
    "do", "does", "did", "not", "no", "so", "than", "then", "there", "here", "what", "which", "who", "whom",
    "whose", "how", "when", "where", "why",
))


# An entry that is only a pointer to another ("variant of 吃[chi1]", "see 那个[na4 ge5]"): the
# word's own entry says it better; shown only when the word has nothing else.
_POINTER_RE: Final = re.compile(r"^(?:old )?variant of |^see (?:also )?\S")


def _readings(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    own = tuple(e for e in entries if not all(_POINTER_RE.match(sense) for sense in e.senses))
    return own or entries


def _entry_out(entry: Entry) -> EntryOut:
    return EntryOut(simplified=entry.simplified, traditional=entry.traditional, pinyin=entry.pinyin,
                    senses=list(entry.senses[:MAX_SENSES]))


def _cut(text: str, entries: dict[str, list[EntryOut]]) -> list[Segment]:
    """``text`` as segments (lossless), adding every distinct word's entries to ``entries``."""
    glossary = default_glossary()
    out: list[Segment] = []
    at = 0

    def other(piece: str) -> None:
        if piece:
            out.append(Segment(text=piece))

    for match in _WORDS_RE.finditer(text):
        other(text[at : match.start()])
        at = match.end()
        word = match.group(0)
        if match.group("en") is not None:
            out.append(Segment(text=word, lang="en"))
            if word not in entries and word.casefold() not in _STOP_WORDS and len(word) > 1:
                found = _readings(glossary.lookup_english(word))[:MAX_ENTRIES_EN]
                if found:
                    entries[word] = [_entry_out(e) for e in found]
            continue
        # A Han run: rjieba cuts it into words (longest dictionary words inside unknown
        # compounds, then single characters: translation.glossary).
        for gloss in glossary.gloss_chinese(word):
            out.append(Segment(text=gloss.word, lang="zh"))
            if gloss.entries and gloss.word not in entries:
                entries[gloss.word] = [_entry_out(e) for e in _readings(gloss.entries)[:MAX_ENTRIES_ZH]]
    other(text[at:])
    return out


def spend(services: Services, viewer_id: int | None, ip: str) -> None:
    """Count one lookup against the reader's budget (their account's, else their address's):
    429 with ``Retry-After`` once it is spent. Cutting and looking up words costs CPU, so a
    client looping over the API cannot take a core."""
    key = f"u:{ids.encode(viewer_id)}" if viewer_id is not None else f"ip:{ip}"
    services.limiter.hit("glossary", key, services.settings.rate_limits.glossary_per_client)


def _invalid(message: str, reason: str) -> AppError:
    # ``fields`` holds a code per field (the house convention); the message is translated.
    return AppError("glossary.invalid_text", message, 422, fields={"text": reason})


def clean_text(text: str | None) -> str:
    """The lookup text, NFC, or 422: missing, empty, over ``MAX_TEXT`` characters, or holding
    control, bidi-control, private-use, surrogate or unassigned characters (nothing a reader
    selects in a note; a bidi override would let the answer display as something else)."""
    if text is None or not text.strip():
        raise _invalid(_("Give a word or a short phrase to look up."), "missing")
    value = unicodedata.normalize("NFC", text.strip())
    if len(value) > MAX_TEXT:
        raise AppError("glossary.invalid_text", _("Look up at most %(max)s characters at a time."), 422,
                       fields={"text": "too_long"}, max=MAX_TEXT)
    if any(ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in value):
        raise _invalid(_("This value has characters that are not allowed."), "characters")
    return value


def gloss_text(text: str) -> GlossesOut:
    """The glosses of a cleaned text (:func:`clean_text`)."""
    entries: dict[str, list[EntryOut]] = {}
    segments = _cut(text, entries)
    return GlossesOut(segments=segments, entries=entries, credit=CREDIT)


def _key(note_id: int) -> str:
    return f"glossary:note-gen:{note_id}"


@changes.NOTE_CHANGED.subscribe
def _retire(services: Services, payload: dict[str, Any]) -> None:
    if payload.get("content"):
        retire_generation(services.cache, _key(int(payload["note_id"])))


def note_glosses_json(services: Services, session: Session, note_id: int, viewer_id: int | None) -> bytes:
    """The glosses of the note's title and body as ``NoteGlossesOut`` JSON, for a reader who may
    see the note (else the 404 of ``get_visible``)."""
    token = generation(services.cache, _key(note_id)).decode()  # before the note is read
    note, _author = notes_queries.get_visible(session, note_id, viewer_id)
    key = f"glossary:note:{note_id}:{token}"
    hit = services.cache.get(key)
    if hit is not None:
        return hit
    entries: dict[str, list[EntryOut]] = {}
    out = NoteGlossesOut(note_id=ids.encode(note.id), title=_cut(note.title, entries),
                         body=_cut(note.body or "", entries), entries=entries, credit=CREDIT)
    body = out.model_dump_json().encode()
    # Only published notes: a held or removed one answers its author and moderators only, and
    # they read it rarely; nothing of it should outlive a decision in a shared cache.
    if note.status == PUBLISHED:
        services.cache.add(key, body, NOTE_TTL_S)
    return body


def offers_glosses(note_lang: str, locale: str) -> bool:
    """Whether the note page offers word help: the note has Chinese, or it has English and the
    reader reads the page in Chinese."""
    return note_lang in ("zh", "mixed") or (note_lang == "en" and locale.startswith("zh"))


@dataclass(frozen=True, slots=True)
class WordRow:
    """One row of the page's word list: the word, and per entry a heading (pinyin for a Chinese
    word; the Chinese word and its pinyin for an English one) and its meaning."""

    word: str
    lang: str
    readings: tuple[tuple[str, str], ...]


def word_rows(glosses: NoteGlossesOut, limit: int = WORD_LIST_MAX) -> list[WordRow]:
    """Every distinct word of the note that has entries, in reading order, at most ``limit``."""
    rows: list[WordRow] = []
    seen: set[str] = set()
    for segment in (*glosses.title, *glosses.body):
        if segment.lang is None or segment.text in seen or segment.text not in glosses.entries:
            continue
        seen.add(segment.text)
        found = glosses.entries[segment.text]
        if segment.lang == "zh":
            readings = tuple((e.pinyin, "; ".join(e.senses)) for e in found)
        else:
            readings = tuple((_chinese_heading(e), e.pinyin) for e in found)
        rows.append(WordRow(segment.text, segment.lang, readings))
        if len(rows) >= limit:
            break
    return rows


def _chinese_heading(entry: EntryOut) -> str:
    if entry.traditional == entry.simplified:
        return entry.simplified
    return f"{entry.simplified} ({entry.traditional})"
