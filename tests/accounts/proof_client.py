"""A signup proof-of-work client for the tests (the page's is web/static/js/proof.js)."""

from __future__ import annotations

import hashlib

from redbridge.accounts.proof import leading_zero_bits


def solve(challenge: str, bits: int) -> str:
    """The first nonce that meets ``bits``."""
    n = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}{n}".encode()).digest()) < bits:
        n += 1
    return str(n)
