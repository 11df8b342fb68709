"""The session-token → caller cache: what every authenticated request needs, without a query.

Keyed by the token's digest, it holds an ``accounts.queries.Caller`` (session and account ids,
expiry, UI language, interests, read languages, the authors hidden from the account) for at most
``CALLER_TTL_S``. Every write that changes one of those — logout, revoking sessions, a password
change, a profile edit (``account_changed``), block / unblock (both sides), mute / unmute
(``follow_graph_changed`` with ``hidden``) — announces it inside its transaction (``core.changes``);
right after the commit the subscriber below retires the cache entries of every session of the
accounts concerned, before the request answers. In cluster mode the cache is Redis, so that holds
for every process at once: a revoked token is refused by the very next request anywhere.

``stamp`` is new each time an entry is loaded from the database, so anything cached under it (the
explore feed's per-viewer pages) is retired with the entry.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy.orm import Session

from redbridge.accounts import queries
from redbridge.accounts.queries import Caller
from redbridge.core import changes
from redbridge.core.cache import TOMBSTONE, invalidate, read_through
from redbridge.core.services import Services

CALLER_TTL_S = 60.0
# How long an invalidated entry refuses to be cached again: longer than any request that read the
# old row before the write committed can take to store it (such a store is then refused).
FORGET_S = 15.0


def _key(digest: str) -> str:
    return f"accounts:caller:{digest}"


def _encode(caller: Caller) -> bytes:
    return json.dumps({
        "s": caller.session_id, "u": caller.user_id, "e": caller.expires_at, "l": caller.last_seen_at,
        "g": caller.ui_lang, "i": list(caller.interests), "r": list(caller.read_langs),
        "h": sorted(caller.hidden), "t": caller.stamp,
    }, separators=(",", ":")).encode()


def _decode(blob: bytes) -> Caller:
    d = json.loads(blob)
    return Caller(session_id=d["s"], user_id=d["u"], expires_at=d["e"], last_seen_at=d["l"], ui_lang=d["g"],
                  interests=tuple(d["i"]), read_langs=tuple(d["r"]), hidden=frozenset(d["h"]), stamp=d["t"])


def _live(blob: bytes | None, now: float) -> Caller | None:
    if blob is None or blob == TOMBSTONE:
        return None
    caller = _decode(blob)
    return caller if caller.expires_at > now else None


def peek(services: Services, digest: str) -> Caller | None:
    """The cached caller of ``digest`` if there is a live one; never touches the database (so the
    hottest reads can use it on the event loop). None: unknown here, ask :func:`load`."""
    return _live(services.cache.get(_key(digest)), services.clock.now().timestamp())


def load(services: Services, session: Session, digest: str) -> Caller | None:
    """The caller of ``digest`` (None: no live session), from the cache or the database. A cached
    entry outlives its session by at most ``CALLER_TTL_S``; ``_live`` refuses it once expired."""
    now = services.clock.now()

    def from_db() -> bytes | None:
        caller = queries.caller_for_token(session, digest, now, stamp=secrets.token_hex(6))
        return None if caller is None else _encode(caller)

    return _live(read_through(services.cache, _key(digest), CALLER_TTL_S, from_db), now.timestamp())


@changes.ACCOUNT_CHANGED.subscribe
@changes.FOLLOW_GRAPH_CHANGED.subscribe
def _forget(services: Services, payload: dict[str, Any]) -> None:
    """Retire the cached callers of every session of the accounts concerned. A follow changes
    nothing cached here (``hidden`` false): only blocks and mutes are hidden authors."""
    if not payload.get("hidden", True):
        return
    with services.sessions() as session:
        digests = queries.session_digests(session, payload["user_ids"], services.clock.now())
    for digest in digests:
        invalidate(services.cache, _key(digest), FORGET_S)
