"""The ``SearchBackend`` protocol: what search needs from an index engine, whatever the engine.

Documents arrive already analysed (``search.analysis``): a backend stores whitespace-separated
terms and never segments text itself, so tantivy (embedded: ``search.embedded``) and a PostgreSQL
tsvector (cluster: ``search.postgres``) index exactly the same terms.

What the engines share is here too, so the two rank and filter alike: the field boosts, the
engagement boost, the field each sort orders by, the bounding boxes of a ``Near``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

Sort = Literal["relevance", "newest", "likes", "collects", "comments"]
Kind = Literal["image", "video"]
Lang = Literal["en", "zh"]

# Field boosts: a word in the title says more about a note than one in its body, and the body
# more than a tag (tags are few and broad: #food).
# ``translated``: what the note says in the other language (stored machine translations, the best
# community one), weighed as a tag: it finds the note across the language line, below its own words.
BOOSTS: Final = {"title": 3.0, "body": 1.5, "tags": 1.0, "translated": 1.0}
# The field (column) each sort orders by, descending; ids are time-ordered, so ``newest`` is the id.
SORT_FIELDS: Final = {"newest": "note_id", "likes": "like_count", "collects": "collect_count",
                      "comments": "comment_count"}
# Engagement lifts relevance modestly: the score is multiplied by log2(2 + boost), so boost runs
# 0 → 2**1.5 - 2 for a score × 1.0 → × 1.5 at ``ENGAGEMENT_CAP`` weighted engagements.
ENGAGEMENT_CAP: Final = 10_000


def engagement_boost(likes: int, collects: int, comments: int) -> float:
    """The document's ``boost``: collects weigh above likes (a collect is a save-for-later)."""
    weighted = max(likes, 0) + 2 * max(collects, 0) + max(comments, 0)
    share = min(math.log1p(weighted) / math.log1p(ENGAGEMENT_CAP), 1.0)
    return float(2 ** (1 + 0.5 * share) - 2)


# Typo tolerance (docs/search.md, "Typo tolerance"): a query word of Latin letters that no note
# has is matched to the indexed words within a few edits of it. Short words get one edit, longer
# two (the index holds stems: "dumplngs" → "dumplng" is two edits from "dumpl"); under four
# letters a typo is as likely another word.
_TYPO_WORD: Final = re.compile(r"[a-z]{4,}")
TYPO_TWO_EDITS_FROM: Final = 6
# A corrected word counts for this much of a word as typed (its field boost times this).
TYPO_WEIGHT: Final = 0.5


# At most this many words of one query are corrected (each is a fuzzy scan of the term dictionary).
TYPO_MAX_WORDS: Final = 3


def typo_candidates(terms: Iterable[str]) -> list[tuple[str, int]]:
    """The terms that may be misspelt English, each with the edits allowed to correct it."""
    return [(t, 2 if len(t) >= TYPO_TWO_EDITS_FROM else 1) for t in dict.fromkeys(terms) if _TYPO_WORD.fullmatch(t)]


