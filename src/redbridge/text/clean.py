"""Cleaning of single-line user fields (note titles, display names, collection and place names).

Invisible characters are how a name lies about itself: a right-to-left override turns
``abc\u202egnp.exe`` into what reads as ``abcexe.png``, and zero-width characters make two names
that look the same compare different (or hide a word from the moderation lists). A one-line
field has no use for them, so :func:`clean_line` drops:

* bidi controls: U+202A–U+202E (embeddings, overrides), U+2066–U+2069 (isolates), U+200E/U+200F
  (LRM/RLM) and U+061C (ALM). Pages isolate user text with ``dir="auto"`` / ``<bdi>`` instead,
  which gives right-to-left names the right direction without letting them reorder the page.
* zero-width and invisible format characters: U+200B (ZWSP), U+200C (ZWNJ), U+200D (ZWJ), U+2060
  (word joiner), U+FEFF (BOM), U+180E, U+2061–U+2064, U+206A–U+206F, U+FFF9–U+FFFB;
* control characters (C0, DEL, C1); line and paragraph breaks and tabs become one space, and
  runs of white space collapse.

Joiners are kept where they are text, not tricks: ZWJ between two emoji (👩‍💻 is 👩 ZWJ 💻,
👨‍👩‍👧 needs two), and ZWJ / ZWNJ between two letters of a script that shapes with them (Arabic
and Persian, the Indic scripts, Sinhala), where they select a word's correct written form.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from redbridge.text import emoji

__all__ = ["BIDI_CONTROLS", "INVISIBLE", "RequiredSingleLine", "SingleLine", "clean_line", "clean_required_line"]

ZWNJ = "\u200c"
ZWJ = "\u200d"
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u180e\u2061\u2062\u2063\u2064"
    "\u206a\u206b\u206c\u206d\u206e\u206f\ufff9\ufffa\ufffb"
)
_DROP = BIDI_CONTROLS | INVISIBLE
_SPACE = re.compile(r"\s+")

# Emoji (redbridge.text.emoji: the blocks emoji live in, regional indicators included, and ㊘,
# which this list has always held) and the parts of an emoji sequence that may sit before a ZWJ:
# skin tones, VS16, tag characters, the keycap mark.
_EMOJI_PARTS_RE = re.compile(f"[{emoji.MODIFIERS}]")
# Scripts whose spelling uses ZWJ / ZWNJ between letters: Arabic (and Persian, Urdu), Syriac,
# the Indic scripts from Devanagari to Sinhala, and Arabic presentation forms.
_JOINING_SCRIPTS = ((0x0600, 0x06FF), (0x0700, 0x074F), (0x0750, 0x077F), (0x08A0, 0x08FF),
                    (0x0900, 0x0DFF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in ranges)


def _is_emoji(ch: str) -> bool:
    return emoji.is_pictograph(ch) or ch == "\u3298"


def _joins_letters(before: str, after: str) -> bool:
    return all(
        _in(_JOINING_SCRIPTS, ch) and unicodedata.category(ch)[0] in "LM" for ch in (before, after)
    )


def _keep_joiner(text: str, index: int) -> bool:
    """Whether the ZWJ / ZWNJ at ``index`` joins two real characters that need it."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if not before or not after:
        return False
    if text[index] == ZWJ and (_is_emoji(before) or _EMOJI_PARTS_RE.fullmatch(before)) and _is_emoji(after):
        return True
    return _joins_letters(before, after)


def clean_line(value: str) -> str:
    """``value`` as one clean line: no bidi controls or invisible characters (joiners kept inside
    emoji sequences and joining scripts), no control characters, white space collapsed to single
    spaces, no leading or trailing space. May return ``""``."""
    # Drop removable characters before looking at joiners, so "a\u200b\u200d💻" cannot smuggle
    # a joiner in by hiding what sits next to it.
    base = "".join(ch for ch in value if ch not in _DROP or ch in (ZWJ, ZWNJ))
    out: list[str] = []
    for index, ch in enumerate(base):
        if ch in (ZWJ, ZWNJ):
            if _keep_joiner(base, index):
                out.append(ch)
            continue
        category = unicodedata.category(ch)
        # NUL stays, for the field's validator to refuse with a clear error: nobody types one,
        # it is hostile input, and PostgreSQL text cannot hold it.
        if (category == "Cc" and ch != "\x00") or ch in "\u2028\u2029":
            out.append(" " if ch.isspace() or ch in "\u2028\u2029" else "")
            continue
        out.append(ch)
    return _SPACE.sub(" ", "".join(out)).strip()


def clean_required_line(value: str) -> str:
    """:func:`clean_line` for a field that must not end up empty (a 422 on that field, "This is
    too short.", when nothing but invisible characters and spaces was sent)."""
    cleaned = clean_line(value)
    if not cleaned:
        raise PydanticCustomError("string_too_short", "String should have at least 1 character", {"min_length": 1})
    return cleaned


# For request schemas: ``Annotated[str, SingleLine, Field(...)]`` (length limits are checked on
# the text as sent, then it is cleaned).
SingleLine = AfterValidator(clean_line)
RequiredSingleLine = AfterValidator(clean_required_line)
