"""Moderation: the text pipeline, screening at write time and the stored decisions (docs/moderation.md)."""
