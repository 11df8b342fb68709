"""The one analyser of search: the same function turns a note's text into index terms and a query
into the terms looked up, so a spelling that is folded at index time is folded the same at query time.

Steps, each for a reason:

1. ``text.lang.normalize_for_match`` — NFKC (full-width ＡＢＣ and ligatures fold to ABC), casefold,
   Traditional → Simplified (蘇州 = 苏州): a reader does not consider these different words.
2. rjieba in search mode: Chinese has no spaces, and search mode emits the long word *and* its
   parts (小笼包 → 小笼, 小笼包), so "小笼包" finds a note about 苏州小笼包 and "苏州" finds it too.
   rjieba also splits Latin words, digits and punctuation apart, so mixed text needs no second pass.
3. Tokens without a letter or digit (punctuation, emoji, spaces) are dropped: they are never a
   term, which also makes query syntax (``AND ( " *``) inert — there is no syntax, only terms.
4. Latin words are stemmed with Snowball's English stemmer (dumplings ~ dumpling).

The output is a whitespace-joined string: the index's text fields use tantivy's ``whitespace``
tokenizer, so what is indexed is exactly these terms.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

import rjieba
import snowballstemmer

from redbridge.text.lang import normalize_for_match

MAX_TERM_CHARS = 40  # longer "words" are noise (a URL, a pasted hash); clipped, as Lucene's filter does

_WORDISH = re.compile(r"\w", re.UNICODE)
_LATIN = re.compile(r"[a-z]+")  # after casefold and accent stripping
# Accents on Latin letters only (café = cafe, as English readers type it): the segmenter would
# otherwise split "café" at the é. Marks on other scripts (kana's dakuten) change the word.
_LATIN_MARKS = re.compile(r"(?<=[a-z])[\u0300-\u036f]+")


_local = threading.local()


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    # The pure-Python stemmer costs ~15 µs a word, most of the time analysing a note takes; words
    # repeat (Zipf), so a memo makes it nearly free. A stemmer keeps its working state on the
    # instance during a call, and threads can switch mid-call: one stemmer per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def terms(text: str) -> list[str]:
    """The terms of ``text``, in order, duplicates kept (term frequency is part of BM25)."""
    if not text:
        return []
    folded = normalize_for_match(text)
    if not folded.isascii():
        folded = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", folded)))
    out: list[str] = []
    for token in rjieba.cut_for_search(folded):
        token = token.strip().strip("_")
        if not token or not _WORDISH.search(token):
            continue
        if _LATIN.fullmatch(token):
            token = _stem(token)
        out.append(token[:MAX_TERM_CHARS])
    return out


def analyse(text: str) -> str:
    """``terms(text)`` joined by spaces: the value stored in a whitespace-tokenized index field."""
    return " ".join(terms(text))


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, first occurrence first (a repeated word adds no evidence)."""
    return list(dict.fromkeys(terms(text)))
