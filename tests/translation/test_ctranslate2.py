"""The CTranslate2 engine through its real code path, on a tiny random model the tests build
(tiny_model.py). The output is gibberish: these tests assert structure, never words."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

from redbridge.translation.engine import EngineError
from redbridge.translation.engines.ctranslate2 import CTranslate2Config, CTranslate2Engine
from redbridge.translation.service import Translator
from tests.translation.test_protect import KINDS


class Spy:
    """Wraps the loaded ctranslate2.Translator and records what it was called with."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[list[list[str]], dict[str, Any]]] = []

    def translate_batch(self, tokens: list[list[str]], **kwargs: Any) -> Any:
        self.calls.append((tokens, kwargs))
        return self.inner.translate_batch(tokens, **kwargs)


def engine_for(directory: Path, **overrides: Any) -> tuple[CTranslate2Engine, Spy]:
    config = CTranslate2Config(model_dir=directory, pairs=(("zh", "en"), ("en", "zh-Hans")), **overrides)
    engine = CTranslate2Engine(config)
    spy = Spy(engine._translator)
    engine._translator = spy
    return engine, spy


def test_loads_and_returns_one_string_per_input(marian_dir: Path) -> None:
    engine, spy = engine_for(marian_dir, max_batch_size=2)
    texts = ["我们去成都吃火锅吧", "这个口红好好看", "今天天气很好", "好", "我们去公园散步"]
    outputs = engine.translate_batch(texts, "zh", "en")
    assert len(outputs) == len(texts)
    assert all(isinstance(out, str) for out in outputs)
    tokens, options = spy.calls[0]
    assert len(tokens) == 5
    assert all(seq[-1] == "</s>" for seq in tokens)  # the source end token the models expect
    assert options["max_batch_size"] == 2
    assert options["target_prefix"] is None
    # Decoding is bounded relative to the input, so a looping model stops early.
    assert options["max_decoding_length"] <= max(map(len, tokens)) * 3 + 10


def test_the_name_carries_a_model_fingerprint(marian_dir: Path) -> None:
    engine, _ = engine_for(marian_dir)
    assert engine.name.startswith("ctranslate2:opus-mt-tiny@")
    assert engine.name == engine_for(marian_dir)[0].name
    assert engine_for(marian_dir, version="r2")[0].name == "ctranslate2:opus-mt-tiny@r2"


def test_marian_target_token_goes_first(marian_dir: Path) -> None:
    engine, spy = engine_for(marian_dir, target_tokens={"zh-Hans": ">>cmn_Hans<<"})
    engine.translate_batch(["hello world"], "en", "zh-Hans")
    assert spy.calls[0][0][0][0] == ">>cmn_Hans<<"


def test_nllb_language_tokens_and_target_prefix(nllb_dir: Path) -> None:
    engine, spy = engine_for(nllb_dir, family="nllb")
    outputs = engine.translate_batch(["hello world", "the hotpot"], "en", "zh-Hans")
    tokens, options = spy.calls[0]
    assert [seq[0] for seq in tokens] == ["eng_Latn", "eng_Latn"]
    assert options["target_prefix"] == [["zho_Hans"], ["zho_Hans"]]
    assert all("zho_Hans" not in out for out in outputs)


def test_unsupported_direction_and_missing_files(marian_dir: Path, tmp_path: Path) -> None:
    engine, _ = engine_for(marian_dir)
    with pytest.raises(EngineError) as caught:
        engine.translate_batch(["x"], "en", "en")
    assert caught.value.code == "unsupported-pair"
    with pytest.raises(EngineError) as caught:
        CTranslate2Engine(CTranslate2Config(model_dir=tmp_path, pairs=(("zh", "en"),)))
    assert caught.value.code == "no-model"


def test_pipeline_splits_protects_batches_and_rejoins(marian_dir: Path) -> None:
    engine, spy = engine_for(marian_dir)
    sentences = ["我们去成都吃火锅吧！", "这个口红好好看。", "今天天气很好，我们去公园散步。"]
    spans = " ".join(KINDS.values())
    text = "".join(sentences) + "\n\n" + f"今天 {spans} 好吃" + "\n" + "".join(sentences)
    result = Translator([engine]).translate(text, "en", places=["宽窄巷子"])
    assert result.status == "translated", result
    assert result.text is not None
    # One engine call for the whole text; each sentence (cut at protected spans) a batch item,
    # identical ones once.
    assert len(spy.calls) == 1
    sent = [engine._source_sp.decode(seq[:-1]) for seq in spy.calls[0][0]]
    assert len(sent) == len(set(sent))
    # (SentencePiece normalises with NFKC, so "！" decodes as "!".)
    assert {unicodedata.normalize("NFKC", s) for s in sentences} <= set(sent)
    # Placeholders and protected spans never reach the model; every span is back, in order.
    assert not any("⟦" in piece or "@lily_chen" in piece for piece in sent)
    positions = [result.text.index(span) for span in KINDS.values()]
    assert positions == sorted(positions)
    # Paragraphs and lines are the original's.
    assert result.text.count("\n\n") == 1
    assert result.text.count("\n") == 3


def test_pipeline_long_input_batches_many_sentences(marian_dir: Path) -> None:
    engine, spy = engine_for(marian_dir, max_batch_size=4)
    text = "".join(f"第{n}天我们去公园散步。" for n in range(1, 41))
    result = Translator([engine]).translate(text, "en")
    assert result.status == "translated"
    tokens, options = spy.calls[0]
    # 40 sentences, each cut at its protected number: "第" and "天我们去公园散步。" pieces, deduplicated.
    assert len(tokens) == 2
    assert len(spy.calls) == 1  # the whole text in one call to the model, not one per sentence
    assert options["max_batch_size"] == 4
    assert result.text is not None
    for n in (1, 17, 40):
        assert str(n) in result.text


def test_a_model_directory_without_a_tokenizer_is_refused(marian_dir: Path, tmp_path: Path) -> None:
    import shutil

    bare = tmp_path / "opus-mt-bare"
    shutil.copytree(marian_dir, bare)
    for spm in [*bare.glob("*.spm"), *bare.glob("*.model")]:
        spm.unlink()
    with pytest.raises(EngineError) as caught:
        CTranslate2Engine(CTranslate2Config(model_dir=bare, pairs=(("zh", "en"),)))
    assert caught.value.code == "no-tokenizer"
