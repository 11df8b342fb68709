"""Search: one analyser, two backends, keyword and dense retrieval fused (docs/search.md)."""
