"""The bilingual relevance set is the one issue 10 asks for, and its metrics compute what they say."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import pytest

from redbridge.notes.schemas import BODY_MAX, TITLE_MAX, NoteCreate
from tests.search.relevance import (
    CROSS_LINGUAL,
    GRADES,
    KINDS,
    SET_PATH,
    Kind,
    Lang,
    Query,
    RelevanceSet,
    dcg,
    load,
    mean_by_kind,
    ndcg_at_k,
    recall_at_k,
)

MIN_NOTES = 200
MIN_QUERIES = 60
MIN_PER_GROUP = 18  # English -> Chinese, Chinese -> English, same language: a third each of 60, less slack
HAN = re.compile(r"[\u4e00-\u9fff]")
NOTE_ID = re.compile(r"n\d{3}")
QUERY_ID = re.compile(r"q\d{2}")


@pytest.fixture(scope="module")
def rs() -> RelevanceSet:
    return load()


# --- the set's shape ---------------------------------------------------------------------------


def test_counts(rs: RelevanceSet) -> None:
    assert len(rs.notes) >= MIN_NOTES
    assert len(rs.queries) >= MIN_QUERIES
    kinds = Counter(q.kind for q in rs.queries)
    assert set(kinds) == set(KINDS)
    assert kinds["en_to_zh"] >= MIN_PER_GROUP
    assert kinds["zh_to_en"] >= MIN_PER_GROUP
    assert kinds["same_en"] + kinds["same_zh"] >= MIN_PER_GROUP
    assert min(kinds["same_en"], kinds["same_zh"]) >= MIN_PER_GROUP // 2  # both languages, not one
    # Roughly a third each: no group is more than twice another.
    groups = [kinds["en_to_zh"], kinds["zh_to_en"], kinds["same_en"] + kinds["same_zh"]]
    assert max(groups) <= 2 * min(groups)


def test_notes_are_about_half_english_and_half_chinese(rs: RelevanceSet) -> None:
    langs = Counter(n.lang for n in rs.notes)
    assert abs(langs["en"] - langs["zh"]) <= 0.15 * len(rs.notes)
    assert langs["mixed"] >= 3


def test_ids_are_unique_and_well_formed(rs: RelevanceSet) -> None:
    note_ids = [n.id for n in rs.notes]
    query_ids = [q.id for q in rs.queries]
    assert [i for i, c in Counter(note_ids).items() if c > 1] == []
    assert [i for i, c in Counter(query_ids).items() if c > 1] == []
    assert all(NOTE_ID.fullmatch(i) for i in note_ids)
    assert all(QUERY_ID.fullmatch(i) for i in query_ids)
    assert len({q.text for q in rs.queries}) == len(rs.queries), "a query asked twice"


def test_every_judged_note_exists(rs: RelevanceSet) -> None:
    note_ids = {n.id for n in rs.notes}
    missing = {q.id: sorted(set(q.relevant) - note_ids) for q in rs.queries if set(q.relevant) - note_ids}
    assert missing == {}


def test_grades(rs: RelevanceSet) -> None:
    bad = {q.id: g for q in rs.queries for g in q.relevant.values() if g not in GRADES}
    assert bad == {}


def test_every_query_has_two_relevant_notes_one_exact(rs: RelevanceSet) -> None:
    thin = [q.id for q in rs.queries if len(q.relevant) < 2 or 2 not in q.relevant.values()]
    assert thin == []


def _majority_lang(query: Query, rs: RelevanceSet, lang: Lang) -> bool:
    """More than half of the query's relevant notes are written in ``lang`` (mixed notes count against)."""
    langs = Counter(rs.note(i).lang for i in query.relevant)
    return 2 * langs[lang] > sum(langs.values())


@pytest.mark.parametrize(("kind", "target"), [("en_to_zh", "zh"), ("zh_to_en", "en")])
def test_cross_lingual_queries_point_across(rs: RelevanceSet, kind: Kind, target: Lang) -> None:
    assert kind in CROSS_LINGUAL
    queries = [q for q in rs.queries if q.kind == kind]
    assert [q.id for q in queries if not _majority_lang(q, rs, target)] == []


def test_query_text_matches_its_kind(rs: RelevanceSet) -> None:
    # A query containing Chinese is a Chinese query; pinyin and English are English queries.
    wrong = [q.id for q in rs.queries if bool(HAN.search(q.text)) != (q.kind in ("zh_to_en", "same_zh"))]
    assert wrong == []


def test_notes_fit_the_product(rs: RelevanceSet) -> None:
    for note in rs.notes:
        assert len(note.title) <= TITLE_MAX, note.id
        assert len(note.body) <= BODY_MAX, note.id
        assert note.tags, note.id
        NoteCreate.model_validate(note.api_body())  # what the notes API would accept
        if note.lang == "zh":
            assert HAN.search(note.title + note.body), note.id
        if note.lang == "en":
            assert not HAN.search(note.title + note.body), note.id
        if note.lang == "mixed":
            assert HAN.search(note.title + note.body), note.id
            assert re.search(r"[A-Za-z]{3}", note.title + note.body), note.id


