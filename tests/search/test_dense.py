"""Dense retrieval with the shipped multilingual embeddings: cross-lingual hits both ways, upsert
and remove, exclusion, durability (save/open, another model's file, a corrupt file), and the
rank fusion that joins it to keyword search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from redbridge.search.dense import PASSAGE_MAX_CHARS, NoteEmbedder, VectorIndex, note_embedder, passage_text
from redbridge.search.fusion import reciprocal_rank_fusion
from redbridge.text.embed import default_embedder

NOTES = {
    1: ("苏州小笼包攻略", "在苏州吃到了最好吃的小笼包，汤汁很多，皮很薄。", ["苏州", "美食"]),
    2: ("Best lobster roll in Boston", "Buttery bun, huge chunks of lobster, right by the harbor.", ["boston", "seafood"]),
    3: ("成都火锅推荐", "麻辣锅底太香了，毛肚和鸭肠必点。", ["火锅", "成都"]),
    4: ("My sunscreen routine", "SPF 50 every morning, reapplied at noon, even when it is cloudy.", ["skincare"]),
    5: ("周末爬山", "天气很好，和朋友一起去爬山，风景很美。", ["徒步"]),
}


def embedder() -> NoteEmbedder:
    return note_embedder(default_embedder())


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> VectorIndex:
    made = VectorIndex(tmp_path_factory.mktemp("vec") / "notes.usearch", embedder().name, embedder().dim)
    ids = list(NOTES)
    made.upsert(ids, embedder().notes([NOTES[i] for i in ids]))
    return made


def top(index: VectorIndex, query: str, k: int = 1, exclude: frozenset[int] = frozenset()) -> list[int]:
    return [hit.note_id for hit in index.search(embedder().query(query), k, exclude)]


@pytest.mark.parametrize(("query", "expected"), [
    ("soup dumplings in Suzhou", 1),   # English → a Chinese note
    ("波士顿 龙虾卷", 2),                # Chinese → an English note
    ("防晒霜", 4),
    ("hiking on the weekend", 5),
    ("成都火锅", 3),
    ("lobster roll", 2),
    ("sunscreen", 4),
    ("苏州 汤包", 1),
])
def test_queries_find_notes_across_the_language_line(index: VectorIndex, query: str, expected: int) -> None:
    assert top(index, query) == [expected]


def test_centering_is_what_brings_chinese_queries_to_english_notes() -> None:
    """The raw model ranks the unrelated Chinese note first for these Chinese queries (language
    before meaning); centred vectors rank the English note they ask about first."""
    raw = default_embedder()
    ids = list(NOTES)
    raw_passages = raw.passages([passage_text(*NOTES[i]) for i in ids])
    centred = embedder().notes([NOTES[i] for i in ids])
    for query, expected in (("波士顿 龙虾卷", 2), ("防晒霜", 4)):
        raw_first = ids[int(np.argmax(raw_passages @ raw.query(query)))]
        centred_first = ids[int(np.argmax(centred @ embedder().query(query)))]
        assert raw_first != expected
        assert centred_first == expected
    assert embedder().name.startswith(raw.name + "+centered@")


def test_scores_are_cosines_best_first_and_exclusion_fills_k(index: VectorIndex) -> None:
    hits = index.search(default_embedder().query("soup dumplings in Suzhou"), 3)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1.0 <= h.score <= 1.0 for h in hits)
    excluded = top(index, "soup dumplings in Suzhou", 3, exclude=frozenset({1}))
    assert len(excluded) == 3
    assert 1 not in excluded


def test_upsert_replaces_and_remove_forgets(tmp_path: Path) -> None:
    notes = embedder()
    vectors = VectorIndex(tmp_path / "v.usearch", notes.name, notes.dim)
    vectors.upsert([7], notes.notes([NOTES[3]]))
    vectors.upsert([7], notes.notes([NOTES[2]]))  # an edit: now about lobster rolls
    assert len(vectors) == 1
    assert top(vectors, "lobster roll") == [7]
    assert vectors.remove([7, 8]) == 1
    assert 7 not in vectors
    assert vectors.search(notes.query("lobster roll"), 5) == []
    with pytest.raises(ValueError, match="one vector per note"):
        vectors.upsert([1, 2], notes.notes([NOTES[1]]))


def test_saved_and_opened_again_and_never_another_models(tmp_path: Path, index: VectorIndex) -> None:
    path = tmp_path / "notes.usearch"
    notes = embedder()
    assert VectorIndex.open(path, notes.name, notes.dim).rebuilt  # nothing saved yet
    copy = VectorIndex(path, notes.name, notes.dim)
    copy.upsert(list(NOTES), notes.notes(list(NOTES.values())))
    copy.save()
    assert not path.with_name(path.name + ".tmp").exists()
    opened = VectorIndex.open(path, notes.name, notes.dim)
    assert not opened.rebuilt
    assert len(opened) == len(NOTES)
    assert top(opened, "soup dumplings in Suzhou") == [1]
    # Another model's vectors do not compare: the file is not used.
    other = VectorIndex.open(path, "some-other-model@1", notes.dim)
    assert other.rebuilt
    assert len(other) == 0
    # A file cut short (a disk fault, a copy gone wrong) is not used either.
    path.write_bytes(path.read_bytes()[:100])
    broken = VectorIndex.open(path, notes.name, notes.dim)
    assert broken.rebuilt
    assert len(broken) == 0


def test_passage_text_puts_title_and_tags_first_and_is_bounded() -> None:
    assert passage_text("Title", "Body text", ["a", "b"]) == "Title\n#a #b\nBody text"
    assert passage_text("T", "") == "T"
    assert len(passage_text("T", "字" * 5000)) == PASSAGE_MAX_CHARS
    assert embedder().notes([]).shape == (0, embedder().dim)
    batched = embedder().notes(list(NOTES.values()), batch=2)
    assert batched.shape == (len(NOTES), embedder().dim)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-3)
    assert np.allclose(batched, embedder().notes(list(NOTES.values())), atol=1e-5)  # batching changes nothing


def test_reciprocal_rank_fusion() -> None:
    # Hand-computed with k = 60: a = 1/61 + 1/62, b = 1/62 + 1/61, c = 1/63, d = 1/63.
    assert reciprocal_rank_fusion([[1, 2, 3], [2, 1, 4]]) == [1, 2, 3, 4]
    assert reciprocal_rank_fusion([[1, 2], [3, 2]]) == [2, 1, 3]  # in both lists beats the top of one
    assert reciprocal_rank_fusion([[1, 2], [2]], weights=[1.0, 0.0]) == [1, 2]
    assert reciprocal_rank_fusion([[5, 5, 6]]) == [5, 6]  # a repeat counts once
    assert reciprocal_rank_fusion([]) == []
    with pytest.raises(ValueError, match="one weight"):
        reciprocal_rank_fusion([[1]], weights=[1.0, 2.0])
