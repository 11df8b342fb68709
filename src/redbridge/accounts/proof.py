"""Signup proof-of-work for surge mode (docs/security.md, "Proof-of-work at signup").

``GET /api/v1/auth/challenge`` hands out a challenge ``<id>.<expires>.<bits>.<mac>``: a random id,
a Unix expiry, the difficulty, and an HMAC-SHA256 of the three under the app secret — so the server
keeps nothing until the challenge is spent and a client cannot make its own or lower its
difficulty. While surge mode is on (``moderation.surge``), signup must carry ``challenge`` and a
``nonce`` (1–64 letters or digits) such that ``sha256(challenge + nonce)`` starts with ``bits`` zero
bits: ~2^bits hashes for the client (16 bits: about a second in a browser), one for the server.
Spending it inserts its id into ``spam_pow_used`` (primary key): a replay fails in every process
of a cluster, including two concurrent signups with one challenge.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from redbridge.core.db import insert_ignore, write
from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.moderation.models import PowChallengeUsed

_NONCE_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")
_CHALLENGE_RE = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([0-9]{1,2})\.([0-9a-f]{64})$")
# One spend in PRUNE_EVERY also deletes the spent challenges that have expired anyway.
PRUNE_EVERY = 32


@dataclass(frozen=True, slots=True)
class Challenge:
    challenge: str
    bits: int
    expires_at: datetime


def _mac(secret: bytes, challenge_id: str, expires: int, bits: int) -> str:
    return hmac.new(secret, f"pow|{challenge_id}|{expires}|{bits}".encode(), hashlib.sha256).hexdigest()


def issue(secret: bytes, now: datetime, bits: int, ttl_s: int) -> Challenge:
    """A fresh signed challenge; nothing is stored."""
    challenge_id = secrets.token_hex(16)
    expires = int(now.timestamp()) + ttl_s
    return Challenge(f"{challenge_id}.{expires}.{bits}.{_mac(secret, challenge_id, expires, bits)}", bits,
                     datetime.fromtimestamp(expires, UTC))


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def _refused(code: str, message: str) -> AppError:
    return AppError(f"signup.{code}", message, 422)


def _required() -> AppError:
    return _refused("proof_required", _("Sign-ups are very busy right now, so your browser must solve a short "
                                        "check first. Please turn on JavaScript and try again."))


def check(secret: bytes, now: datetime, challenge: str | None, nonce: str | None, min_bits: int) -> str:
    """Validate a proof (without spending it); the challenge id. 422 ``signup.proof_*`` when it is
    missing, forged, weaker than ``min_bits``, expired or wrong."""
    if not challenge or not nonce:
        raise _required()
    parsed = _CHALLENGE_RE.match(challenge)
    if parsed is None or not _NONCE_RE.match(nonce):
        raise _refused("proof_invalid", _("The sign-up check did not pass. Please reload the page and try again."))
    challenge_id, expires_raw, bits_raw, mac = parsed.groups()
    expires, bits = int(expires_raw), int(bits_raw)
    if not hmac.compare_digest(mac, _mac(secret, challenge_id, expires, bits)) or bits < min_bits:
        raise _refused("proof_invalid", _("The sign-up check did not pass. Please reload the page and try again."))
    if expires <= now.timestamp():
        raise _refused("proof_expired", _("The sign-up check has expired. Please reload the page and try again."))
    if leading_zero_bits(hashlib.sha256(f"{challenge}{nonce}".encode()).digest()) < bits:
        raise _refused("proof_invalid", _("The sign-up check did not pass. Please reload the page and try again."))
    return challenge_id


def spend(session: Session, now: datetime, secret: bytes, challenge: str | None, nonce: str | None,
          min_bits: int) -> None:
    """Check the proof and spend it, in its own write transaction (before the password is hashed,
    so a replayed proof costs the server one insert). 422 ``signup.proof_used`` for a replay."""
    challenge_id = check(secret, now, challenge, nonce, min_bits)
    expires = datetime.fromtimestamp(int(str(challenge).split(".")[1]), UTC)
    with write(session):
        if not insert_ignore(session, PowChallengeUsed, {"challenge_id": challenge_id, "expires_at": expires}):
            raise _refused("proof_used", _("This sign-up check was already used. Please reload the page and try again."))
        if int(challenge_id[:8], 16) % PRUNE_EVERY == 0:
            session.execute(delete(PowChallengeUsed).where(PowChallengeUsed.expires_at < now - timedelta(minutes=1)))
