"""The translation pipeline: what happens between "translate this for a reader of X" and an
engine, the same whatever the engine is.

For each text, in order:

1. **Language.** ``source_language`` (redbridge.text.lang plus the mixed-text rules) says what
   to translate from. Text already in the reader's language is returned as is (``unchanged``),
   or script-converted between Simplified and Traditional with OpenCC (``converted``); text in
   neither English nor Chinese is ``unsupported``.
2. **No engine.** If no configured engine serves the direction, the answer is ``no_engine``:
   the caller offers glosses and community translations instead, and says so. Nothing
   pretends to be a translation.
3. **Cache.** Looked up under each candidate engine's name, in chain order
   (:mod:`redbridge.translation.cache`).
4. **Protect.** Mentions, tags, URLs, emoji, numbers, prices, the caller's place names, the
   runs already in the reader's language and pinyin slang become placeholders
   (:mod:`~redbridge.translation.protect`, :mod:`~redbridge.translation.mixed`).
5. **Split and batch.** The protected text is split by sentence and packed into segments the
   engine's size (:mod:`~redbridge.translation.split`); engines that must not see
   placeholders get the pieces between them. All pieces of all texts of the call go to the
   engine in one ``translate_batch``, identical pieces once.
6. **Validate, restore, fall back.** Placeholders must come back exactly once each; an
   instructable engine's output also passes :func:`~redbridge.translation.validate.check_content`.
   A text whose output fails goes to the next engine in the chain; when none is left it is
   ``failed`` (with the reason codes), never a half-translation.
7. **Store** the result under the engine that produced it.

``Translator`` is synchronous and thread-safe; the calling job or request thread bounds time
through each engine's own timeouts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from redbridge.text.lang import opencc_converter
from redbridge.translation.cache import CachedTranslation, TranslationCache, cache_key
from redbridge.translation.engine import EngineError, SourceLang, TargetLang, TranslationEngine, base_language
from redbridge.translation.mixed import keep_spans, source_language
from redbridge.translation.mixed import segment as segment_runs
from redbridge.translation.protect import PLACEHOLDER_RE, PlaceholderError, Protected, protect, restore
from redbridge.translation.slang import SLANG
from redbridge.translation.split import pack, split_sentences
from redbridge.translation.validate import RejectedError, check_content

__all__ = ["DEFAULT_MAX_CHARS", "Status", "Translation", "TranslationRequest", "Translator"]

Status = Literal["translated", "unchanged", "converted", "no_engine", "unsupported", "too_long", "failed"]

# Cost control: a note body is at most a few thousand characters; anything longer is refused
# rather than sent to a paid or slow engine.
DEFAULT_MAX_CHARS: Final = 5000
# The slang table is not an engine, but a result needs a name for "who translated this".
SLANG_ONLY: Final = "slang-table"


@dataclass(frozen=True, slots=True)
class TranslationRequest:
    text: str
    target: TargetLang
    places: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Translation:
    """The answer for one text. ``text`` is None unless ``status`` is translated, unchanged or
    converted; ``errors`` lists ``engine:reason`` for every engine that was tried and failed."""

    status: Status
    text: str | None
    target: TargetLang
    source: SourceLang | None = None
    engine: str | None = None
    cached: bool = False
    errors: tuple[str, ...] = ()


def _to_script(text: str, target: TargetLang) -> str:
    if target == "zh-Hant":
        return opencc_converter("s2tw").convert(text)
    if target == "zh-Hans":
        return opencc_converter("t2s").convert(text)
    return text


@dataclass(eq=False)  # identity: a job is a dict key while it is in flight
class _Job:
    """One text on its way through the chain."""

    index: int
    request: TranslationRequest
    source: SourceLang
    protected: Protected
    errors: list[str] = field(default_factory=list)


class Translator:
    """Translate texts through an ordered chain of engines, with a cache in front.

    ``engines`` may be empty: every text then answers ``no_engine`` (or ``unchanged`` /
    ``converted`` where no engine is needed).
    """

    def __init__(
        self,
        engines: Sequence[TranslationEngine],
        cache: TranslationCache | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.engines = tuple(engines)
        self.cache = cache if cache is not None else TranslationCache()
        self.max_chars = max_chars

    def translate(self, text: str, target: TargetLang, places: Sequence[str] = ()) -> Translation:
        return self.translate_many([TranslationRequest(text, target, tuple(places))])[0]

    def lookup_many(self, requests: Sequence[TranslationRequest]) -> list[Translation | None]:
        """What can be answered without calling an engine: every answer ``translate_many`` would
        give without one (unchanged, converted, no_engine, unsupported, too_long, a cache hit),
        and None where an engine would run. For the request path, which must never wait on an
        engine (the product runs those in a job)."""
        return [self._prepare(index, request)[0] for index, request in enumerate(requests)]

    def translate_many(self, requests: Sequence[TranslationRequest]) -> list[Translation]:
        """Translate every request; one engine batch per engine and direction for all of them."""
        results: list[Translation | None] = [None] * len(requests)
        pending: list[_Job] = []
        for index, request in enumerate(requests):
            answer, job = self._prepare(index, request)
            if answer is not None:
                results[index] = answer
            elif job is not None:
                pending.append(job)

        for engine in self.engines:
            todo = [job for job in pending if _engine_target(engine, job.source, job.request.target)]
            if not todo:
                continue
            done = self._run_engine(engine, todo)
            for job, (engine_target, raw) in done.items():
                request = job.request
                text = _to_script(raw, request.target) if engine_target != request.target else raw
                results[job.index] = Translation(
                    "translated", text, request.target, job.source, engine.name, errors=tuple(job.errors)
                )
                # Stored as the engine wrote it: a Traditional reader's request made through a
                # Simplified-only engine also serves the Simplified readers, and back.
                key = cache_key(job.source, engine_target, engine.name, request.text, request.places)
                self.cache.put(key, CachedTranslation(raw, engine.name))
            pending = [job for job in pending if job not in done]

        for job in pending:
            results[job.index] = Translation(
                "failed", None, job.request.target, job.source, errors=tuple(job.errors)
            )
        return [result for result in results if result is not None]

    def _candidates(self, source: SourceLang, target: TargetLang) -> list[TranslationEngine]:
        return [engine for engine in self.engines if _engine_target(engine, source, target)]

    def _prepare(self, index: int, request: TranslationRequest) -> tuple[Translation | None, _Job | None]:
        text, target = request.text, request.target
        if len(text) > self.max_chars:
            return Translation("too_long", None, target), None
        source = source_language(text, target)
        if source is None:
            if _has_letters(text):
                return Translation("unsupported", None, target), None
            return Translation("unchanged", text, target), None
        if source == base_language(target) and (target != "en" or not _has_slang(text)):
            # The reader's own language with nothing to gloss: protecting and restoring would
            # give the text back as it is, so only the script conversion is left.
            converted = _to_script(text, target)
            if converted == text:
                return Translation("unchanged", text, target, source), None
            return Translation("converted", converted, target, source), None
        candidates = self._candidates(source, target) if source != base_language(target) else []
        # The cache comes before any other work: a hit (every viewer but the first) costs the
        # detection above, a hash and a dictionary lookup.
        for engine in candidates:
            engine_target = _engine_target(engine, source, target)
            assert engine_target is not None
            hit = self.cache.get(cache_key(source, engine_target, engine.name, text, request.places))
            if hit is not None:
                hit_text = _to_script(hit.text, target) if engine_target != target else hit.text
                return Translation("translated", hit_text, target, source, hit.engine, cached=True), None
        protected = protect(text, request.places, keep_spans(text, source, target))
        if source == base_language(target) or not protected.has_content:
            # Nothing for an engine: the reader's own language (perhaps in the other script),
            # or only protected spans and slang.
            restored = _to_script(restore(protected.text, protected), target)
            if restored == text:
                return Translation("unchanged", text, target, source), None
            status: Status = "converted" if source == "zh" and base_language(target) == "zh" else "translated"
            return Translation(status, restored, target, source, SLANG_ONLY if status == "translated" else None), None
        if not candidates:
            return Translation("no_engine", None, target, source), None
        return None, _Job(index, request, source, protected)

    def _run_engine(self, engine: TranslationEngine, jobs: list[_Job]) -> dict[_Job, tuple[TargetLang, str]]:
        """Translate ``jobs`` with one engine; the texts that came back valid, restored, each with
        the target the engine was asked for."""
        plans: list[tuple[_Job, TargetLang, list[_Segment]]] = []
        units: dict[tuple[SourceLang, TargetLang], dict[str, int]] = {}
        for job in jobs:
            engine_target = _engine_target(engine, job.source, job.request.target)
            assert engine_target is not None
            segments = _segments(job.protected.text, engine)
            bucket = units.setdefault((job.source, engine_target), {})
            for segment in segments:
                for piece in segment.pieces:
                    bucket.setdefault(piece, len(bucket))
            plans.append((job, engine_target, segments))

        outputs: dict[tuple[SourceLang, TargetLang], Sequence[str | EngineError]] = {}
        failed: dict[tuple[SourceLang, TargetLang], str] = {}
        for direction, bucket in units.items():
            try:
                translated = engine.translate_batch(list(bucket), *direction)
            except EngineError as exc:
                failed[direction] = exc.code
                continue
            if len(translated) != len(bucket):
                failed[direction] = "wrong-count"
                continue
            outputs[direction] = translated

        done: dict[_Job, tuple[TargetLang, str]] = {}
        for job, engine_target, segments in plans:
            direction = (job.source, engine_target)
            if direction in failed:
                job.errors.append(f"{engine.name}:{failed[direction]}")
                continue
            lookup = units[direction]
            translated = outputs[direction]
            # An engine may fail one piece alone: only the texts holding it fall back.
            failure = next((out for segment in segments for piece in segment.pieces
                            if isinstance(out := translated[lookup[piece]], EngineError)), None)
            if failure is not None:
                job.errors.append(f"{engine.name}:{failure.code}")
                continue
            try:
                parts: list[str] = []
                for number, segment in enumerate(segments, 1):
                    rendered = segment.render([str(translated[lookup[piece]]) for piece in segment.pieces], engine_target)
                    if engine.instructable:
                        check_content(segment.source, rendered, job.request.target)
                    parts.append(rendered + _separator(segment.separator, rendered, job.request.target, number == len(segments)))
                text = restore("".join(parts), job.protected)
            except RejectedError as exc:
                job.errors.append(f"{engine.name}:{exc.code}")
                continue
            except PlaceholderError:
                job.errors.append(f"{engine.name}:placeholders")
                continue
            done[job] = (engine_target, text)
        return done


def _engine_target(engine: TranslationEngine, source: SourceLang, target: TargetLang) -> TargetLang | None:
    """What to ask ``engine`` for: the target itself, or Simplified Chinese to be converted to
    Traditional by OpenCC when the engine has no Traditional model; None if neither."""
    if engine.supports(source, target):
        return target
    if target == "zh-Hant" and engine.supports(source, "zh-Hans"):
        return "zh-Hans"
    return None


_CJK_END_RE: Final = re.compile(r"[。！？…」』）”]$")


def _separator(separator: str, rendered: str, target: TargetLang, last: bool) -> str:
    """The original separator after a translated segment, adapted to the target's spacing:
    Chinese puts no space after 。！？, English needs one."""
    if target == "en" and separator == "" and not last:
        return " "
    if target != "en" and separator == " " and _CJK_END_RE.search(rendered):
        return ""
    return separator


# A slang word's letters, anywhere: when none occurs, no run of the text can be slang, and the
# word-by-word scan (~40 µs on a note) is skipped.
_SLANG_HINT_RE: Final = re.compile("|".join(map(re.escape, sorted(SLANG, key=len, reverse=True))))


def _has_slang(text: str) -> bool:
    if _SLANG_HINT_RE.search(text.casefold()) is None:
        return False
    return any(run.lang == "slang" for run in segment_runs(text))


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


# Full-width punctuation left between translated pieces reads wrong in English.
_EN_PUNCTUATION: Final = str.maketrans({"，": ",", "。": ".", "！": "!", "？": "?", "：": ":", "；": ";",
                                        "、": ",", "（": "(", "）": ")", "“": '"', "”": '"'})
_WORDISH_END_RE: Final = re.compile(r"[\w\u27e7]$")
_WORDISH_START_RE: Final = re.compile(r"^[\w\u27e6]")


@dataclass(frozen=True, slots=True)
class _Segment:
    """A piece of protected text sent to an engine, and how to put its translation together.

    ``source`` is the segment as it is (placeholders in); ``separator`` what followed it in the
    original (re-joined as is). For an engine that sees placeholders, ``pieces`` is the whole
    segment; otherwise ``pieces`` are the stretches between placeholders that hold letters,
    and ``layout`` the rest, in order: each entry either a literal (placeholders, spaces,
    punctuation) or None, meaning "the next translated piece".
    """

    source: str
    separator: str
    pieces: tuple[str, ...]
    layout: tuple[str | None, ...]

    def render(self, translated: list[str], target: TargetLang) -> str:
        pieces = iter(translated)
        out = ""
        for item in self.layout:
            if item is None:
                piece = next(pieces).strip()
                if target == "en" and out and _WORDISH_END_RE.search(out) and _WORDISH_START_RE.match(piece):
                    out += " "
                out += piece
            else:
                if target == "en":
                    item = item.translate(_EN_PUNCTUATION)
                    if out and _WORDISH_END_RE.search(out) and _WORDISH_START_RE.match(item):
                        out += " "
                out += item
        return out


def _segments(text: str, engine: TranslationEngine) -> list[_Segment]:
    segments: list[_Segment] = []
    for group in pack(split_sentences(text), engine.max_segment_chars, engine.max_segment_sentences):
        body = "".join(sentence + sep for sentence, sep in group[:-1]) + group[-1][0]
        separator = group[-1][1]
        if engine.sees_placeholders:
            segments.append(_Segment(body, separator, (body,), (None,)))
            continue
        pieces: list[str] = []
        layout: list[str | None] = []
        cursor = 0
        for match in [*PLACEHOLDER_RE.finditer(body), None]:
            end = match.start() if match else len(body)
            stretch = body[cursor:end]
            core = stretch.strip()
            if core and _has_letters(core):
                lead = stretch[: len(stretch) - len(stretch.lstrip())]
                trail = stretch[len(stretch.rstrip()) :]
                if lead:
                    layout.append(lead)
                layout.append(None)
                if trail:
                    layout.append(trail)
                pieces.append(core)
            elif stretch:
                layout.append(stretch)
            if match:
                layout.append(match.group(0))
                cursor = match.end()
        segments.append(_Segment(body, separator, tuple(pieces), tuple(layout)))
    return segments
