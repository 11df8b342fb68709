"""Both backends, through the protocol: index, update, delete, filters, sorts, paging; then the
embedded one's batching and recovery.

The PostgreSQL backend runs in the PostgreSQL pass (``REDBRIDGE_TEST_BACKEND=postgres``) only, on
a fresh database cloned from the migrated template; in the SQLite pass its parameter is not
collected at all (there is no server to run it against).
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from redbridge.search.analysis import analyse, query_terms
from redbridge.search.backend import (
    Near,
    NoteDoc,
    NoteQuery,
    SearchBackend,
    edit_distance,
    engagement_boost,
    phrase_of,
    typo_candidates,
)
from redbridge.search.embedded import TantivyBackend
from redbridge.search.postgres import PostgresBackend
from tests.conftest import BACKEND

BACKENDS = ["embedded", "postgres"] if BACKEND == "postgres" else ["embedded"]
_databases = itertools.count()


def doc(note_id: int, title: str = "", body: str = "", tags: str = "", *, author: int = 1, lang: str = "en",
        kind: str = "image", likes: int = 0, collects: int = 0, comments: int = 0,
        place: tuple[float, float] | None = None, created_at: int | None = None) -> NoteDoc:
    lat, lng = place if place is not None else (None, None)
    return NoteDoc(note_id=note_id, author_id=author, title=analyse(title), body=analyse(body), tags=analyse(tags),
                   lang=lang, kind=kind, created_at=created_at if created_at is not None else 1_700_000_000 + note_id,
                   like_count=likes,
                   collect_count=collects, comment_count=comments, lat=lat, lng=lng)


def q(text: str, **kw: object) -> NoteQuery:
    return NoteQuery(terms=tuple(query_terms(text)), **kw)  # type: ignore[arg-type]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path,
            pg_template: tuple[object, str] | None) -> Iterator[SearchBackend]:
    if request.param == "embedded":
        index: SearchBackend = TantivyBackend(tmp_path, commit_delay_s=60)  # commits only when the test flushes
        yield index
        index.close()
        return
    assert pg_template is not None
    server, template = pg_template
    name = f"sb{os.getpid()}_{next(_databases)}"
    url = server.create_database(name, template=template)  # type: ignore[attr-defined]
    index = PostgresBackend.connect(url, pool_size=2)
    yield index
    index.close()
    server.drop_database(name)  # type: ignore[attr-defined]


def test_index_search_update_delete(backend: SearchBackend) -> None:
    backend.index([doc(1, "苏州小笼包", "汤汁很多"), doc(2, "Boston lobster rolls"), doc(3, "上海生煎")])
    backend.flush()
    assert backend.search(q("小笼包")).note_ids == [1]
    assert backend.search(q("蘇州")).note_ids == [1]
    assert backend.search(q("lobster roll")).note_ids == [2]
    backend.index([doc(1, "杭州小馄饨")])  # an edit: one document, the new text
    backend.delete([2])
    backend.flush()
    assert backend.search(q("小笼包")).note_ids == []
    assert backend.search(q("小馄饨")).note_ids == [1]
    assert backend.search(q("lobster")).note_ids == []
    assert backend.count() == 2


def test_title_above_body_above_tags(backend: SearchBackend) -> None:
    backend.index([doc(1, tags="hotpot"), doc(2, body="hotpot night with friends"), doc(3, title="hotpot night")])
    backend.flush()
    assert backend.search(q("hotpot")).note_ids == [3, 2, 1]


def test_more_matching_terms_rank_first(backend: SearchBackend) -> None:
    backend.index([doc(1, "soup"), doc(2, "soup dumplings suzhou"), doc(3, "dumplings")])
    backend.flush()
    assert backend.search(q("soup dumplings in Suzhou")).note_ids[0] == 2


def test_english_typos_find_the_word_meant(backend: SearchBackend) -> None:
    backend.index([doc(1, "Best restaurant in Boston"), doc(2, "Lobster rolls", "by the harbour"),
                   doc(3, "Soup dumplings", "in Suzhou"), doc(4, "My sunscreen routine"), doc(5, "Cake"),
                   doc(6, "Care for curls")])
    backend.flush()
    assert backend.search(q("restuarant")).note_ids == [1]  # a swap of neighbours: one edit
    assert backend.search(q("lobstr")).note_ids == [2]  # a letter left out
    assert backend.search(q("dumplngs")).note_ids == [3]  # two edits from the stem, a long word
    assert backend.search(q("sunscren routine")).note_ids == [4]
    assert backend.search(q("saup")).note_ids == [3]  # a short word: one letter wrong
    # A word some note has is taken as typed: "care" does not also find the cake.
    assert backend.search(q("care")).note_ids == [6]
    # Too far off, too short, or not a Latin word: nothing is corrected.
    assert backend.search(q("lbstrx")).note_ids == []  # three edits from "lobster"
    assert backend.search(q("cak")).note_ids == []
    # A misspelt word among right ones: the right ones still rank, the corrected one adds.
    found = backend.search(q("boston lobstr")).note_ids
    assert set(found) == {1, 2}


NOW = 1_800_000_000
DAY = 86_400


def test_freshness_lifts_a_new_note_but_does_not_sort_by_date(backend: SearchBackend) -> None:
    backend.index([doc(1, "Matcha latte", created_at=NOW - 400 * DAY), doc(2, "Matcha latte", created_at=NOW - DAY),
                   doc(3, "Matcha latte in Kyoto", "matcha everywhere", created_at=NOW - 400 * DAY),
                   doc(4, body="a matcha", created_at=NOW)])
    backend.flush()
    # Equal matches: the fresher first, whatever the ids say (2 is older than 4 by id, newer than 1).
    found = backend.search(q("matcha latte", now=NOW)).note_ids
    assert found.index(2) < found.index(1)
    # A boost, not a sort: the brand-new note matching one word in its body stays below the old
    # notes matching both words in their titles.
    assert found[-1] == 4
    # Without a time there is no freshness: equal matches fall back to the newest id.
    plain = backend.search(q("matcha latte")).note_ids
    assert plain.index(2) < plain.index(1)
    backend.index([doc(5, "Matcha latte", created_at=NOW - 400 * DAY)])  # as old as 1, a newer id
    backend.flush()
    again = backend.search(q("matcha latte", now=NOW)).note_ids
    assert again.index(2) < again.index(5) < again.index(1)


def test_the_readers_language_breaks_the_tie(backend: SearchBackend) -> None:
    backend.index([doc(1, "火锅", lang="zh"), doc(2, "hotpot", lang="en"), doc(3, "hotpot 火锅", lang="mixed")])
    backend.flush()
    both = ("hotpot", "火锅")
    english = backend.search(NoteQuery(terms=both, prefer_langs=frozenset({"en"}))).note_ids
    chinese = backend.search(NoteQuery(terms=both, prefer_langs=frozenset({"zh"}))).note_ids
    assert english[0] == chinese[0] == 3  # both words, and in either language
    assert english[1:] == [2, 1]
    assert chinese[1:] == [1, 2]


def test_the_typed_words_as_a_phrase_in_the_title_rank_first(backend: SearchBackend) -> None:
    backend.index([doc(1, "A pot of hot chocolate"), doc(2, "Hot dogs and a pot roast"), doc(3, "Hot pot night"),
                   doc(4, "Pot hot"), doc(5, "Night market", "hot pot everywhere")])
    backend.flush()

    def phrased(text: str) -> NoteQuery:
        typed = q(text)
        return replace(typed, phrase=phrase_of(typed.terms))

    found = backend.search(phrased("hot pot")).note_ids
    assert found[0] == 3  # the phrase, in the title
    assert set(found) == {1, 2, 3, 4, 5}  # a boost: the other notes with both words still match
    assert found.index(3) < found.index(4)  # the same words the other way round are no phrase
    # Chinese: the query's segments in the title's order.
    backend.index([doc(6, "小笼包和苏州"), doc(7, "苏州小笼包攻略")])
    backend.flush()
    assert backend.search(phrased("苏州小笼包")).note_ids[0] == 7
    assert phrase_of(("one",)) == ()
    assert phrase_of(tuple("abcdefghi")) == ()  # nine words: nobody typed that as a phrase


def test_pages_past_the_rescored_window_continue_without_repeats(backend: SearchBackend) -> None:
    backend.index([doc(n, "green tea", created_at=NOW - n * DAY) for n in range(1, 231)])
    backend.flush()
    seen: list[int] = []
    for offset in range(0, 240, 30):
        seen += backend.search(q("green tea", now=NOW, offset=offset, limit=30)).note_ids
    assert len(seen) == len(set(seen)) == 230
    assert seen[:5] == [1, 2, 3, 4, 5]  # the freshest first


def test_typo_candidates_and_edit_distance() -> None:
    assert typo_candidates(["restuar", "火锅", "abc", "dumplng", "x1y2", "cake", "cake"]) == [
        ("restuar", 2), ("dumplng", 2), ("cake", 1)]
    assert edit_distance("restuar", "restaur", 2) == 1  # neighbours swapped: one edit
    assert edit_distance("dumplng", "dumpl", 2) == 2
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("kitten", "sitting", 1) == 2  # capped at limit + 1
    assert edit_distance("same", "same", 0) == 0


def test_engagement_is_a_modest_boost() -> None:
    assert engagement_boost(0, 0, 0) == 0.0
    assert engagement_boost(10**9, 10**9, 10**9) == pytest.approx(2**1.5 - 2)
    assert engagement_boost(0, 10, 0) > engagement_boost(10, 0, 0)  # collects weigh above likes


def test_filters_sorts_and_paging(backend: SearchBackend) -> None:
    backend.index([
        doc(1, "noodles", lang="en", kind="image", likes=5, collects=1, comments=9),
        doc(2, "noodles 面条", lang="mixed", kind="video", likes=1, collects=7, comments=0),
        doc(3, "面条 noodles", lang="zh", kind="image", likes=9, collects=0, comments=2, author=2),
    ])
    backend.flush()
    assert set(backend.search(q("noodles", kind="video")).note_ids) == {2}
    assert set(backend.search(q("noodles", lang="zh")).note_ids) == {2, 3}
    assert set(backend.search(q("noodles", lang="en")).note_ids) == {1, 2}
    assert backend.search(q("noodles", sort="newest")).note_ids == [3, 2, 1]
    assert backend.search(q("noodles", sort="likes")).note_ids == [3, 1, 2]
    assert backend.search(q("noodles", sort="collects")).note_ids == [2, 1, 3]
    assert backend.search(q("noodles", sort="comments")).note_ids == [1, 3, 2]
    assert set(backend.search(q("noodles", exclude_authors=frozenset({2}))).note_ids) == {1, 2}
    first = backend.search(q("noodles", sort="newest", limit=2))
    second = backend.search(q("noodles", sort="newest", limit=2, offset=2))
    assert (first.note_ids, second.note_ids, first.total) == ([3, 2], [1], 3)


def test_delete_author_and_clear(backend: SearchBackend) -> None:
    backend.index([doc(1, "tea", author=1), doc(2, "tea", author=2), doc(3, "tea", author=2)])
    backend.flush()
    assert backend.count(author_id=2) == 2
    backend.delete_author(2)
    backend.flush()
    assert backend.search(q("tea")).note_ids == [1]
    backend.clear()
    assert backend.count() == 0


def test_no_terms_no_hits(backend: SearchBackend) -> None:
    backend.index([doc(1, "tea")])
    backend.flush()
    assert backend.search(NoteQuery(terms=())).note_ids == []


def test_replace_all_is_one_commit(backend: SearchBackend) -> None:
    backend.index([doc(9, "old")])
    backend.flush()
    assert backend.replace_all([[doc(1, "tea")], [doc(2, "coffee")]]) == 2
    assert backend.count() == 2
    assert backend.search(q("old")).note_ids == []


def test_embedded_writes_commit_by_themselves_after_the_delay(tmp_path: Path) -> None:
    waiting = TantivyBackend(tmp_path / "waiting", commit_delay_s=60)
    waiting.index([doc(1, "tea")])
    assert waiting.search(q("tea")).note_ids == []  # pending until the delay or a flush
    waiting.flush()
    assert waiting.search(q("tea")).note_ids == [1]
    waiting.close()
    index = TantivyBackend(tmp_path, commit_delay_s=0.05)
    index.index([doc(1, "tea")])
    deadline = time.monotonic() + 5
    while not index.search(q("tea")).note_ids and time.monotonic() < deadline:
        time.sleep(0.02)
    assert index.search(q("tea")).note_ids == [1]
    index.close()


def test_embedded_fresh_when_missing_unclean_or_corrupt(tmp_path: Path) -> None:
    first = TantivyBackend(tmp_path)
    assert first.fresh  # created
    first.index([doc(1, "tea")])
    first.close()
    again = TantivyBackend(tmp_path)
    assert not again.fresh
    assert again.count() == 1
    again.index([doc(2, "coffee")])
    again.flush()
    # ... and "killed" here: never closed, so the marker is missing.
    crashed = TantivyBackend(tmp_path)
    assert crashed.fresh
    crashed.close()
    # Corrupted on a copy: the files of the index still open here are memory-mapped.
    broken = tmp_path / "copy"
    shutil.copytree(crashed.path, broken / crashed.path.name)
    (broken / crashed.path.name / "meta.json").write_text("{not json")
    corrupt = TantivyBackend(broken)
    assert corrupt.fresh
    assert corrupt.count() == 0
    corrupt.close()


def test_time_author_and_seen_filters(backend: SearchBackend) -> None:
    backend.index([doc(1, "dumplings", author=1), doc(2, "dumplings", author=2), doc(3, "dumplings", author=3)])
    backend.flush()
    assert set(backend.search(q("dumplings", since=1_700_000_002)).note_ids) == {2, 3}
    assert backend.search(q("dumplings", since=1_700_000_003)).note_ids == [3]  # at or after
    assert set(backend.search(q("dumplings", authors=frozenset({1, 3}))).note_ids) == {1, 3}
    nobody = backend.search(q("dumplings", authors=frozenset()))  # following no one: nothing
    assert (nobody.note_ids, nobody.total) == ([], 0)
    assert set(backend.search(q("dumplings", exclude_notes=frozenset({1, 2}))).note_ids) == {3}
    both = backend.search(q("dumplings", authors=frozenset({1, 2}), exclude_notes=frozenset({2}), since=1_700_000_001))
    assert (both.note_ids, both.total) == ([1], 1)


SHANGHAI, SUZHOU, BOSTON = (31.2304, 121.4737), (31.2989, 120.5853), (42.3601, -71.0589)


def test_near_filter(backend: SearchBackend) -> None:
    backend.index([doc(1, "soup dumplings", place=SHANGHAI), doc(2, "soup dumplings", place=SUZHOU),
                   doc(3, "soup dumplings", place=BOSTON), doc(4, "soup dumplings"),
                   doc(5, "soup dumplings", place=(-17.8, -179.95)), doc(6, "soup dumplings", place=(89.9, 10.0))])
    backend.flush()
    assert backend.search(q("dumplings", near=Near(*SHANGHAI, km=20))).note_ids == [1]
    assert set(backend.search(q("dumplings", near=Near(*SHANGHAI, km=100))).note_ids) == {1, 2}  # ~85 km
    assert backend.search(q("dumplings", near=Near(*BOSTON, km=5))).note_ids == [3]
    # A note with no place is in no box, however large.
    assert 4 not in backend.search(q("dumplings", near=Near(0.0, 0.0, km=30_000))).note_ids
    # Across the antimeridian, and over the pole.
    assert backend.search(q("dumplings", near=Near(-17.8, 179.95, km=20))).note_ids == [5]
    assert backend.search(q("dumplings", near=Near(89.9, -170.0, km=50))).note_ids == [6]


def test_bounding_boxes() -> None:
    (box,) = Near(0.0, 0.0, km=111.195).boxes()  # one degree of latitude on the mean-radius earth
    assert (box.south, box.north) == pytest.approx((-1.0, 1.0), rel=1e-3)
    assert (box.west, box.east) == pytest.approx((-1.0, 1.0), rel=1e-3)  # measured at the edge: a little wider
    east, west = Near(10.0, 179.9, km=50).boxes()
    assert (east.east, west.west) == (180.0, -180.0)
    assert west.east < -179.0
    assert [(b.west, b.east) for b in Near(89.9, 0.0, km=50).boxes()] == [(-180.0, 180.0)]


# Query syntax of either engine (and of SQL) as terms: each must stay one term, found as itself,
# never an operator, a prefix, a field or a weight. (Analysed terms hold no spaces.)
SYNTAX = ["and", "or", "not", "(", ")", '"', "*", ":", "!", "&", "|", "<->", "a|b", "!x", "x:*", "x:a", "title:x",
          "*:*", "it's", "don't", "a\\b", "''", "');drop--", "\\'", "5.5", "苏州", "e:f", "x-y"]


def test_syntax_is_searched_as_terms(backend: SearchBackend) -> None:
    # Document 1 holds the odd terms; document 2 the pieces a parser would cut them into.
    backend.index([NoteDoc(note_id=1, author_id=1, title=" ".join(SYNTAX), body="", tags="", lang="en",
                           kind="image", created_at=1),
                   NoteDoc(note_id=2, author_id=1, title="a b x don t it s e f y 5 drop table title", body="",
                           tags="", lang="en", kind="image", created_at=2)])
    backend.flush()
    for term in SYNTAX:
        assert backend.search(NoteQuery(terms=(term,))).note_ids == [1], term
    assert backend.search(NoteQuery(terms=("nothing-here", "&", "|"))).note_ids == [1]
    assert backend.search(NoteQuery(terms=("x",))).note_ids == [2]  # no prefix match from "x:*"
    assert backend.count() == 2
