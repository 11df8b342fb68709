"""The direct evaluation of alt-profanity-check's model agrees with its own predict_prob."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from redbridge.moderation.classifier import toxicity_model

SAMPLES = ["you are an idiot", "this ramen slaps", "holy shit the view", "", "the", "I hate mondays",
           "fuck fuck you you", "a lovely bowl of noodles", "你好 hello", "kill it"]


def test_scores_match_predict_prob() -> None:
    from profanity_check import predict_prob

    model = toxicity_model()
    expected = predict_prob(SAMPLES)
    for text, score, want in zip(SAMPLES, model.score_many(SAMPLES), expected, strict=True):
        assert abs(score - want) < 1e-9, text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["you", "idiot", "kill", "hate", "stupid", "the", "a", "food", "great", "shit", "damn", "love", "ugly"]), max_size=12))
def test_scores_match_on_word_salad(words: list[str]) -> None:
    from profanity_check import predict_prob

    text = " ".join(words)
    assert abs(toxicity_model().score(text) - float(predict_prob([text])[0])) < 1e-9


def test_loaded_once() -> None:
    assert toxicity_model() is toxicity_model()
