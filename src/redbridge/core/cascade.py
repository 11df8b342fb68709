"""Work a feature above must do inside a write transaction of a feature below it.

The database's ``ON DELETE CASCADE`` removes the rows that point at a deleted note, but not the
counters kept elsewhere (a collection's ``note_count``, an author's ``engagement_received``).
Those belong to the feature above (engagement), which the feature below (notes) must not import
(the layers contract in pyproject.toml). So the feature below declares a :class:`Step` and runs
it in its transaction; the features above join it with ``@STEP.join``::

    NOTE_DELETING = Step[int]("note_deleting")        # notes.actions: runs it in delete_note
    @NOTE_DELETING.join                                # engagement.actions
    def release_note_in_tx(session, note_id): ...

Participants run in the caller's ``core.db.write`` block, in the order they joined, under its
lock-order rules; if one raises, the whole write rolls back. Unlike the announcements of
``core.changes``, which run after the commit, these are part of the write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class Step(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._participants: list[Callable[[Session, T], None]] = []

    def join(self, fn: Callable[[Session, T], None]) -> Callable[[Session, T], None]:
        if fn not in self._participants:
            self._participants.append(fn)
        return fn

    def run(self, session: Session, subject: T) -> None:
        """Run every participant inside the caller's write transaction."""
        for fn in self._participants:
            fn(session, subject)
