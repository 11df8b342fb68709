"""The bilingual search relevance set (``relevance_set.yaml``): a typed loader and the metrics.

The set is judged notes and graded queries (see the comments at the top of the YAML for how it was
made and the judging rule). The search evaluation indexes ``RelevanceSet.notes`` (``api_body()``
is each note as the notes API takes it), runs every query, maps the hits back to the set's note
ids (``n001``…) and scores each ranking with :func:`ndcg_at_k` and :func:`recall_at_k`;
:func:`mean_by_kind` averages a score per query kind for the table in ``docs/benchmarks.md``.

Grades: 2 = exactly what was searched, 1 = related or partly; a note not judged is 0. "Relevant"
means grade >= 1.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml

SET_PATH = Path(__file__).with_name("relevance_set.yaml")

Lang = Literal["en", "zh", "mixed"]
Kind = Literal["en_to_zh", "zh_to_en", "same_en", "same_zh"]
LANGS: tuple[Lang, ...] = get_args(Lang)
KINDS: tuple[Kind, ...] = get_args(Kind)
GRADES = (1, 2)
CROSS_LINGUAL: tuple[Kind, ...] = ("en_to_zh", "zh_to_en")

_NOTE_KEYS = {"id", "lang", "title", "body", "tags", "place"}
_QUERY_KEYS = {"id", "text", "kind", "relevant"}


@dataclass(frozen=True)
class JudgedNote:
    """One note of the set: what an author would post, plus its language."""

    id: str
    lang: Lang
    title: str
    body: str
    tags: tuple[str, ...]
    place: str | None = None

    def api_body(self) -> dict[str, Any]:
        """The note as ``POST /api/v1/notes`` takes it (``NoteCreate``)."""
        body: dict[str, Any] = {"title": self.title, "body": self.body, "tags": list(self.tags)}
        if self.place is not None:
            body["place"] = {"name": self.place}
        return body


@dataclass(frozen=True)
class Query:
    """A search as a user would type it, with the graded notes that answer it."""

    id: str
    text: str
    kind: Kind
    relevant: Mapping[str, int]  # note id -> grade (1 or 2); unlisted notes are grade 0

    @property
    def cross_lingual(self) -> bool:
        return self.kind in CROSS_LINGUAL


@dataclass(frozen=True)
class RelevanceSet:
    notes: tuple[JudgedNote, ...]
    queries: tuple[Query, ...]

    def note(self, note_id: str) -> JudgedNote:
        """The note with this id (KeyError if there is none)."""
        for note in self.notes:
            if note.id == note_id:
                return note
        raise KeyError(note_id)

    def by_kind(self, kind: Kind) -> tuple[Query, ...]:
        return tuple(q for q in self.queries if q.kind == kind)


def _str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string, not {value!r}")
    return value


def _note(raw: Any, n: int) -> JudgedNote:
    if not isinstance(raw, dict):
        raise ValueError(f"note {n}: a mapping, not {raw!r}")
    where = f"note {n} ({raw.get('id')!r})"
    if unknown := set(raw) - _NOTE_KEYS:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    lang = raw.get("lang")
    if lang not in LANGS:
        raise ValueError(f"{where}: lang {lang!r} is not one of {LANGS}")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ValueError(f"{where}: tags must be a list of non-empty strings")
    place = raw.get("place")
    if place is not None and (not isinstance(place, str) or not place.strip()):
        raise ValueError(f"{where}: place must be a non-empty string when given")
    return JudgedNote(
        id=_str(raw, "id", where),
        lang=cast(Lang, lang),
        title=_str(raw, "title", where),
        body=_str(raw, "body", where),
        tags=tuple(tags),
        place=place,
    )


def _query(raw: Any, n: int) -> Query:
    if not isinstance(raw, dict):
        raise ValueError(f"query {n}: a mapping, not {raw!r}")
    where = f"query {n} ({raw.get('id')!r})"
    if unknown := set(raw) - _QUERY_KEYS:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind {kind!r} is not one of {KINDS}")
    relevant = raw.get("relevant")
    if not isinstance(relevant, dict) or not all(
        isinstance(k, str) and type(v) is int for k, v in relevant.items()
    ):
        raise ValueError(f"{where}: relevant must map note ids to integer grades")
    return Query(
        id=_str(raw, "id", where),
        text=_str(raw, "text", where),
        kind=cast(Kind, kind),
        relevant=dict(relevant),
    )


def load(path: Path = SET_PATH) -> RelevanceSet:
    """The set, each note and query checked for known keys and well-typed values (ValueError).

    The set's own rules (counts, unique ids, grades, judged ids that exist) are asserted by
    ``test_relevance_set.py``, not here, so that a broken set still loads for inspection.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != {"notes", "queries"}:
        raise ValueError(f"{path.name}: a mapping with exactly 'notes' and 'queries'")
    notes = tuple(_note(raw, n) for n, raw in enumerate(data["notes"], 1))
    queries = tuple(_query(raw, n) for n, raw in enumerate(data["queries"], 1))
    return RelevanceSet(notes=notes, queries=queries)


