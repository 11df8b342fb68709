"""Translation across the language line (issue 9): the engine layer.

``Translator`` (service.py) is the entry point: it takes texts and a reader's language and
returns :class:`Translation` results, running detection, span protection, mixed-text
handling, sentence splitting, batching, validation, fallback and caching around a chain of
:class:`TranslationEngine` implementations (engines/). Glosses from CC-CEDICT live in
glossary.py. docs/translation.md describes the design and how to plug in a real model.

The product (settings, store, jobs, API, page control, CLI) is ``redbridge.translations``.
"""

from redbridge.translation.engine import EngineError, SourceLang, TargetLang, TranslationEngine
from redbridge.translation.service import Translation, TranslationRequest, Translator

__all__ = [
    "EngineError",
    "SourceLang",
    "TargetLang",
    "Translation",
    "TranslationEngine",
    "TranslationRequest",
    "Translator",
]
