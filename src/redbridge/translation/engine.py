"""The engine protocol every translator implements, and the types the pipeline passes around.

An engine is deliberately small: it turns a batch of already prepared segments (protected spans
replaced by placeholders, split to the engine's preferred size) from one language into another.
Everything that must hold whatever the engine is — span protection, mixed-language handling,
sentence splitting, output validation, caching, fallback — lives in the pipeline
(:mod:`redbridge.translation.service`), written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

__all__ = [
    "EngineError",
    "SourceLang",
    "TargetLang",
    "TranslationEngine",
    "base_language",
]

# Sources are what redbridge.text.lang can tell apart; it does not separate Simplified from
# Traditional, and every engine that reads one reads the other.
SourceLang = Literal["en", "zh"]
# Targets are what a reader chooses (the locales of the site).
TargetLang = Literal["en", "zh-Hans", "zh-Hant"]


def base_language(target: TargetLang) -> SourceLang:
    """The source-side language a target belongs to ("zh-Hant" → "zh")."""
    return "en" if target == "en" else "zh"


class EngineError(Exception):
    """An engine could not translate the batch (unreachable, timed out, refused, malformed).

    ``code`` is a stable reason code for logs, metrics and the doctor command; the message is
    for operators only and never shown to a reader.
    """

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class TranslationEngine(Protocol):
    """One way of translating text; engines are tried in the configured order (a chain).

    ``name`` identifies the engine *and its model* ("ctranslate2:opus-mt-zh-en@3f2a…"): it is
    part of every cache key, so changing the model never serves the old model's output.

    ``sees_placeholders``: whether segments may contain placeholders (``⟦0⟧``). Neural MT models
    have never seen those tokens and mangle them, so for such engines the pipeline cuts the
    segment at its placeholders and sends only the text between them. A chat model is shown the
    placeholders, which keeps word order across a protected span, and its output is checked.

    ``instructable``: whether the engine follows instructions (a chat model). Its output then
    passes the content checks of :mod:`redbridge.translation.validate` (target language, length
    ratio, no added preface or essay) because the text it translates could talk it into
    something else; a seq2seq model cannot be talked into anything.

    ``max_segment_chars``: the longest segment the engine translates well; longer texts are
    split by sentence and packed up to this size (a sentence-level NMT model wants one
    sentence, a chat model a paragraph).

    ``max_segment_sentences``: at most this many sentences per segment (1 for a model trained
    on sentence pairs).

    ``translate_batch`` returns one output per input, in order, or raises
    :class:`EngineError` for the whole batch. An engine that translates inputs one by one may
    put an :class:`EngineError` in place of an input that failed alone; only the texts that
    hold it fall back. It must bound its own time (one deadline for the batch, timeouts on
    every network call); a stalled engine must not stall the caller.
    """

    @property
    def name(self) -> str: ...

    @property
    def sees_placeholders(self) -> bool: ...

    @property
    def instructable(self) -> bool: ...

    @property
    def max_segment_chars(self) -> int: ...

    @property
    def max_segment_sentences(self) -> int: ...

    def supports(self, source: SourceLang, target: TargetLang) -> bool: ...

    def translate_batch(
        self, texts: Sequence[str], source: SourceLang, target: TargetLang
    ) -> Sequence[str | EngineError]: ...
