"""Search: one analyser, a ``SearchBackend`` (tantivy embedded), indexing through the outbox and the
notes search API and page (docs/search.md)."""
