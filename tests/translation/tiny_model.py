"""A tiny CTranslate2 Transformer with random weights and a SentencePiece model trained on a
few lines, written to a directory laid out like a converted model. Its output is gibberish;
what it is for is loading and running the real engine code path (tokenise, language tokens,
batching, decode) in milliseconds."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

LINES = [
    "Hello world, this is a tiny test.",
    "The hotpot in Chengdu was great and cheap.",
    "I love this lipstick so much!",
    "我们去成都吃火锅吧！",
    "这个口红好好看。",
    "今天天气很好，我们去公园散步。",
]
LANGUAGE_TOKENS = ["eng_Latn", "zho_Hans", "zho_Hant"]


def build_tiny_model(directory: Path, family: str = "marian", layers: int = 2, d_model: int = 16) -> Path:
    import ctranslate2  # noqa: F401 - the specs need the package initialised
    import sentencepiece as spm
    from ctranslate2.specs import transformer_spec

    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(LINES * 10), model_writer=buffer, vocab_size=80, character_coverage=1.0,
        model_type="unigram", hard_vocab_limit=False, bos_id=-1, eos_id=-1, unk_id=0,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=buffer.getvalue())
    vocabulary = [sp.id_to_piece(i) for i in range(sp.get_piece_size())] + ["<s>", "</s>"]
    if family == "marian":
        (directory / "source.spm").write_bytes(buffer.getvalue())
        (directory / "target.spm").write_bytes(buffer.getvalue())
    else:
        vocabulary += LANGUAGE_TOKENS
        (directory / "sentencepiece.bpe.model").write_bytes(buffer.getvalue())

    spec = transformer_spec.TransformerSpec.from_config(layers, 2)
    size, ffn = len(vocabulary), d_model * 2
    rng = np.random.default_rng(7)

    def fill(layer: Any, name: str, value: Any) -> None:
        if value is not None:
            return
        scope = name.split("/")
        attr, parent = scope[-1], scope[-2]
        if attr in ("gamma", "beta"):
            array = np.ones(d_model) if attr == "gamma" else np.zeros(d_model)
        elif "embeddings" in parent or parent == "projection":
            array = rng.normal(size=(size, d_model))
        elif "ffn" in scope:
            array = rng.normal(size=(ffn, d_model) if parent == "linear_0" else (d_model, ffn))
        elif "self_attention" in scope:
            array = rng.normal(size=(3 * d_model, d_model) if parent == "linear_0" else (d_model, d_model))
        else:  # encoder-decoder attention: query, fused key/value, output
            array = rng.normal(size=(2 * d_model, d_model) if parent == "linear_1" else (d_model, d_model))
        setattr(layer, attr, array.astype(np.float32))

    spec._visit(fill)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize()
    spec.save(str(directory))
    return directory
