"""Language-aware text helpers shared by every feature.

Language identification, normalisation for matching (width, case, Traditional→Simplified),
RedNote-style ``#tag`` / ``@mention`` markup and topic inference. Everything here works
offline: the language-id model and the OpenCC tables ship inside their wheels.
"""
