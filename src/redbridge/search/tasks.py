"""Indexing jobs: the index follows the notes' events and the read side's announcements.

* ``note.created`` / ``note.updated`` (outbox: durable, at least once) → ``search.index_note``;
  ``note.deleted`` → ``search.remove_note``. A held note's ``note.created`` indexes nothing: the
  job indexes what is findable *now*.
* Moderation decisions (hold, remove, restore) publish no outbox event; they announce
  ``note_visibility_changed`` (``notes.actions.moderate_in_tx``) and ``note_changed``, commit
  hooks in memory. The hooks below enqueue ``search.index_note`` for the note, so a held or
  removed note leaves the index within the commit delay; a restored one is republished with
  ``note.created``. The hook is not durable, which is why queries also filter through the
  database: a note the index still holds is never shown once the database hides it.
* ``account_changed`` → ``search.sync_author`` (a deactivated account's notes leave the index).
  Blocks and mutes are per reader: applied at query time.

* ``note.engaged`` (a like, collect or comment changed a counter) → ``search.index_note``, for the
  likes / collects / comments sorts and the engagement boost. Cheap because the backend commits
  in batches: a burst of likes on one note is one re-indexed document per batch in effect (each
  replaces the last), one commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from redbridge.core import changes
from redbridge.core.jobs import job
from redbridge.search import actions
from redbridge.search.wiring import REBUILD, RECONCILE_VECTORS

if TYPE_CHECKING:
    from redbridge.core.services import Services

INDEX_NOTE = "search.index_note"
SYNC_AUTHOR = "search.sync_author"


@job(INDEX_NOTE, on=("note.created", "note.updated", "note.engaged", "note.translated"), retries=3)
def index_note(services: Services, payload: dict[str, Any]) -> None:
    actions.sync_notes(services, [int(payload["note_id"])])


@job("search.remove_note", on=("note.deleted",), retries=3)
def remove_note(services: Services, payload: dict[str, Any]) -> None:
    actions.sync_notes(services, [int(payload["note_id"])])  # gone from the database: removed


@job(SYNC_AUTHOR, retries=3)
def sync_author(services: Services, payload: dict[str, Any]) -> None:
    actions.sync_author(services, int(payload["user_id"]))


@job(RECONCILE_VECTORS, retries=3)
def reconcile_vectors(services: Services, payload: dict[str, Any]) -> None:
    actions.reconcile_vectors(services)


@job(REBUILD, retries=3)
def rebuild(services: Services, payload: dict[str, Any]) -> None:
    actions.rebuild(services)


@changes.NOTE_VISIBILITY_CHANGED.subscribe
def _visibility_changed(services: Services, payload: dict[str, Any]) -> None:
    # Appearing notes come with note.created; only disappearances need the hook.
    if not payload["visible"]:
        services.queue.enqueue(INDEX_NOTE, {"note_id": payload["note_id"]})


@changes.ACCOUNT_CHANGED.subscribe
def _account_changed(services: Services, payload: dict[str, Any]) -> None:
    for user_id in payload["user_ids"]:
        services.queue.enqueue(SYNC_AUTHOR, {"user_id": user_id})


# ------------------------------------------------- suggestions: tag counts and the day's upkeep

@job(actions.COUNT_TAGS, on=("note.created", "note.updated"), retries=3)
def count_tags(services: Services, payload: dict[str, Any]) -> None:
    # From an event: the note's tags now; from a delete (``actions._note_deleting``) or a hidden
    # note: the tags it had, named in the payload.
    tags = payload.get("tags")
    actions.sync_tags(services, tags if tags is not None else actions.note_tags(services, int(payload["note_id"])))


@job(actions.DAILY_TERMS, retries=3)
def daily_terms(services: Services, payload: dict[str, Any]) -> None:
    actions.prune_searchers(services)
    actions.refresh_tags(services)


@changes.NOTE_VISIBILITY_CHANGED.subscribe
def _visibility_changed_tags(services: Services, payload: dict[str, Any]) -> None:
    # A held or removed note's tags lose a note (they are still in the database: recount them).
    if not payload["visible"]:
        services.queue.enqueue(actions.COUNT_TAGS, {"note_id": payload["note_id"]})
