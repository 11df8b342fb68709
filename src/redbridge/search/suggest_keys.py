"""The keys suggestions are stored and matched under (docs/search.md, "Suggestions, trending, history").

* ``key``: ``text.lang.normalize_for_match`` (NFKC, casefold, Traditional → Simplified), spaces
  collapsed, cut to ``KEY_CHARS``: ``火鍋`` and ``火锅``, ``Hot  Pot`` and ``hot pot`` are one key.
* ``pinyin``: the toneless pinyin of the key's Chinese, syllables run together with the Latin
  letters and digits around them (``火锅`` → ``huoguo``, ``成都 food`` → ``chengdufood``); pypinyin
  reads whole words from its phrase dictionary, so polyphones come out as said (``重庆`` →
  ``chongqing``). '' for a key without Chinese: its key already is its spelling.
* ``initials``: the first letter of every syllable and Latin word (``火锅`` → ``hg``); '' without
  Chinese, so ``bl`` does not suggest "boston lobster".

A typed prefix is matched against ``key`` always, and against ``pinyin`` and ``initials`` when it
is only Latin letters, spaces and apostrophes (``xi'an``, ``huo guo``). Matching is by prefix on
indexed columns: a range ``col >= p AND col < p'`` (``prefix_range``), which every engine serves
from a B-tree, and the equivalent ``LIKE`` with its metacharacters escaped (``like_prefix``).
"""

from __future__ import annotations

import functools
import re
from typing import Final

from redbridge.search.models import KEY_CHARS
from redbridge.text.lang import HAN, normalize_for_match

_HAN_RUN: Final = re.compile(f"[{HAN}]+")
_HAN_SPLIT: Final = re.compile(f"([{HAN}]+)")
_WORD: Final = re.compile(r"[^\W_]+")
_SPACES: Final = re.compile(r"\s+")
_PINYIN_INPUT: Final = re.compile(r"[a-z' ]+")
# Lone surrogates survive in a Python str but no database driver encodes them.
_SURROGATES: Final = re.compile("[\ud800-\udfff]")
_CONTROL: Final = re.compile("[\x00-\x1f\x7f]")


def key_of(text: str) -> str:
    """The matching key of ``text`` ('' when nothing is left)."""
    folded = normalize_for_match(_SURROGATES.sub("", _CONTROL.sub(" ", text)))
    return _SPACES.sub(" ", folded).strip()[:KEY_CHARS].strip()


@functools.lru_cache(maxsize=16384)
def _syllables(run: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(s for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore") if s)


def pinyin_keys(key: str) -> tuple[str, str]:
    """(full pinyin, initials) of a key; ('', '') when it holds no Chinese."""
    if not _HAN_RUN.search(key):
        return "", ""
    full: list[str] = []
    initials: list[str] = []
    for i, part in enumerate(_HAN_SPLIT.split(key)):
        if i % 2:  # a run of Han characters
            syllables = _syllables(part)
            full += syllables
            initials += [s[0] for s in syllables]
        else:
            words = _WORD.findall(part)
            full += words
            initials += [w[0] for w in words]
    cap = 4 * KEY_CHARS
    return "".join(full)[:cap], "".join(initials)[:KEY_CHARS]


def pinyin_input(prefix: str) -> str | None:
    """The typed prefix as pinyin to match (``huo guo`` → ``huoguo``), or None when it is not
    pinyin-shaped (it holds Chinese, digits, other letters)."""
    if not _PINYIN_INPUT.fullmatch(prefix):
        return None
    compact = prefix.replace(" ", "").replace("'", "")
    return compact or None


_MAX_CHAR = 0x10FFFF


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """(low, high) such that a string starts with ``prefix`` exactly when ``low <= s < high`` in
    code-point order (high None: no upper bound). ``prefix`` must not be empty."""
    last = ord(prefix[-1])
    if last == _MAX_CHAR:
        return prefix, None
    following = last + 1
    if 0xD800 <= following <= 0xDFFF:  # skip the surrogates: no stored key holds one
        following = 0xE000
    return prefix, prefix[:-1] + chr(following)


def like_prefix(prefix: str) -> str:
    r"""A ``LIKE`` pattern (escape character ``\``) matching what starts with ``prefix``: the
    user's ``%``, ``_`` and ``\`` are literal characters, not wildcards."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
