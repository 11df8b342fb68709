"""What a write changed, announced to the read side: the one invalidation path.

A write says *what* changed — never which cache holds it — inside its transaction::

    changes.note_changed(session, note.id, content=True)

and every read cache subscribes, next to its own keys, to the announcements it depends on::

    @changes.NOTE_CHANGED.subscribe
    def _retire(services, payload): ...

Announcements are commit hooks (``core.events.notify``): they run in the committing process once
the transaction has ended (not at all if it rolled back), before the request answers, so the
writer's very next request — on any process sharing the cache — reads the new state. A write
imports this module, never a cache; ``docs/caches.md`` lists every cache, its key, the
announcements it subscribes to and its staleness bound.

Payloads are plain JSON-able dicts (``{"note_id": 1}``), so an announcement could also travel
between processes; today every cache it retires is shared (Redis in cluster mode) or keyed by a
shared generation token, which is what makes a local announcement enough.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from redbridge.core import events

if TYPE_CHECKING:
    from redbridge.core.services import Services

Subscriber = Callable[["Services", dict[str, Any]], None]


@dataclass(frozen=True)
class Announcement:
    """A named commit hook with a documented payload."""

    name: str
    payload: str  # what the dict holds, for the docs and for readers of a subscriber

    def subscribe(self, fn: Subscriber) -> Subscriber:
        return events.on_commit(self.name)(fn)

    def announce(self, session: Session, payload: dict[str, Any]) -> None:
        events.notify(session, self.name, payload)


NOTE_CHANGED = Announcement(
    "note_changed", '{"note_id": int, "content": bool} — anything a note shows: its counters '
    "(content false) or its title, text, tags, media or place (content true)")
NOTE_VISIBILITY_CHANGED = Announcement(
    "note_visibility_changed", '{"note_id": int, "author_id": int, "visible": bool} — a note '
    "appeared (visible) or disappeared for its readers (published, deleted; moderation: held, "
    "removed, restored)")
ACCOUNT_CHANGED = Announcement(
    "account_changed", '{"user_ids": [int]} — what is cached with an account\'s sessions: its '
    "sessions, status, profile, interests and languages")
FOLLOW_GRAPH_CHANGED = Announcement(
    "follow_graph_changed", '{"user_ids": [int], "hidden": bool} — who these accounts follow, '
    "block or mute (hidden: a block or mute changed, so the authors hidden from them)")
ENGAGEMENT_CHANGED = Announcement(
    "engagement_changed", '{"user_id": int, "note_id": int} — the account liked, unliked, '
    "collected or uncollected the note (its own liked_by_me / collected_by_me)")

ALL = (NOTE_CHANGED, NOTE_VISIBILITY_CHANGED, ACCOUNT_CHANGED, FOLLOW_GRAPH_CHANGED, ENGAGEMENT_CHANGED)


def note_changed(session: Session, note_id: int, *, content: bool) -> None:
    NOTE_CHANGED.announce(session, {"note_id": note_id, "content": content})


def note_visibility_changed(session: Session, note_id: int, author_id: int, *, visible: bool) -> None:
    NOTE_VISIBILITY_CHANGED.announce(session, {"note_id": note_id, "author_id": author_id, "visible": visible})


def account_changed(session: Session, *user_ids: int) -> None:
    ACCOUNT_CHANGED.announce(session, {"user_ids": sorted(set(user_ids))})


def follow_graph_changed(session: Session, *user_ids: int, hidden: bool) -> None:
    FOLLOW_GRAPH_CHANGED.announce(session, {"user_ids": sorted(set(user_ids)), "hidden": hidden})


def engagement_changed(session: Session, user_id: int, note_id: int) -> None:
    ENGAGEMENT_CHANGED.announce(session, {"user_id": user_id, "note_id": note_id})
