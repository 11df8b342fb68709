"""The search evaluation on the bilingual relevance set (``relevance_set.yaml``): nDCG@10 and
Recall@10 per query kind for each retrieval method, printed as the table of docs/benchmarks.md.

    python -m tests.search.evaluate    # keyword, keyword + dictionary, dense (raw, centred), hybrid

A method is a function from the query text to the set's note ids, best first; the dense ones
embed the set's notes once (~10 s on one core idle) and search them exactly (a dot product per
note: 241 notes need no HNSW, and the index's recall is not what is measured here).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from redbridge.search.analysis import analyse, query_terms
from redbridge.search.backend import NoteDoc, NoteQuery, phrase_of
from redbridge.search.dense import NoteEmbedder, note_embedder, passage_text
from redbridge.search.embedded import TantivyBackend
from redbridge.search.expand import translate_query
from redbridge.search.queries import fuse
from redbridge.text.embed import Vectors, default_embedder
from redbridge.text.lang import detect_language
from tests.search.relevance import RelevanceSet, load, mean_by_kind, ndcg_at_k, recall_at_k

Ranker = Callable[[str], Sequence[str]]
DEPTH = 50  # how far each method ranks (the metrics read the first 10)


@dataclass(frozen=True)
class Scores:
    recall: dict[str, float]
    ndcg: dict[str, float]


def score(relevance: RelevanceSet, ranker: Ranker) -> Scores:
    rankings = {query.id: list(ranker(query.text)) for query in relevance.queries}
    return Scores(mean_by_kind(relevance.queries, rankings, recall_at_k),
                  mean_by_kind(relevance.queries, rankings, ndcg_at_k))


class DenseRankers:
    """Exact nearest notes by raw e5 vectors and by language-centred ones (``search.dense``). Each
    note and query is embedded once; the centred vectors are the raw ones with the means taken out
    (what ``NoteEmbedder.notes`` / ``query`` compute), so the two methods cost one embedding pass."""

    def __init__(self, relevance: RelevanceSet, embedder: NoteEmbedder | None = None) -> None:
        self.embedder = embedder or note_embedder(default_embedder())
        self.ids = [note.id for note in relevance.notes]
        texts = [passage_text(n.title, n.body, n.tags) for n in relevance.notes]
        self.raw_notes: Vectors = self.embedder.embedder.passages(texts)
        self.centred_notes = self.embedder.centre_passages(self.raw_notes, texts)
        self._queries: dict[str, Vectors] = {}

    def _query(self, text: str) -> Vectors:
        if text not in self._queries:
            self._queries[text] = self.embedder.embedder.query(text)
        return self._queries[text]

    def _top(self, notes: Vectors, query: Vectors) -> list[str]:
        return [self.ids[i] for i in np.argsort(-(notes @ query))[:DEPTH]]

    def raw(self, text: str) -> list[str]:
        return self._top(self.raw_notes, self._query(text))

    def centred(self, text: str) -> list[str]:
        return self._top(self.centred_notes, self.embedder.centre_query(self._query(text), text))


class KeywordRankers:
    """The embedded backend (tantivy) over the set's notes, analysed as the indexing job does:
    the query as typed, and with its dictionary translation joined (``search.expand``), as
    ``search.queries.search_notes`` asks."""

    def __init__(self, relevance: RelevanceSet) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.backend = TantivyBackend(Path(self._dir.name), commit_delay_s=0)
        self.number = {note.id: n for n, note in enumerate(relevance.notes, start=1)}
        self.name = {n: note_id for note_id, n in self.number.items()}
        self.backend.replace_all([[NoteDoc(
            note_id=self.number[n.id], author_id=1, title=analyse(n.title), body=analyse(n.body),
            tags=analyse(" ".join(n.tags)), lang=n.lang, kind="text", created_at=0) for n in relevance.notes]])
        self.backend.flush()

    def _search(self, terms: list[str], prefer: frozenset[str] = frozenset(), phrase: tuple[str, ...] = ()) -> list[str]:
        unique = tuple(dict.fromkeys(terms))
        if not unique:
            return []
        query = NoteQuery(terms=unique, limit=DEPTH, prefer_langs=prefer, phrase=phrase)
        return [self.name[i] for i in self.backend.search(query).note_ids]

    def typed(self, text: str) -> list[str]:
        return self._search(query_terms(text))

    def expanded(self, text: str) -> list[str]:
        """The typed terms with their translation, and the typed words as a phrase, as
        ``search_notes`` asks."""
        typed = query_terms(text)
        return self._search([*typed, *query_terms(" ".join(translate_query(text)))], phrase=phrase_of(typed))

    def leaning(self, text: str) -> list[str]:
        """As :meth:`expanded`, for a reader of the query's language (``backend.LANGUAGE_BOOST``)."""
        lang = detect_language(text)
        prefer = frozenset({lang}) if lang in ("en", "zh") else frozenset()
        typed = query_terms(text)
        return self._search([*typed, *query_terms(" ".join(translate_query(text)))], prefer, phrase_of(typed))

    def close(self) -> None:
        self.backend.close()
        self._dir.cleanup()


def hybrid(keyword: KeywordRankers, dense: DenseRankers) -> Ranker:
    """What ``search_notes`` ranks by relevance: the expanded keyword ranking and the dense one
    fused by ``search.queries.fuse``."""
    def rank(text: str) -> list[str]:
        query = dense.embedder.centre_query(dense._query(text), text)
        scores = dense.centred_notes @ query
        return fuse(keyword.expanded(text), [(dense.ids[i], float(scores[i])) for i in np.argsort(-scores)[:DEPTH]])
    return rank


def table(rows: dict[str, Scores]) -> str:
    kinds = ["en_to_zh", "zh_to_en", "same_en", "same_zh", "cross_lingual", "all"]
    lines = ["| method | metric | " + " | ".join(kinds) + " |", "|---|---|" + "---:|" * len(kinds)]
    for name, scores in rows.items():
        for metric, values in (("Recall@10", scores.recall), ("nDCG@10", scores.ndcg)):
            lines.append(f"| {name} | {metric} | " + " | ".join(f"{values.get(k, 0.0):.3f}" for k in kinds) + " |")
    return "\n".join(lines)


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    relevance = load()
    keyword = KeywordRankers(relevance)
    dense = DenseRankers(relevance)
    try:
        print(table({"keyword (tantivy, BM25)": score(relevance, keyword.typed),
                     "keyword + dictionary translation": score(relevance, keyword.expanded),
                     "keyword + dictionary, leaning to the query's language": score(relevance, keyword.leaning),
                     "dense, raw vectors": score(relevance, dense.raw),
                     "dense, language-centred": score(relevance, dense.centred),
                     "hybrid (keyword + dictionary, centred dense, RRF)": score(relevance, hybrid(keyword, dense))}))
    finally:
        keyword.close()


if __name__ == "__main__":
    main()
