"""Time-ordered 63-bit ids, exposed to clients as opaque strings.

Layout: milliseconds since 2024-01-01 (41 bits) | 22 random-or-sequence bits. Ordering by id is
ordering by creation time, which is what keyset pagination of "newest first" lists relies on; the
random low bits keep ids from separate processes (cluster mode) from colliding without any
coordination service.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_SEQ_BITS = 22
_lock = threading.Lock()
_last_ms = 0
_seq = 0


def new_id(at: datetime) -> int:
    """A fresh id for an object created at ``at``; strictly increasing within this process."""
    global _last_ms, _seq
    ms = max(int(at.timestamp() * 1000) - EPOCH_MS, 0)
    with _lock:
        if ms <= _last_ms:
            # Same or earlier millisecond (or a clock that went backwards): continue the sequence
            # so ids stay unique and monotonic in this process.
            ms = _last_ms
            _seq += 1
            if _seq >= 1 << _SEQ_BITS:
                ms += 1
                _seq = secrets.randbelow(1 << 12)
        else:
            _seq = secrets.randbelow(1 << 12)
        _last_ms = ms
        return (ms << _SEQ_BITS) | _seq


def id_floor(at: datetime) -> int:
    """The smallest id that could have been created at or after ``at``."""
    return max(int(at.timestamp() * 1000) - EPOCH_MS, 0) << _SEQ_BITS


def encode(value: int) -> str:
    return str(value)


def decode(value: str) -> int | None:
    """Parse a client-supplied id; ``None`` for anything that is not one of ours."""
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    parsed = int(value)
    return parsed if 0 < parsed < 1 << 63 else None
