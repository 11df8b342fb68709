"""Redbridge: a bilingual (English / 中文) lifestyle community."""

__version__ = "0.1.0"
