"""Protected spans: the parts of a text that must come out of translation exactly as they went in.

@mentions, #tags, URLs (and e-mail addresses), emoji, numbers, prices and the place names the
caller passes (a note's place) are replaced by placeholders ``⟦0⟧``, ``⟦1⟧``, … before the text
reaches an engine and put back afterwards. A span may also carry a different *replacement*
(the pipeline uses this for pinyin slang, whose English gloss comes from a table, not from an
engine).

Why placeholders rather than asking the engine to leave things alone: an engine "localises"
(¥38 → 38 yuan, #美食 → #food, @lily_chen → @莉莉), drops emoji, and re-spells numbers. A
placeholder is a token that carries no meaning to translate, and restoring it is mechanical,
so what the author wrote is what the reader sees.

Rules that make restoring safe:

* The placeholder brackets (U+27E6, U+27E7) are themselves protected when they occur in the
  input, so every ``⟦n⟧`` in the protected text is ours; a user cannot forge one.
* :func:`restore` demands every placeholder exactly once and no other: an engine that dropped,
  duplicated or invented one produced a translation that does not say what the original said,
  and :class:`PlaceholderError` rejects it (the pipeline then tries the next engine).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from redbridge.text import emoji
from redbridge.text.markup import iter_markup

__all__ = [
    "PLACEHOLDER_RE",
    "PlaceholderError",
    "Protected",
    "Span",
    "placeholder",
    "protect",
    "restore",
]

OPEN: Final = "\u27e6"
CLOSE: Final = "\u27e7"
# Chat models sometimes pad the index with spaces ("⟦ 1 ⟧"); that is still the placeholder.
PLACEHOLDER_RE: Final = re.compile(rf"{OPEN}\s*(\d+)\s*{CLOSE}")


def placeholder(index: int) -> str:
    return f"{OPEN}{index}{CLOSE}"


# Emoji sequences (redbridge.text.emoji): a pictograph, optionally with VS16, a skin tone, tag
# characters (subdivision flags), the keycap mark, and ZWJ joins to further pictographs;
# regional-indicator pairs are flags.
_EMOJI: Final = emoji.SEQUENCE
_URL: Final = r"(?:https?://|www\.)[^\s<>\"'“”‘’（）()【】「」]+[^\s<>\"'“”‘’（）()【】「」.,;:!?。，；：！？]"
_EMAIL: Final = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# A number: digits with optional thousands separators and decimals, also full-width digits
# from Chinese IMEs, with an optional percent or range ("3-5", "12:30").
_NUM: Final = r"[0-9０-９]+(?:[.,:：][0-9０-９]+)*(?:\s?[%％])?(?:\s?[-~～–][0-9０-９]+(?:[.,][0-9０-９]+)*)?"
# Prices: a currency sign or code before the number, or a Chinese unit after it (38元, 38块,
# 2万, 12.5块钱). The whole price is one span, so "¥38" is never read as "38 yen".
_PRICE: Final = (
    rf"(?:(?:[¥￥$€£]|US\$|HK\$|NT\$|RMB\s?|CNY\s?|USD\s?){_NUM}"
    rf"|{_NUM}\s?(?:元|块钱|块|毛|角|万元|万|刀|美元|美金|人民币|RMB|CNY|USD|dollars?|bucks|yuan|kuai)(?![A-Za-z]))"
)
_BRACKETS: Final = rf"{OPEN}[^{OPEN}{CLOSE}\s]{{0,8}}{CLOSE}|[{OPEN}{CLOSE}]"

# Order matters where alternatives overlap at the same position: a URL before a number, a
# price before a bare number.
_KINDS: Final = (("url", _URL), ("email", _EMAIL), ("price", _PRICE), ("number", _NUM),
                 ("emoji", _EMOJI), ("bracket", _BRACKETS))
_SPAN_RE: Final = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS))


class PlaceholderError(ValueError):
    """A translation lost, duplicated or invented a placeholder; it is not used."""


@dataclass(frozen=True, slots=True)
class Span:
    """A protected piece: ``original`` is what the author wrote; ``replacement`` what goes back."""

    kind: str
    original: str
    replacement: str


@dataclass(frozen=True, slots=True)
class Protected:
    """``text`` with each span replaced by ``placeholder(i)`` for ``spans[i]``."""

    text: str
    spans: tuple[Span, ...]

    @property
    def has_content(self) -> bool:
        """Whether anything is left to translate once the spans are out (letters remain)."""
        rest = PLACEHOLDER_RE.sub("", self.text)
        return any(ch.isalpha() for ch in rest)


def protect(
    text: str,
    places: Sequence[str] = (),
    extra: Iterable[tuple[int, int, str, str]] = (),
) -> Protected:
    """Replace every protected span of ``text`` by a placeholder.

    ``places``: names to keep verbatim wherever they occur (the note's place, "成都", "Chengdu").
    ``extra``: further spans as ``(start, end, kind, replacement)`` offsets into ``text``, from
    the caller (the mixed-language runs to keep). Where spans overlap, the one starting first
    wins, and of those the longest.
    """
    found: list[tuple[int, int, str, str]] = list(extra)
    pos = 0
    for token in iter_markup(text):
        if token.kind != "text":
            found.append((pos, pos + len(token.raw), token.kind, token.raw))
        pos += len(token.raw)
    for match in _SPAN_RE.finditer(text):
        kind = match.lastgroup or "span"
        found.append((match.start(), match.end(), kind, match.group(0)))
    names = sorted({p for p in places if p.strip()}, key=len, reverse=True)
    if names:
        for match in re.finditer("|".join(map(re.escape, names)), text):
            found.append((match.start(), match.end(), "place", match.group(0)))

    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    spans: list[Span] = []
    cursor = 0
    for start, end, kind, replacement in found:
        if start < cursor or end <= start:
            continue
        if spans and start == cursor and cursor > 0:
            # Touching spans ("😍👍", "¥38🔥") become one: fewer placeholders for an engine to
            # keep, and nothing between them to translate anyway.
            last = spans[-1]
            spans[-1] = Span(last.kind, last.original + text[start:end], last.replacement + replacement)
        else:
            out.append(text[cursor:start])
            out.append(placeholder(len(spans)))
            spans.append(Span(kind, text[start:end], replacement))
        cursor = end
    out.append(text[cursor:])
    return Protected("".join(out), tuple(spans))


def restore(translated: str, protected: Protected) -> str:
    """Put the spans back into ``translated``; raise :class:`PlaceholderError` unless every
    placeholder of ``protected`` occurs exactly once and no other does."""
    seen = [int(m.group(1)) for m in PLACEHOLDER_RE.finditer(translated)]
    if sorted(seen) != list(range(len(protected.spans))):
        raise PlaceholderError(f"placeholders {sorted(seen)} for {len(protected.spans)} spans")
    if OPEN in PLACEHOLDER_RE.sub("", translated) or CLOSE in PLACEHOLDER_RE.sub("", translated):
        raise PlaceholderError("a broken placeholder")
    return PLACEHOLDER_RE.sub(lambda m: protected.spans[int(m.group(1))].replacement, translated)
