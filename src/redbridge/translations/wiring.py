"""From settings to a running ``Translator``: built once per ``Services``, lazily (the first
translation or doctor run loads a CTranslate2 model, not the start of every process)."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redbridge.settings import (
    CTranslate2EngineSettings,
    EngineSettings,
    LibreTranslateEngineSettings,
    TranslationSettings,
)
from redbridge.translation import EngineError, TranslationEngine, Translator
from redbridge.translation.cache import TranslationCache
from redbridge.translations.store import DbStore, TieredStore

if TYPE_CHECKING:
    from redbridge.core.services import Services

log = logging.getLogger("redbridge.translations")


def describe(entry: EngineSettings) -> str:
    """How an engine entry is named to an operator (doctor, logs); never shows a key."""
    if isinstance(entry, CTranslate2EngineSettings):
        return f"ctranslate2 {entry.model_dir}"
    if isinstance(entry, LibreTranslateEngineSettings):
        return f"libretranslate {entry.url}"
    return f"openai_chat {entry.base_url} {entry.model}"


def build_engine(entry: EngineSettings, settings: TranslationSettings) -> TranslationEngine:
    """One engine from its settings entry; :class:`EngineError` when it cannot be built (a model
    directory without a model)."""
    if isinstance(entry, CTranslate2EngineSettings):
        from redbridge.translation.engines.ctranslate2 import CTranslate2Config, CTranslate2Engine

        return CTranslate2Engine(CTranslate2Config(
            entry.model_dir, pairs=tuple(entry.pairs), family=entry.family, target_tokens=dict(entry.target_tokens),
            beam_size=entry.beam_size, version=entry.version))
    api_key = os.environ.get(entry.api_key_env) if entry.api_key_env else None
    timeout = entry.timeout or settings.job_timeout_s
    if isinstance(entry, LibreTranslateEngineSettings):
        from redbridge.translation.engines.libretranslate import LibreTranslateConfig, LibreTranslateEngine

        config = LibreTranslateConfig(entry.url, api_key=api_key, timeout=timeout, version=entry.version)
        if entry.languages is not None:
            config = LibreTranslateConfig(entry.url, api_key=api_key, languages=dict(entry.languages),
                                          timeout=timeout, version=entry.version)
        return LibreTranslateEngine(config)
    from redbridge.translation.engines.openai_chat import OpenAIChatConfig, OpenAIChatEngine

    return OpenAIChatEngine(OpenAIChatConfig(entry.base_url, entry.model, api_key=api_key, timeout=timeout,
                                             json_mode=entry.json_mode, version=entry.version))


@dataclass
class TranslationRuntime:
    """The feature's state in ``Services``: the engines, the shared store and the translator."""

    services: Services
    _engines: tuple[TranslationEngine, ...] | None = None
    load_errors: dict[int, str] = field(default_factory=dict)  # engine index → reason code
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _translator: Translator | None = None

    @property
    def store(self) -> TieredStore:
        return TieredStore(self.services.cache, DbStore(self.services.sessions, self.services.clock))

    def engines(self) -> tuple[TranslationEngine, ...]:
        with self._lock:
            if self._engines is None:
                built: list[TranslationEngine] = []
                config = self.services.settings.translation
                for index, entry in enumerate(config.engines):
                    try:
                        built.append(build_engine(entry, config))
                    except EngineError as exc:
                        # A broken engine is left out of the chain (the others still serve) and
                        # shown by ``redbridge doctor``.
                        self.load_errors[index] = exc.code
                        log.error("translation engine %s not loaded: %s", describe(entry), exc)
                self._engines = tuple(built)
            return self._engines

    @property
    def configured(self) -> bool:
        return bool(self.services.settings.translation.engines)

    def translator(self) -> Translator:
        """The shared translator of the request path (reads only: ``lookup_many``)."""
        if self._translator is None:
            engines = self.engines()
            with self._lock:
                if self._translator is None:
                    self._translator = Translator(engines, TranslationCache(self.store),
                                                  self.services.settings.translation.max_chars)
        return self._translator

    def translator_for(self, subject: str) -> Translator:
        """A translator whose store writes name ``subject`` (a job's; the LRU is its own)."""
        return Translator(self.engines(), TranslationCache(self.store.for_subject(subject), size=256),
                          self.services.settings.translation.max_chars)

    def close(self) -> None:
        for engine in self._engines or ():
            close = getattr(engine, "close", None)
            if callable(close):
                close()


def runtime(services: Services) -> TranslationRuntime:
    return services.state(TranslationRuntime, lambda: TranslationRuntime(services))