def _first_k(ranked_ids: Sequence[str], k: int) -> list[str]:
    """The first ``k`` distinct ids: a note listed twice earns nothing the second time."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    seen: set[str] = set()
    top: list[str] = []
    for note_id in ranked_ids:
        if note_id not in seen:
            seen.add(note_id)
            top.append(note_id)
            if len(top) == k:
                break
    return top


def _relevant(judgments: Mapping[str, int]) -> dict[str, int]:
    relevant = {note_id: grade for note_id, grade in judgments.items() if grade >= 1}
    if not relevant:
        raise ValueError("a query with no relevant note has no nDCG or recall")
    return relevant


def dcg(grades: Iterable[int]) -> float:
    """Discounted cumulative gain of grades in rank order: sum of grade / log2(rank + 1).

    Linear gain (the grade itself) and the log2 discount, as trec_eval's ``ndcg_cut`` and BEIR
    compute it, so the figures compare with published ones.
    """
    return sum(grade / math.log2(rank + 1) for rank, grade in enumerate(grades, 1))


def ndcg_at_k(ranked_ids: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    """Normalised DCG of the first ``k`` results, in [0, 1].

    ``ranked_ids``: note ids best first (repeats after the first count as absent, unjudged ids
    are grade 0). ``judgments``: note id -> grade (``Query.relevant``). The ideal ranking is every
    judged note by grade, cut at ``k``; 1.0 means no reordering of the judged notes could do
    better. ValueError if no note is relevant or ``k`` < 1.
    """
    relevant = _relevant(judgments)
    gained = dcg(relevant.get(note_id, 0) for note_id in _first_k(ranked_ids, k))
    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    return gained / ideal


def recall_at_k(ranked_ids: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    """The share of relevant notes (grade >= 1) found in the first ``k`` results, in [0, 1].

    Not capped at ``k``: a query with 12 relevant notes scores at most 10/12 at k = 10.
    ValueError if no note is relevant or ``k`` < 1.
    """
    relevant = _relevant(judgments)
    found = sum(1 for note_id in _first_k(ranked_ids, k) if note_id in relevant)
    return found / len(relevant)


Metric = Callable[[Sequence[str], Mapping[str, int], int], float]


def mean_by_kind(
    queries: Iterable[Query], rankings: Mapping[str, Sequence[str]], metric: Metric, k: int = 10
) -> dict[str, float]:
    """The mean of ``metric`` per query kind, plus ``"cross_lingual"`` and ``"all"``.

    ``rankings``: query id -> ranked note ids; a query missing from it scores 0 (a search that
    failed found nothing). Kinds with no query are left out.
    """
    scores: dict[str, list[float]] = defaultdict(list)
    for query in queries:
        score = metric(rankings.get(query.id, ()), query.relevant, k)
        scores[query.kind].append(score)
        scores["all"].append(score)
        if query.cross_lingual:
            scores["cross_lingual"].append(score)
    order = [*KINDS, "cross_lingual", "all"]
    return {name: sum(scores[name]) / len(scores[name]) for name in order if scores.get(name)}