def test_the_set_has_what_a_real_search_box_gets(rs: RelevanceSet) -> None:
    texts = [q.text for q in rs.queries]
    note_text = " ".join(n.title + n.body for n in rs.notes)
    assert any(t in ("火鍋", "龍蝦卷 便宜") for t in texts)  # traditional characters
    assert "huoguo" in texts  # pinyin
    assert any("dumplngs" in t or "sunscren" in t for t in texts)  # typos
    assert any(HAN.search(t) and re.search(r"[A-Za-z]{3}", t) for t in texts)  # mixed script
    assert "蘇州" in note_text
    assert "火鍋" in note_text


def test_the_yaml_says_its_license_and_rules() -> None:
    head = Path(SET_PATH).read_text(encoding="utf-8")[:4000]
    assert "CC0" in head
    assert "Judging rule" in head
    assert "Never tune" in head


# --- the metrics, on examples computed by hand -------------------------------------------------

JUDGED = {"a": 2, "b": 1, "c": 1}


def test_dcg_by_hand() -> None:
    # 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5
    assert dcg([2, 1, 1]) == pytest.approx(3.13093, abs=1e-5)
    assert dcg([]) == 0.0


def test_perfect_ranking_scores_one() -> None:
    assert ndcg_at_k(["a", "b", "c"], JUDGED) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "c", "b", "x", "y"], JUDGED) == pytest.approx(1.0)  # ties in either order
    assert recall_at_k(["a", "b", "c"], JUDGED) == 1.0


def test_imperfect_ranking_by_hand() -> None:
    # Ranking b, x, a, c (x unjudged):
    #   DCG  = 1/log2(2) + 0/log2(3) + 2/log2(4) + 1/log2(5) = 1 + 0 + 1 + 0.430677 = 2.430677
    #   IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4)             = 2 + 0.630930 + 0.5   = 3.130930
    #   nDCG@10 = 2.430677 / 3.130930 = 0.776343
    assert ndcg_at_k(["b", "x", "a", "c"], JUDGED) == pytest.approx(0.776343, abs=1e-6)
    # Cut at 2: DCG = 1; IDCG = 2 + 0.630930; nDCG@2 = 1 / 2.630930 = 0.380094
    assert ndcg_at_k(["b", "x", "a", "c"], JUDGED, k=2) == pytest.approx(0.380094, abs=1e-6)
    assert ndcg_at_k(["x", "y"], JUDGED) == 0.0


def test_recall_by_hand() -> None:
    assert recall_at_k(["b", "x", "a", "c"], JUDGED) == 1.0
    assert recall_at_k(["b", "x", "a", "c"], JUDGED, k=2) == pytest.approx(1 / 3)
    assert recall_at_k(["x", "y", "z"], JUDGED) == 0.0
    # Not capped at k: 12 relevant notes, all of the first 10 relevant -> 10/12.
    many = {f"n{i}": 1 for i in range(12)}
    assert recall_at_k([f"n{i}" for i in range(12)], many, k=10) == pytest.approx(10 / 12)


def test_a_repeated_hit_counts_once() -> None:
    assert recall_at_k(["a", "a", "a"], JUDGED, k=3) == pytest.approx(1 / 3)
    # a, a, b counts as a, b: DCG = 2 + 1/log2(3); IDCG@3 = 3.130930.
    expected = (2 + 1 / math.log2(3)) / (2 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(["a", "a", "b"], JUDGED, k=3) == pytest.approx(expected)


def test_metrics_refuse_what_they_cannot_score() -> None:
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], {})
    with pytest.raises(ValueError):
        recall_at_k(["a"], {"a": 0})
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], JUDGED, k=0)


def test_mean_by_kind() -> None:
    queries = [
        Query(id="q1", text="soup dumplings", kind="en_to_zh", relevant={"a": 2, "b": 1}),
        Query(id="q2", text="龙虾卷", kind="zh_to_en", relevant={"c": 2, "d": 1}),
        Query(id="q3", text="火锅", kind="same_zh", relevant={"e": 2, "f": 1}),
    ]
    rankings = {"q1": ["a", "b"], "q2": ["c"]}  # q3 missing: a failed search scores 0
    means = mean_by_kind(queries, rankings, recall_at_k)
    assert means == {
        "en_to_zh": 1.0, "zh_to_en": 0.5, "same_zh": 0.0, "cross_lingual": 0.75, "all": 0.5,
    }  # fmt: skip


def test_the_real_set_scores_one_for_its_own_ideal_ranking(rs: RelevanceSet) -> None:
    for query in rs.queries:
        ideal = sorted(query.relevant, key=lambda i: -query.relevant[i])
        assert ndcg_at_k(ideal, query.relevant) == pytest.approx(1.0), query.id
        assert recall_at_k(ideal, query.relevant, k=len(ideal)) == 1.0, query.id


@pytest.mark.parametrize(
    "broken",
    [
        "notes: [{id: n001, lang: fr, title: t, body: b, tags: [x]}]\nqueries: []\n",
        "notes: [{id: n001, lang: en, title: t, body: b, tags: [x], colour: red}]\nqueries: []\n",
        "notes: []\nqueries: [{id: q01, kind: en_to_fr, text: t, relevant: {n001: 2}}]\n",
        "notes: []\nqueries: [{id: q01, kind: same_en, text: t, relevant: {n001: two}}]\n",
        "notes: []\n",
    ],
)
def test_load_refuses_a_malformed_set(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ValueError):
        load(path)
