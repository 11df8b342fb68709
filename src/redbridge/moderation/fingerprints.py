"""The near-duplicate signal's table (``spam_fingerprints``): look a fingerprint up before a write,
store it in the write's transaction, prune what has left the window.

The lookup is four exact index probes, one per 16-bit band (``signals.bands``), over the window's
rows; the Hamming distance is checked in Python on the few candidates. Two fingerprints within 3
bits always share a band, so nothing within the threshold is missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from redbridge.core import ids
from redbridge.moderation import signals
from redbridge.moderation.models import SpamFingerprint

# Candidates read per lookup: enough to count any campaign past its threshold; random band
# collisions with unrelated texts are ~1 in 65,536 rows per band.
CANDIDATES = 500
# One write in PRUNE_EVERY also deletes the rows that have left the window (by the new row's id,
# so it is spread evenly, needs no scheduler and costs each write almost nothing).
PRUNE_EVERY = 64
# Kept a little past the longest window anyone looks back over.
KEEP = timedelta(days=2)

_BANDS = (SpamFingerprint.band0, SpamFingerprint.band1, SpamFingerprint.band2, SpamFingerprint.band3)


@dataclass(frozen=True, slots=True)
class Copies:
    """Near copies of a text inside the window, this write included."""

    accounts: int  # distinct accounts that posted it
    own: int  # copies by this author
    closest: int | None  # the smallest distance found to another account's copy


def near_copies(session: Session, now: datetime, fingerprint: int, *, author_id: int, subject_kind: str,
                subject_id: int | None, max_distance: int, window: timedelta) -> Copies:
    """Count the near copies of ``fingerprint`` posted since ``now - window`` (the subject itself
    — an edit's own old text — left out)."""
    parts = signals.bands(fingerprint)
    rows = session.execute(
        select(SpamFingerprint.author_id, SpamFingerprint.simhash, SpamFingerprint.subject_kind,
               SpamFingerprint.subject_id)
        .where(or_(*(band == value for band, value in zip(_BANDS, parts, strict=True))),
               SpamFingerprint.created_at >= now - window)
        .limit(CANDIDATES)
    ).all()
    others: set[int] = set()
    own = 1
    closest: int | None = None
    for row in rows:
        if row.subject_kind == subject_kind and row.subject_id == subject_id:
            continue
        apart = signals.distance(signals.from_signed(row.simhash), fingerprint)
        if apart > max_distance:
            continue
        if row.author_id == author_id:
            own += 1
        else:
            others.add(row.author_id)
            closest = apart if closest is None else min(closest, apart)
    return Copies(accounts=len(others) + 1, own=own, closest=closest)


def store(session: Session, now: datetime, fingerprint: int, subject_kind: str, subject_id: int,
          author_id: int) -> None:
    """The subject's fingerprint (replacing an edit's old one), in the caller's write transaction."""
    session.execute(delete(SpamFingerprint).where(SpamFingerprint.subject_kind == subject_kind,
                                                  SpamFingerprint.subject_id == subject_id))
    row_id = ids.new_id(now)
    b0, b1, b2, b3 = signals.bands(fingerprint)
    session.add(SpamFingerprint(id=row_id, subject_kind=subject_kind, subject_id=subject_id, author_id=author_id,
                                simhash=signals.to_signed(fingerprint), band0=b0, band1=b1, band2=b2, band3=b3,
                                created_at=now))
    if row_id % PRUNE_EVERY == 0:
        prune(session, now)


def prune(session: Session, now: datetime) -> int:
    """Delete fingerprints older than :data:`KEEP` (in the caller's transaction); how many went."""
    result = session.execute(delete(SpamFingerprint).where(SpamFingerprint.created_at < now - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)
