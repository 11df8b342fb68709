"""The semantic matcher's calibration set (``semantic_set.yaml``) and its figures.

Shared by ``tests/moderation/test_semantic.py`` (which asserts the floors) and the command that
prints the table of docs/benchmarks.md::

    python -m tests.moderation.semantic_eval [--min-score 0.8] [--min-margin 4.5]

Every example of the set is marked at once (12, in both languages and five categories). Then:

- **recall**: held texts (translations and paraphrases) that are held / held texts — overall, for the
  translations into the other language alone, and for the same-language paraphrases;
- **precision**: held texts that are held / every text of the set that is held (held + benign);
- **false holds (look-alikes)**: the set's benign same-topic texts that are held / those texts;
- **false holds (eval set)**: the benign items of ``eval_set.yaml`` that are held / those items.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from redbridge.moderation.semantic import ExampleMatrix, SemanticMatcher
from redbridge.text.embed import Embedder, default_embedder
from redbridge.text.lang import detect_language
from tests.moderation.evaluation import BENIGN, load_items

SET_PATH = Path(__file__).with_name("semantic_set.yaml")


@dataclass(frozen=True)
class Example:
    id: str
    lang: str
    category: str
    text: str
    held: tuple[str, ...]
    benign: tuple[str, ...]


def load_examples(path: Path = SET_PATH) -> list[Example]:
    raw: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return [Example(e["id"], e["lang"], e["category"], e["text"], tuple(e["held"]), tuple(e["benign"]))
            for e in raw["examples"]]


@dataclass(frozen=True)
class Figures:
    examples: int
    held_texts: int
    recall: float
    recall_translations: float
    recall_paraphrases: float
    precision: float
    lookalikes: int
    false_hold_lookalikes: float
    eval_benign: int
    false_hold_eval: float
    missed: tuple[str, ...]
    false_holds: tuple[str, ...]


def marked(matcher: SemanticMatcher, examples: list[Example]) -> ExampleMatrix:
    vectors = matcher.embedder.passages([e.text for e in examples])
    return matcher.build(list(range(len(examples))), [e.category for e in examples], vectors)


def measure(matcher: SemanticMatcher, examples: list[Example] | None = None) -> Figures:
    examples = examples if examples is not None else load_examples()
    matrix = marked(matcher, examples)

    def held(texts: list[str]) -> list[bool]:
        langs = [detect_language(t) for t in texts]
        return [m is not None for m in matcher.check(matrix, texts, langs)]

    # The first held text of each example is its translation into the other language.
    held_texts = [t for e in examples for t in e.held]
    translation = [i == 0 for e in examples for i in range(len(e.held))]
    lookalikes = [t for e in examples for t in e.benign]
    eval_benign = [item.text for item in load_items() if item.label == BENIGN]
    got, got_look, got_eval = held(held_texts), held(lookalikes), held(eval_benign)

    def rate(hits: list[bool]) -> float:
        return round(sum(hits) / len(hits), 3) if hits else 0.0

    caught = sum(got)
    flagged = caught + sum(got_look)
    return Figures(
        examples=len(examples), held_texts=len(held_texts), recall=rate(got),
        recall_translations=rate([g for g, t in zip(got, translation, strict=True) if t]),
        recall_paraphrases=rate([g for g, t in zip(got, translation, strict=True) if not t]),
        precision=round(caught / flagged, 3) if flagged else 1.0,
        lookalikes=len(lookalikes), false_hold_lookalikes=rate(got_look),
        eval_benign=len(eval_benign), false_hold_eval=rate(got_eval),
        missed=tuple(t for t, g in zip(held_texts, got, strict=True) if not g),
        false_holds=tuple(t for t, g in zip(lookalikes + eval_benign, got_look + got_eval, strict=True) if g),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-score", type=float, default=0.80)
    parser.add_argument("--min-margin", type=float, default=4.5)
    parser.add_argument("--sweep", action="store_true", help="also print recall and false holds per margin")
    args = parser.parse_args()
    embedder: Embedder = default_embedder()
    figures = measure(SemanticMatcher(embedder, args.min_score, args.min_margin))
    print(json.dumps(asdict(figures), ensure_ascii=False, indent=2))
    if args.sweep:
        examples = load_examples()
        for margin in (3.5, 4.0, 4.5, 5.0, 5.5):
            f = measure(SemanticMatcher(embedder, args.min_score, margin), examples)
            print(f"margin {margin}: recall {f.recall} (translations {f.recall_translations}), precision "
                  f"{f.precision}, false holds look-alikes {f.false_hold_lookalikes}, eval benign {f.false_hold_eval}")


if __name__ == "__main__":
    main()
