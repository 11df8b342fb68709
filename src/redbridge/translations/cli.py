"""``redbridge translate "text" --to en`` and ``redbridge doctor``."""

from __future__ import annotations

import argparse
import time
from typing import get_args

from redbridge.settings import (
    CTranslate2EngineSettings,
    EngineSettings,
    Settings,
    TranslationSettings,
)
from redbridge.translation import EngineError, TargetLang, TranslationEngine, Translator
from redbridge.translation.cache import TranslationCache
from redbridge.translation.engine import SourceLang
from redbridge.translations.wiring import build_engine, describe

# A short text per source language: what the doctor asks each engine to translate.
_PROBES: dict[SourceLang, str] = {"zh": "你好。", "en": "Hello."}
_DIRECTIONS: tuple[tuple[SourceLang, TargetLang], ...] = (("zh", "en"), ("en", "zh-Hans"), ("en", "zh-Hant"))


def cmd_translate(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Print the translation (exit 0), or the status and the engines' reasons (exit 1 on failed
    or no_engine: nothing was translated). Engines run here, in this process; no database."""
    settings = settings or Settings()
    config = settings.translation
    engines: list[TranslationEngine] = []
    for entry in config.engines:
        try:
            engines.append(build_engine(entry, config))
        except EngineError as exc:
            print(f"engine not loaded: {describe(entry)}: {exc.code}")
    translator = Translator(engines, TranslationCache(), config.max_chars)
    result = translator.translate(args.text, args.to)
    if result.text is not None:
        print(result.text)
        if result.engine:
            print(f"({result.status} by {result.engine})")
        return 0
    print(f"status: {result.status}")
    for reason in result.errors:
        print(f"  {reason}")
    if result.status == "no_engine":
        print("no machine translation engine is configured for this direction (REDBRIDGE_TRANSLATION__ENGINES)")
    return 1 if result.status in ("failed", "no_engine") else 0


def _probe_settings(entry: EngineSettings, config: TranslationSettings) -> EngineSettings:
    if isinstance(entry, CTranslate2EngineSettings):
        return entry
    return entry.model_copy(update={"timeout": min(entry.timeout or config.probe_timeout_s, config.probe_timeout_s)})


def probe(entry: EngineSettings, config: TranslationSettings) -> tuple[bool, str]:
    """Whether the engine loads and answers one short text, bounded by ``probe_timeout_s``."""
    try:
        engine = build_engine(_probe_settings(entry, config), config)
    except EngineError as exc:
        return False, f"does not load: {exc.code}"
    try:
        direction = next((d for d in _DIRECTIONS if engine.supports(*d)), None)
        if direction is None:
            return False, f"{engine.name}: serves none of {', '.join(f'{s}→{t}' for s, t in _DIRECTIONS)}"
        start = time.monotonic()
        try:
            out = engine.translate_batch([_PROBES[direction[0]]], *direction)
        except EngineError as exc:
            return False, f"{engine.name}: unreachable or failing: {exc.code}"
        if isinstance(out[0], EngineError):
            return False, f"{engine.name}: answered badly: {out[0].code}"
        return True, f"{engine.name}: ok ({direction[0]}→{direction[1]} in {(time.monotonic() - start) * 1000:.0f} ms)"
    finally:
        close = getattr(engine, "close", None)
        if callable(close):
            close()


def cmd_doctor(_args: argparse.Namespace, settings: Settings | None = None) -> int:
    """The backends in use and each translation engine's state; exit 1 when something configured
    is broken (no engine configured is a valid set-up, and said so)."""
    from sqlalchemy import text

    from redbridge.core import db
    from redbridge.core.cache import RedisCache

    settings = settings or Settings()
    healthy = True
    engine = db.make_engine(settings)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        print(f"database: {engine.dialect.name} {engine.url.render_as_string(hide_password=True)}: ok")
    except Exception as exc:  # noqa: BLE001 - the doctor reports every failure, whatever it is
        healthy = False
        print(f"database: {engine.url.render_as_string(hide_password=True)}: unreachable ({type(exc).__name__})")
    finally:
        engine.dispose()
    if settings.redis_url:
        try:
            RedisCache(settings.redis_url).ping()
            print("cache, limits, jobs broker: redis: ok")
        except Exception as exc:  # noqa: BLE001
            healthy = False
            print(f"cache, limits, jobs broker: redis: unreachable ({type(exc).__name__})")
    else:
        print("cache and limits: in-process")
    print(f"jobs: {settings.jobs_mode}")
    config = settings.translation
    if not config.engines:
        print("translation: no engine configured (readers get dictionary glosses; see docs/translation.md)")
    for index, entry in enumerate(config.engines, 1):
        ok, detail = probe(entry, config)
        healthy = healthy and ok
        print(f"translation engine {index}: {describe(entry)}: {detail}")
    return 0 if healthy else 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    translate = sub.add_parser("translate", help="translate a text with the configured engines")
    translate.add_argument("text")
    translate.add_argument("--to", required=True, choices=list(get_args(TargetLang)))
    translate.set_defaults(func=cmd_translate)
    sub.add_parser("doctor", help="show the backends in use and probe each translation engine").set_defaults(
        func=cmd_doctor)

