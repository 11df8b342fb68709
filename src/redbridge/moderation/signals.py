"""Spam and abuse signals over one text: pure functions, no database (the fingerprints' table and
its lookup are ``moderation.fingerprints``; the verdict they feed is ``moderation.screening``).

* :func:`simhash` — a 64-bit SimHash of a text's normalised form (``normalize.fold``, the ``folded`` form:
  invisible characters, width, case, confusables and repeats already folded,
  so ``ＦＲＥＥ`` and ``free`` fingerprint alike). Features are the *set* of 5-character shingles of
  the text's tokens joined by single spaces (a token is one CJK character or one run of other
  letters and digits, so punctuation, emoji and spacing do not count); each feature is hashed
  (BLAKE2b, 8 bytes) and every bit of the fingerprint is the majority vote of the features' bits.
  Texts that share most of their shingles land a few bits apart; texts that merely share common
  words ("the food here is great") share few and land ~32 bits apart.
* :func:`bands` — the fingerprint cut into four 16-bit bands. Two fingerprints at most 3 bits
  apart agree on at least one whole band (pigeonhole), so an exact lookup on each band finds
  every candidate within ``max_distance`` ≤ 3 (the table indexes each band).
* :func:`count_links`, :func:`count_mentions` — for link and mention flooding, and for holding a
  new account's links.

Texts lighter than :data:`MIN_WEIGHT` get no fingerprint: "nice!", "好看", "thank you so
much" are posted by thousands of people and say nothing about a campaign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from hashlib import blake2b
from typing import Final

import numpy as np

from redbridge.moderation.normalize import fold
from redbridge.text.markup import iter_markup

BITS: Final = 64
BAND_BITS: Final = 16
BAND_COUNT: Final = BITS // BAND_BITS
SHINGLE: Final = 5  # characters
# About ten English words or sixteen Chinese characters: below that, many people write the same
# words by chance ("saving this for my trip!", "太好看了吧，已经收藏了"), so a copy says nothing.
CJK_WEIGHT: Final = 3
MIN_WEIGHT: Final = 48

_CJK: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN_RE: Final = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_CJK_CHAR_RE: Final = re.compile(rf"[{_CJK}]")
_CJK_SPACE_RE: Final = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")
# A link: a scheme, "www.", or a bare host name under a TLD spammers use (``shop.xyz/abc``).
# An e-mail address is not a link (the ``@`` before it): personal data has its own rules.
_TLDS: Final = ("com|net|org|io|co|cn|me|ly|gg|xyz|top|info|biz|app|link|site|shop|club|vip|cc|tk|ru|"
                "online|store|live|fun|icu|win|bid|today|tv|to|sh|la|us|uk|hk|tw")
_LINK_RE: Final = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"'，。]+|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"'，。]*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the signals hold a text (defaults: docs/moderation.md, "Spam and abuse signals")."""

    max_distance: int = 3  # Hamming bits for "nearly the same text"; ≤ 3 keeps the band lookup exact
    accounts: int = 3  # distinct accounts (this one included) posting it within the window
    own_copies: int = 5  # one account's own copies within the window (this one included)
    window_s: int = 24 * 3600
    max_links: int = 3
    max_mentions: int = 5

    def __post_init__(self) -> None:
        if not 0 <= self.max_distance < BAND_COUNT:
            raise ValueError("max_distance must be below the band count for the band lookup to be exact")


def shingle_text(text: str) -> str:
    """What is fingerprinted: the normalised text's tokens (each CJK character, each run of other
    letters and digits; punctuation, emoji and spacing dropped), Latin tokens one space apart and
    CJK characters side by side. ``folded`` rather than ``compact``: unleeting turns punctuation
    into letters (``!`` → ``i``), which would make ``好吃了！`` and ``好吃了，`` different texts."""
    return _CJK_SPACE_RE.sub("", " ".join(_TOKEN_RE.findall(fold(text))))


def weight(shingled: str) -> int:
    """How much text there is: a CJK character counts :data:`CJK_WEIGHT`, anything else 1."""
    cjk = len(_CJK_CHAR_RE.findall(shingled))
    return len(shingled) - cjk + CJK_WEIGHT * cjk


def simhash(text: str) -> int | None:
    """The unsigned 64-bit SimHash of ``text``, or None for a text lighter than :data:`MIN_WEIGHT`."""
    shingled = shingle_text(text)
    if weight(shingled) < MIN_WEIGHT:
        return None
    features = {shingled[i:i + SHINGLE] for i in range(len(shingled) - SHINGLE + 1)}
    digests = b"".join(blake2b(f.encode("utf-8", "surrogatepass"), digest_size=8).digest() for f in features)
    # One row of 64 bits per feature (most significant first); a bit of the fingerprint is set
    # when most features set it.
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, BITS)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > len(features)
    return int.from_bytes(np.packbits(votes).tobytes(), "big")


def bands(fingerprint: int) -> tuple[int, ...]:
    """The four 16-bit bands, most significant first."""
    mask = (1 << BAND_BITS) - 1
    return tuple((fingerprint >> (BITS - BAND_BITS * (i + 1))) & mask for i in range(BAND_COUNT))


def distance(a: int, b: int) -> int:
    """Hamming distance of two fingerprints."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()


def to_signed(fingerprint: int) -> int:
    """The fingerprint as a signed 64-bit integer (what a BIGINT column holds)."""
    return fingerprint - (1 << BITS) if fingerprint >= 1 << (BITS - 1) else fingerprint


def from_signed(value: int) -> int:
    return value & ((1 << BITS) - 1)


def count_links(text: str) -> int:
    """Links in ``text`` (URLs, ``www.`` hosts, bare host names under common TLDs), as written and
    as normalised — ``ｗｗｗ．ｓｈｏｐ．ｘｙｚ`` counts too."""
    raw = len(_LINK_RE.findall(text))
    folded = len(_LINK_RE.findall(fold(text)))
    return max(raw, folded)


def count_mentions(text: str) -> int:
    """``@mentions`` in ``text``, each distinct username once (as the body renders them)."""
    return len({token.value.casefold() for token in iter_markup(text) if token.kind == "mention"})