def correctable(query: NoteQuery) -> list[tuple[str, int]]:
    """The query's words typo tolerance may correct, with their edits (``TYPO_MAX_WORDS`` at most)."""
    return typo_candidates(query.terms if query.correctable is None else query.correctable)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein distance (optimal string alignment: a swap of neighbours is one edit,
    as tantivy's automaton counts it), or ``limit + 1`` once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


# Freshness and the reader's language as boosts of relevance (docs/search.md, "Ranking"): both
# change with the asker and the hour, so they are applied when a query runs — by PostgreSQL over
# every match, by tantivy over its best ``RESCORE_WINDOW`` (a rescore, as Elasticsearch's).
# A note posted now scores × (1 + FRESH_WEIGHT), one ``FRESH_HALF_LIFE_S`` old × (1 + half of it),
# an old one × 1; a note in one of the reader's languages (a mixed one is in both) × LANGUAGE_BOOST.
FRESH_WEIGHT: Final = 0.3
FRESH_HALF_LIFE_S: Final = 14 * 86_400
LANGUAGE_BOOST: Final = 1.2  # measured: docs/benchmarks.md, "Search: relevance"
RESCORE_WINDOW: Final = 200
# A title holding the query's words in order ("hot pot" in "Hot pot night", not in "a pot of hot
# chocolate"): tantivy adds a phrase match scored as one more title word times this; PostgreSQL's
# ts_rank, which has no phrase scoring of its own, is multiplied by it. Phrases longer than
# ``PHRASE_MAX_WORDS`` are not looked for (a pasted paragraph is no phrase anyone typed).
PHRASE_BOOST: Final = 1.5
PHRASE_MAX_WORDS: Final = 8


def phrase_of(typed: Sequence[str]) -> tuple[str, ...]:
    """The phrase a query's typed terms make, or () when they are one word or too many."""
    return tuple(typed) if 2 <= len(typed) <= PHRASE_MAX_WORDS else ()
# The language's code in an index that only keeps numbers per document (tantivy's fast fields).
LANG_CODES: Final = {"en": 1, "zh": 2, "mixed": 3}


def freshness(created_at: int, now: int) -> float:
    """The freshness factor of a note created at ``created_at`` (epoch seconds), asked at ``now``."""
    return 1.0 + FRESH_WEIGHT * math.pow(0.5, max(now - created_at, 0) / FRESH_HALF_LIFE_S)


def prefers(lang: str, prefer: frozenset[str]) -> bool:
    """Whether a note in ``lang`` is in the reader's languages, when that sets some notes apart."""
    return bool(prefer) and (lang in prefer or lang == "mixed")


def rescore_factor(created_at: int, lang: str, query: NoteQuery) -> float:
    factor = freshness(created_at, query.now) if query.now is not None else 1.0
    return factor * LANGUAGE_BOOST if prefers(lang, query.prefer_langs) else factor


@dataclass(frozen=True)
class NoteDoc:
    """One published note as the index holds it. ``title`` / ``body`` / ``tags``: analysed terms."""

    note_id: int
    author_id: int
    title: str
    body: str
    tags: str
    lang: str
    kind: str
    created_at: int  # seconds since the epoch
    like_count: int = 0
    collect_count: int = 0
    comment_count: int = 0
    lat: float | None = None  # the note's place, when it has one
    lng: float | None = None
    translated: str = ""  # analysed terms of its translations (``translations.queries.note_translations``)


EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Box:
    south: float
    north: float
    west: float
    east: float


@dataclass(frozen=True)
class Near:
    """Within ``km`` of a point. An index filters by the bounding boxes (``boxes``), cheap range
    queries; the exact circle is the caller's (``contains``), over the few notes left."""

    lat: float
    lng: float
    km: float

    def boxes(self) -> list[Box]:
        """The circle's bounding box, split in two where it crosses the antimeridian; near a pole
        every longitude."""
        dlat = math.degrees(self.km / EARTH_RADIUS_KM)
        south, north = max(self.lat - dlat, -90.0), min(self.lat + dlat, 90.0)
        if north >= 90.0 or south <= -90.0:
            return [Box(south, north, -180.0, 180.0)]
        # Degrees of longitude shrink towards the poles: measured at the box's poleward edge, the
        # span is a little wide for the circle, never narrow.
        dlng = math.degrees(self.km / (EARTH_RADIUS_KM * math.cos(math.radians(max(abs(south), abs(north))))))
        if dlng >= 180.0:
            return [Box(south, north, -180.0, 180.0)]
        west, east = self.lng - dlng, self.lng + dlng
        if west < -180.0:
            return [Box(south, north, west + 360.0, 180.0), Box(south, north, -180.0, east)]
        if east > 180.0:
            return [Box(south, north, west, 180.0), Box(south, north, -180.0, east - 360.0)]
        return [Box(south, north, west, east)]

    def contains(self, lat: float, lng: float) -> bool:
        """Great-circle (haversine) distance to the point at most ``km``."""
        p1, p2 = math.radians(self.lat), math.radians(lat)
        dp, dl = p2 - p1, math.radians(lng - self.lng)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a))) <= self.km


@dataclass(frozen=True)
class NoteQuery:
    """A search: ``terms`` (analysed, distinct) OR-ed and ranked, filtered, one slice of the ranking."""

    terms: tuple[str, ...]
    sort: Sort = "relevance"
    kind: Kind | None = None
    lang: Lang | None = None
    exclude_authors: frozenset[int] = field(default_factory=frozenset)
    since: int | None = None  # created at or after (seconds since the epoch): the time filter
    authors: frozenset[int] | None = None  # only these authors (the "following" scope); None: anyone
    exclude_notes: frozenset[int] = field(default_factory=frozenset)  # e.g. the ones already seen
    near: Near | None = None  # only notes with a place in this box
    # Relevance only: the time freshness counts from (epoch seconds; None: no freshness boost),
    # and the reader's languages (``en`` / ``zh``; empty, or both: no language boost).
    now: int | None = None
    prefer_langs: frozenset[str] = field(default_factory=frozenset)
    # The terms typo tolerance may correct: what the reader typed (``search_notes``), never the
    # dictionary's additions, which are not typos and, absent from the index, would each cost a
    # fuzzy scan of the term dictionary for nothing. None: every term (a backend used directly).
    correctable: tuple[str, ...] | None = None
    # The words as typed (analysed, in order, before any expansion): a title holding them as a
    # phrase ranks higher (``PHRASE_BOOST``). Empty: no phrase (a single word is no phrase).
    phrase: tuple[str, ...] = ()
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class Hits:
    note_ids: list[int]  # best first, ``limit`` at most
    total: int  # how many documents match (for "N results")


class SearchBackend(Protocol):
    """Writes are applied in the order made and become visible to ``search`` within the
    backend's commit delay, or at once after ``flush``. Every write is idempotent (indexing a note
    twice leaves one document), so a job delivered twice does no harm."""

    def index(self, docs: Sequence[NoteDoc]) -> None: ...

    def delete(self, note_ids: Sequence[int]) -> None: ...

    def delete_author(self, author_id: int) -> None: ...

    def replace_all(self, batches: Iterable[Sequence[NoteDoc]]) -> int:
        """Make the index hold exactly these documents, atomically for readers; returns how many."""
        ...

    def search(self, query: NoteQuery) -> Hits: ...

    def count(self, author_id: int | None = None) -> int:
        """Documents in the index (all, or one author's)."""
        ...

    def clear(self) -> None: ...

    def flush(self) -> None:
        """Commit pending writes now and make them visible."""
        ...

    def close(self) -> None: ...
