"""LibreTranslate (Argos Translate models behind an HTTP API): ``POST {url}/translate``.

One request per batch (``q`` is a list). LibreTranslate names Chinese ``zh`` (Simplified) and,
from 1.6, ``zt`` or ``zh-Hant`` (Traditional); ``languages`` maps ours to the server's. Argos
models are seq2seq models, so the engine does not see placeholders and gets one sentence per
segment, like CTranslate2 (which Argos runs on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redbridge.translation.engine import EngineError, SourceLang, TargetLang
from redbridge.translation.engines.http import HttpEngine

__all__ = ["LibreTranslateConfig", "LibreTranslateEngine"]


def _default_languages() -> dict[str, str]:
    return {"en": "en", "zh": "zh", "zh-Hans": "zh"}


@dataclass(frozen=True)
class LibreTranslateConfig:
    """``languages``: our codes → the server's. Add ``"zh-Hant": "zt"`` for a server with a
    Traditional model; without it the pipeline converts Simplified output with OpenCC."""

    url: str
    api_key: str | None = None
    languages: dict[str, str] = field(default_factory=_default_languages)
    connect_timeout: float = 2.0
    timeout: float = 20.0
    max_segment_chars: int = 400
    version: str | None = None


class LibreTranslateEngine(HttpEngine):
    sees_placeholders = False
    instructable = False
    max_segment_sentences = 1

    def __init__(self, config: LibreTranslateConfig) -> None:
        base = config.url.rstrip("/")
        super().__init__(f"libretranslate:{base}@{config.version or 'v1'}", base + "/translate",
                         config.connect_timeout, config.timeout, config.max_segment_chars)
        self._config = config

    def supports(self, source: SourceLang, target: TargetLang) -> bool:
        languages = self._config.languages
        return source in languages and target in languages and languages[source] != languages[target]

    def translate_batch(self, texts: Sequence[str], source: SourceLang, target: TargetLang) -> list[str]:
        if not self.supports(source, target):
            raise EngineError("unsupported-pair", f"{source}->{target}")
        if not texts:
            return []
        payload: dict[str, Any] = {
            "q": list(texts),
            "source": self._config.languages[source],
            "target": self._config.languages[target],
            "format": "text",
        }
        if self._config.api_key:
            payload["api_key"] = self._config.api_key
        answer = self._post(payload)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if not isinstance(translated, list) or len(translated) != len(texts):
            raise EngineError("malformed", "translatedText is not one string per input")
        if not all(isinstance(item, str) for item in translated):
            raise EngineError("malformed", "translatedText holds a non-string")
        return list(translated)
