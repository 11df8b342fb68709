"""Dictionary query translation: the words of a query in the other language, from CC-CEDICT
(``translation.glossary``, shipped, offline), so keyword search crosses the language line even
with no translation engine — "soup dumplings in Suzhou" also asks for 汤包 / 饺子 and 苏州, "波士顿
龙虾卷" also for "Boston" and "lobster". The classic dictionary-based approach of cross-language
retrieval: every word's likeliest translations, added to the query, weighed below the words typed.

* English word → the first ``ZH_PER_WORD`` Chinese headwords of ``Glossary.lookup_english`` (an
  entry whose sense *is* the word first, commoner words first); adjacent English words are also
  tried as a phrase first ("hot pot", "bubble tea"), and a phrase found replaces its words.
* Chinese word (rjieba's cut, dictionary words) → the words of the head of its first entry's
  first sense (up to a comma or semicolon), without parenthesised notes, "CL:" classifiers and
  stop words, when that is at most ``MAX_SENSE_WORDS`` words (longer is a definition); single
  characters are not translated (too ambiguous: 卷 is "roll", "volume", "curl"…).

Pure function of the text; the glossary is loaded once per process (preloaded at app start).
"""

from __future__ import annotations

import re
from typing import Final

from redbridge.text.lang import HAN
from redbridge.translation.glossary import Glossary, default_glossary

ZH_PER_WORD: Final = 2
MAX_TERMS: Final = 24  # a long query's expansion must not drown what was typed
MAX_SENSE_WORDS: Final = 3  # a longer sense is a definition, not a translation
_ENGLISH_WORD_RE: Final = re.compile(r"[A-Za-z][A-Za-z'-]+")
_HAN_RUN_RE: Final = re.compile(f"[{HAN}]+")
_PAREN_RE: Final = re.compile(r"\([^)]*\)|\[[^\]]*\]|CL:\S+")
_SENSE_WORD_RE: Final = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Words of an English query or gloss that carry no topic (function words and dictionary filler).
STOP_WORDS: Final = frozenset(["a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "with", "by", "and", "or", "but", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "my", "your", "our", "their", "his", "her", "i", "you", "we", "they", "me", "us", "them", "what", "where", "when", "how", "which", "who", "best", "good", "great", "near", "about", "some", "any", "very", "so", "too", "also", "just", "one", "abbr", "used", "see", "variant", "old", "name", "surname", "sth", "sb", "etc", "lit", "fig"])


def _english(glossary: Glossary, text: str) -> list[str]:
    words = _ENGLISH_WORD_RE.findall(text)
    out: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words):
            # "hot pot" is listed as "hotpot": the phrase, then the compound.
            phrase = (glossary.lookup_english(f"{words[i]} {words[i + 1]}")
                      or glossary.lookup_english(f"{words[i]}{words[i + 1]}"))
            if phrase:
                out.extend(e.simplified for e in phrase[:ZH_PER_WORD])
                i += 2
                continue
        word = words[i]
        i += 1
        if word.casefold() in STOP_WORDS:
            continue
        out.extend(e.simplified for e in glossary.lookup_english(word)[:ZH_PER_WORD])
    return out


def _chinese(glossary: Glossary, text: str) -> list[str]:
    out: list[str] = []
    for run in _HAN_RUN_RE.findall(text):
        for gloss in glossary.gloss_chinese(run):
            if len(gloss.word) < 2 or not gloss.entries or not gloss.entries[0].senses:
                continue
            # The head of the first sense ("Boston, capital of Massachusetts" → "Boston"): the rest
            # explains the word, and its words would be noise in a query.
            sense = _PAREN_RE.sub(" ", gloss.entries[0].senses[0]).split(",")[0].split(";")[0]
            words = [w for w in _SENSE_WORD_RE.findall(sense) if w.casefold() not in STOP_WORDS]
            if len(words) <= MAX_SENSE_WORDS:
                out.extend(words)
    return out


def translate_query(text: str, glossary: Glossary | None = None) -> list[str]:
    """The query's words in the other language (both directions for mixed text), deduplicated in
    order, at most ``MAX_TERMS``; empty for a query the dictionary knows nothing of."""
    glossary = glossary or default_glossary()
    seen: set[str] = set()
    out: list[str] = []
    for term in [*_english(glossary, text), *_chinese(glossary, text)]:
        key = term.casefold()
        if key not in seen:
            seen.add(key)
            out.append(term)
    return out[:MAX_TERMS]
