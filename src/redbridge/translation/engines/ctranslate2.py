"""CTranslate2: a converted seq2seq model directory (OPUS-MT / Marian, NLLB-200, M2M100).

The directory is what ``ct2-transformers-converter`` writes (``model.bin``, ``config.json``,
the vocabulary) plus the model's SentencePiece files, copied in (docs/translation.md has the
commands). The model families differ only in how languages are named to the model:

* ``marian`` (OPUS-MT): one direction per model (opus-mt-zh-en, opus-mt-en-zh); multi-target
  models want a target token such as ``>>cmn_Hans<<`` at the start of the source
  (``target_tokens``). Vocabularies ``source.spm`` / ``target.spm``.
* ``nllb``: many-to-many; the source starts with its language code (``eng_Latn``) and the
  target prefix is the target's (``zho_Hans``, ``zho_Hant``). ``sentencepiece.bpe.model``.
* ``m2m100``: like NLLB with ``__en__`` / ``__zh__``.

The engine never sees placeholders (``sees_placeholders`` is false: these models mangle tokens
they were not trained on; the pipeline sends only the text between spans) and gets one
sentence per segment, which is what these models were trained on.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from redbridge.translation.engine import EngineError, SourceLang, TargetLang

__all__ = ["CTranslate2Config", "CTranslate2Engine"]

Family = Literal["marian", "nllb", "m2m100"]

_LANGUAGE_TOKENS: Final[dict[Family, dict[str, str]]] = {
    "marian": {},
    "nllb": {"en": "eng_Latn", "zh": "zho_Hans", "zh-Hans": "zho_Hans", "zh-Hant": "zho_Hant"},
    "m2m100": {"en": "__en__", "zh": "__zh__", "zh-Hans": "__zh__"},
}
_SPM_NAMES: Final = (("source.spm", "target.spm"), ("sentencepiece.bpe.model", "sentencepiece.bpe.model"),
                     ("sentencepiece.model", "sentencepiece.model"), ("spm.model", "spm.model"))
# Decoding stops at this many target tokens per source token (plus a constant): a model that
# starts repeating itself ends there instead of at the global limit.
_LENGTH_FACTOR: Final = 3
_LENGTH_EXTRA: Final = 10
_MAX_DECODING: Final = 512


@dataclass(frozen=True)
class CTranslate2Config:
    """``pairs``: the directions the model serves, e.g. ``(("zh", "en"),)`` for opus-mt-zh-en;
    a many-to-many model lists each direction it should be used for.

    ``target_tokens``: for Marian multi-target models, the token that selects each target
    (``{"zh-Hans": ">>cmn_Hans<<"}``). ``version``: overrides the fingerprint in the engine's
    name (the cache key), e.g. a release tag.
    """

    model_dir: Path
    pairs: tuple[tuple[SourceLang, TargetLang], ...]
    family: Family = "marian"
    target_tokens: dict[str, str] = field(default_factory=dict)
    device: str = "cpu"
    compute_type: str = "default"
    inter_threads: int = 1
    intra_threads: int = 0
    beam_size: int = 2
    max_batch_size: int = 32
    max_segment_chars: int = 400
    version: str | None = None


class CTranslate2Engine:
    sees_placeholders = False
    instructable = False
    max_segment_sentences = 1

    def __init__(self, config: CTranslate2Config) -> None:
        import ctranslate2
        import sentencepiece

        self._config = config
        directory = config.model_dir
        if not (directory / "model.bin").is_file():
            raise EngineError("no-model", f"{directory} has no model.bin")
        for source_name, target_name in _SPM_NAMES:
            if (directory / source_name).is_file() and (directory / target_name).is_file():
                break
        else:
            raise EngineError("no-tokenizer", f"{directory} has no SentencePiece model")
        self._source_sp = sentencepiece.SentencePieceProcessor(model_file=str(directory / source_name))
        self._target_sp = sentencepiece.SentencePieceProcessor(model_file=str(directory / target_name))
        model_config: dict[str, Any] = json.loads((directory / "config.json").read_text("utf-8"))
        self._add_eos = not model_config.get("add_source_eos", False)
        self._eos = str(model_config.get("eos_token", "</s>"))
        self._translator = ctranslate2.Translator(
            str(directory),
            device=config.device,
            compute_type=config.compute_type,
            inter_threads=config.inter_threads,
            intra_threads=config.intra_threads,
        )
        # A Translator is thread-safe, but sentencepiece processors are not documented to be.
        self._lock = threading.Lock()
        self._name = f"ctranslate2:{directory.name}@{config.version or _fingerprint(directory)}"
        self.max_segment_chars = config.max_segment_chars

    @property
    def name(self) -> str:
        return self._name

    def supports(self, source: SourceLang, target: TargetLang) -> bool:
        return (source, target) in self._config.pairs

    def _language_token(self, lang: str) -> str | None:
        return _LANGUAGE_TOKENS[self._config.family].get(lang)

    def translate_batch(self, texts: Sequence[str], source: SourceLang, target: TargetLang) -> list[str]:
        if not self.supports(source, target):
            raise EngineError("unsupported-pair", f"{source}->{target}")
        if not texts:
            return []
        family = self._config.family
        head: list[str] = []
        prefix: list[str] = []
        if family == "marian":
            token = self._config.target_tokens.get(target)
            head = [token] if token else []
        else:
            source_token, target_token = self._language_token(source), self._language_token(target)
            if source_token is None or target_token is None:
                raise EngineError("unsupported-pair", f"{family} has no token for {source}->{target}")
            head, prefix = [source_token], [target_token]
        with self._lock:
            tokenized = [head + self._source_sp.encode(text, out_type=str) for text in texts]
        if self._add_eos:
            tokenized = [[*tokens, self._eos] for tokens in tokenized]
        longest = max(len(tokens) for tokens in tokenized)
        try:
            results = self._translator.translate_batch(
                tokenized,
                target_prefix=[prefix] * len(tokenized) if prefix else None,
                beam_size=self._config.beam_size,
                max_batch_size=self._config.max_batch_size,
                max_decoding_length=min(_MAX_DECODING, longest * _LENGTH_FACTOR + _LENGTH_EXTRA),
            )
        except (RuntimeError, ValueError) as exc:  # CTranslate2 reports its errors as these
            raise EngineError("engine-error", str(exc)) from exc
        outputs: list[str] = []
        with self._lock:
            for result in results:
                tokens = list(result.hypotheses[0])
                if prefix and tokens[: len(prefix)] == prefix:
                    tokens = tokens[len(prefix) :]
                outputs.append(self._target_sp.decode(tokens))
        return outputs


def _fingerprint(directory: Path) -> str:
    """A short, cheap identity of the model files: the config, the vocabulary, and the size and
    the first and last MiB of model.bin (hashing gigabytes at start-up would be slow)."""
    digest = hashlib.sha256()
    for name in ("config.json", "shared_vocabulary.json", "source_vocabulary.json", "target_vocabulary.json",
                 "shared_vocabulary.txt", "source_vocabulary.txt", "target_vocabulary.txt"):
        path = directory / name
        if path.is_file():
            digest.update(name.encode())
            digest.update(path.read_bytes())
    model = directory / "model.bin"
    size = model.stat().st_size
    digest.update(str(size).encode())
    with model.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:12]
