"""Engines behind :class:`redbridge.translation.engine.TranslationEngine`.

Each module imports its heavy dependency (ctranslate2, sentencepiece) or opens its HTTP
client only when an engine is constructed, so a deployment without a model pays nothing.
"""
