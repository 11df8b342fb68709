"""The text check: normalise, match the lexicon, score English toxicity, decide.

A :class:`Verdict` is the strongest action among the hits (reject > hold > label > allow), the
categories that fired (reason codes, translated where they are shown: docs/moderation.md) and the
evidence — one dict per rule hit (``rule``, ``category``, ``action``, ``field``, ``matched``) and
one for the classifier when it counted (``classifier``, ``score``, ``threshold``).

The classifier (alt-profanity-check, English only) reads the ``compact`` form with CJK characters,
benign phrases (global and per rule: ``kill it``, ``faggots and peas``) and intensifier profanity (``data/profanity.yaml``: ``holy
shit``, ``fucking``) removed: it is a *profanity* model, and profanity aimed at no one is not what
a hold is for. A score at or above ``toxicity_threshold`` adds ``harassment`` with
``toxicity_action``. Texts without a Latin word of two letters are not scored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from redbridge.moderation.classifier import toxicity_model
from redbridge.moderation.lexicon import Hit, Lexicon
from redbridge.moderation.normalize import Normalized, normalize
from redbridge.moderation.rules import (
    Action,
    Category,
    load_context_allow,
    load_defaults,
    load_global_allow,
    load_profanity,
)

__all__ = ["DEFAULT_TOXICITY_THRESHOLD", "Decision", "TextChecker", "Verdict", "default_checker"]

Decision = Literal["allow", "label", "hold", "reject"]
_RANK: dict[str, int] = {"allow": 0, "label": 1, "hold": 2, "reject": 3}
DEFAULT_TOXICITY_THRESHOLD = 0.9
_LATIN_WORD = re.compile(r"[a-z]{2}")
_CJK_RUNS = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    reasons: tuple[Category, ...]
    evidence: tuple[dict[str, object], ...]


def _phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str] | None:
    forms = sorted({normalize(p).compact for p in phrases if p.strip()}, key=len, reverse=True)
    if not forms:
        return None
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![a-z0-9])")


class TextChecker:
    """Lexicon + English toxicity classifier. Thread-safe: nothing in it changes after ``__init__``."""

    def __init__(self, lexicon: Lexicon, *, toxicity_threshold: float = DEFAULT_TOXICITY_THRESHOLD,
                 toxicity_action: Action = "hold") -> None:
        self.lexicon = lexicon
        self.toxicity_threshold = toxicity_threshold
        self.toxicity_action: Action = toxicity_action
        # Phrases declared benign (global and per rule) are benign for the classifier too.
        allow = [*load_global_allow(), *(p for rule in lexicon.rules for p in rule.allow)]
        latin_allow = [p for p in allow if p.isascii()]
        self._mask = _phrase_pattern([*latin_allow, *load_profanity()])
        self._context = {
            cat: [normalize(p).compact for p in phrases] for cat, phrases in load_context_allow().items()
        }

    # --- the classifier's view ----------------------------------------------------------------

    def classifier_input(self, text: Normalized) -> str:
        """What the classifier reads ('' when there is nothing English to score)."""
        view = text.compact
        if not _LATIN_WORD.search(view):
            return ""
        if not view.isascii():
            view = _CJK_RUNS.sub(" ", view)
        if self._mask is not None:
            view = self._mask.sub(" ", view)
        return view if _LATIN_WORD.search(view) else ""

    # --- deciding -----------------------------------------------------------------------------

    def _drop_by_context(self, text: Normalized, hits: list[Hit]) -> list[Hit]:
        if not hits or not self._context:
            return hits
        dropped = {cat for cat, phrases in self._context.items()
                   if any(h.category == cat for h in hits) and any(p in text.compact for p in phrases)}
        return [h for h in hits if h.category not in dropped] if dropped else hits

    def _verdict(self, hits: list[Hit], score: float | None) -> Verdict:
        decision: Decision = "allow"
        reasons: list[Category] = []
        evidence: list[dict[str, object]] = []
        for hit in hits:
            if _RANK[hit.action] > _RANK[decision]:
                decision = hit.action
            if hit.category not in reasons:
                reasons.append(hit.category)
            evidence.append({"rule": hit.rule_id, "category": hit.category, "action": hit.action,
                             "field": hit.field, "matched": hit.matched})
        if score is not None and score >= self.toxicity_threshold:
            if _RANK[self.toxicity_action] > _RANK[decision]:
                decision = self.toxicity_action
            if "harassment" not in reasons:
                reasons.append("harassment")
            evidence.append({"classifier": "alt-profanity-check", "category": "harassment",
                             "action": self.toxicity_action, "score": round(score, 4),
                             "threshold": self.toxicity_threshold})
        return Verdict(decision, tuple(reasons), tuple(evidence))

    def check(self, text: str) -> Verdict:
        """The verdict on one text (strongest action wins: reject > hold > label > allow)."""
        return self.check_many([text])[0]

    def check_many(self, texts: Sequence[str]) -> list[Verdict]:
        """Verdicts for many texts; the classifier is loaded once and scores only what needs it."""
        normalized = [normalize(t) for t in texts]
        hits = [self._drop_by_context(n, self.lexicon.match(n)) for n in normalized]
        views = [self.classifier_input(n) for n in normalized]
        model = toxicity_model() if any(views) else None
        verdicts = []
        for found, view in zip(hits, views, strict=True):
            score = model.score(view) if model is not None and view else None
            verdicts.append(self._verdict(found, score))
        return verdicts


@functools.cache
def default_checker() -> TextChecker:
    """The checker over the shipped lists, built once per process (the lexicon is immutable)."""
    return TextChecker(Lexicon.build(load_defaults()))
