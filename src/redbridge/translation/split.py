"""Sentence splitting for English and Chinese, and packing sentences into engine-sized segments.

A split is lossless: :func:`split_sentences` returns ``(sentence, separator)`` pairs whose
concatenation is the input, so after translation the text is re-joined with the *original*
separators (line breaks and blank lines of a note survive translation).

Where a sentence ends:

* after 。！？!?… (and runs of them, "？！", "……"), plus any closing quotes or brackets
  (”’」』）)"'】) that follow; Chinese needs no space after the mark;
* after "." only when white space follows and the word before it is not an abbreviation
  ("Mr.", "e.g.", "St.") or a capital initial ("J. K."), so decimals ("3.5"), URLs and versions
  never split (URLs are placeholders by then anyway);
* at every line break.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["pack", "split_sentences"]

_ABBREVIATIONS: Final = frozenset(
    ("mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "approx", "dept",
     "est", "fig", "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
     "nov", "dec", "mt", "ft", "min", "max")
)
_CLOSERS: Final = "”’」』）)\"'】》〉"
# A terminator run with its closers; group "ws" is the white space after it.
_END_RE: Final = re.compile(
    rf"(?:[。！？!?…]+|\.{{3,}}|(?<!\.)\.(?!\.))[{_CLOSERS}]*(?P<ws>[^\S\n]*)|(?P<nl>[^\S\n]*\n\s*)"
)
# The whole word before the dot ("Paul's." is not the initial "s.").
_WORD_BEFORE_RE: Final = re.compile(r"(?<![A-Za-z'’])([A-Za-z][A-Za-z.]*)\.$")


def split_sentences(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into ``(sentence, separator)`` pairs that concatenate back to ``text``."""
    pieces: list[tuple[str, str]] = []
    start = 0
    for match in _END_RE.finditer(text):
        if match.group("nl") is not None:
            cut = match.start()
        else:
            mark = text[match.start() : match.end()]
            ws = match.group("ws")
            at_end = match.end() == len(text)
            if mark.startswith(".") and not mark.startswith("..."):
                if not ws and not at_end:
                    continue  # "3.5", "example.com", "a.m.": no space, no sentence end
                before = _WORD_BEFORE_RE.search(text[start : match.start() + 1])
                if before and (before.group(1).lower().rstrip(".") in _ABBREVIATIONS or _is_initial(before.group(1))):
                    continue
            cut = match.end() - len(ws)
        if cut > start:
            pieces.append((text[start:cut], text[cut : match.end()]))
        elif pieces:
            head, sep = pieces[-1]
            pieces[-1] = (head, sep + text[cut : match.end()])
        elif match.end() > cut:
            pieces.append(("", text[cut : match.end()]))
        start = match.end()
    if start < len(text):
        pieces.append((text[start:], ""))
    return pieces


def _is_initial(word: str) -> bool:
    # "J." in "J. K. Rowling"; a lower-case letter before a dot ends a sentence ("plan a.").
    return len(word) == 1 and word.isupper()


def pack(pieces: list[tuple[str, str]], max_chars: int, max_sentences: int = 1_000) -> list[list[tuple[str, str]]]:
    """Group consecutive sentences into segments of at most ``max_chars`` and ``max_sentences``
    (a longer sentence is its own segment, cut at white space or a comma by :func:`_cut_long`),
    never across a line break, so a translated paragraph keeps its lines."""
    groups: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    size = 0
    for sentence, sep in pieces:
        for part, part_sep in _cut_long(sentence, sep, max_chars):
            length = len(part) + len(part_sep)
            if current and (
                size + length > max_chars or len(current) >= max_sentences or "\n" in current[-1][1]
            ):
                groups.append(current)
                current, size = [], 0
            current.append((part, part_sep))
            size += length
    if current:
        groups.append(current)
    return groups


_SOFT_BREAK_RE: Final = re.compile(r"[,，、:：]\s*|\s+")


def _cut_long(sentence: str, sep: str, max_chars: int) -> list[tuple[str, str]]:
    if len(sentence) <= max_chars:
        return [(sentence, sep)]
    parts: list[tuple[str, str]] = []
    start = 0
    while len(sentence) - start > max_chars:
        window = sentence[start : start + max_chars]
        breaks = [m for m in _SOFT_BREAK_RE.finditer(window) if m.end() < len(window)]
        # Without a soft break (a long run of Chinese without commas) cut hard: an engine
        # given an over-long segment truncates or loops, which is worse than a cut word.
        end = breaks[-1].end() if breaks else max_chars
        piece = sentence[start : start + end]
        stripped = piece.rstrip()
        parts.append((stripped, piece[len(stripped) :]))
        start += end
    parts.append((sentence[start:], sep))
    return parts
