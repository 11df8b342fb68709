"""The embedded backend on its own: index, update, delete, filters, sorts, paging, and recovery."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from redbridge.search.analysis import analyse, query_terms
from redbridge.search.backend import NoteDoc, NoteQuery
from redbridge.search.embedded import TantivyBackend, engagement_boost


def doc(note_id: int, title: str = "", body: str = "", tags: str = "", *, author: int = 1, lang: str = "en",
        kind: str = "image", likes: int = 0, collects: int = 0, comments: int = 0) -> NoteDoc:
    return NoteDoc(note_id=note_id, author_id=author, title=analyse(title), body=analyse(body), tags=analyse(tags),
                   lang=lang, kind=kind, created_at=1_700_000_000 + note_id, like_count=likes,
                   collect_count=collects, comment_count=comments)


def q(text: str, **kw: object) -> NoteQuery:
    return NoteQuery(terms=tuple(query_terms(text)), **kw)  # type: ignore[arg-type]


@pytest.fixture
def backend(tmp_path: Path) -> TantivyBackend:
    index = TantivyBackend(tmp_path, commit_delay_s=60)  # commits only when the test flushes
    yield index  # type: ignore[misc]
    index.close()


def test_index_search_update_delete(backend: TantivyBackend) -> None:
    backend.index([doc(1, "苏州小笼包", "汤汁很多"), doc(2, "Boston lobster rolls"), doc(3, "上海生煎")])
    assert backend.search(q("小笼包")).note_ids == []  # not committed yet
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


def test_title_above_body_above_tags(backend: TantivyBackend) -> None:
    backend.index([doc(1, tags="hotpot"), doc(2, body="hotpot night with friends"), doc(3, title="hotpot night")])
    backend.flush()
    assert backend.search(q("hotpot")).note_ids == [3, 2, 1]


def test_more_matching_terms_rank_first(backend: TantivyBackend) -> None:
    backend.index([doc(1, "soup"), doc(2, "soup dumplings suzhou"), doc(3, "dumplings")])
    backend.flush()
    assert backend.search(q("soup dumplings in Suzhou")).note_ids[0] == 2


def test_engagement_is_a_modest_boost() -> None:
    assert engagement_boost(0, 0, 0) == 0.0
    assert engagement_boost(10**9, 10**9, 10**9) == pytest.approx(2**1.5 - 2)
    assert engagement_boost(0, 10, 0) > engagement_boost(10, 0, 0)  # collects weigh above likes


def test_filters_sorts_and_paging(backend: TantivyBackend) -> None:
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


def test_delete_author_and_clear(backend: TantivyBackend) -> None:
    backend.index([doc(1, "tea", author=1), doc(2, "tea", author=2), doc(3, "tea", author=2)])
    backend.flush()
    assert backend.count(author_id=2) == 2
    backend.delete_author(2)
    backend.flush()
    assert backend.search(q("tea")).note_ids == [1]
    backend.clear()
    assert backend.count() == 0


def test_no_terms_no_hits(backend: TantivyBackend) -> None:
    backend.index([doc(1, "tea")])
    backend.flush()
    assert backend.search(NoteQuery(terms=())).note_ids == []


def test_replace_all_is_one_commit(backend: TantivyBackend) -> None:
    backend.index([doc(9, "old")])
    backend.flush()
    assert backend.replace_all([[doc(1, "tea")], [doc(2, "coffee")]]) == 2
    assert backend.count() == 2
    assert backend.search(q("old")).note_ids == []


def test_writes_commit_by_themselves_after_the_delay(tmp_path: Path) -> None:
    index = TantivyBackend(tmp_path, commit_delay_s=0.05)
    index.index([doc(1, "tea")])
    deadline = time.monotonic() + 5
    while not index.search(q("tea")).note_ids and time.monotonic() < deadline:
        time.sleep(0.02)
    assert index.search(q("tea")).note_ids == [1]
    index.close()


def test_fresh_when_missing_unclean_or_corrupt(tmp_path: Path) -> None:
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
