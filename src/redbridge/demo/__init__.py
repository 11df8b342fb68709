"""Deterministic bilingual demo data: users, notes, comments and pictures.

Used by ``redbridge demo`` to fill an empty instance and by benchmarks that need realistic
volume. Everything is generated from a seeded ``random.Random`` and Python literals, so the
same seed gives the same community on every machine and nothing is downloaded.
"""
