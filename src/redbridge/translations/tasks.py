"""Translation jobs: the only place engines run, and the clean-up after edits and deletes.

``translate`` is enqueued by the API (one per item, target and text: ``queries.job_key``); it
loads the item as it is now, runs the chain with a deadline on every engine call, retries with
backoff, and stores the result (``store.TieredStore``) or, after the last attempt, a short-lived
``failed`` marker that ends the reader's polling. ``forget_*`` run on the notes' and comments'
edit and delete events and drop the rows (and shared cache entries) of the old text.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from redbridge.core import jobs
from redbridge.translation.cache import cache_key
from redbridge.translation.engine import TargetLang
from redbridge.translations import actions
from redbridge.translations.queries import Item, Kind, failed_key, job_key, load_item
from redbridge.translations.store import subject_of
from redbridge.translations.wiring import runtime

if TYPE_CHECKING:
    from redbridge.core.services import Services

log = logging.getLogger("redbridge.translations")

TRANSLATE: Final = "translations.translate"
# The in-flight marker outlives the slowest job (every attempt at the deadline, the backoffs) so a
# second reader never starts a duplicate; a crashed worker's marker expires after it.
_INFLIGHT_SLACK_S: Final = 30.0


def inflight_ttl(services: Services) -> float:
    config = services.settings.translation
    backoff = sum(config.retry_backoff_s * 2.0**n for n in range(config.job_retries))
    return config.job_timeout_s * (config.job_retries + 1) + backoff + _INFLIGHT_SLACK_S


def request(services: Services, item: Item, target: TargetLang) -> bool:
    """Enqueue the job for ``item`` → ``target`` unless one is in flight; True when this call
    enqueued it. No database write happens here, so the job goes to the queue directly rather
    than through the outbox (a lost job only means the reader's next poll enqueues it again)."""
    key = job_key(item, target)
    if not services.cache.add(key, b"1", inflight_ttl(services)):
        return False
    try:
        services.queue.enqueue(TRANSLATE, {"kind": item.kind, "id": item.id, "target": target})
    except Exception:
        services.cache.delete(key)
        raise
    return True


def in_flight(services: Services, item: Item, target: TargetLang) -> bool:
    return services.cache.get(job_key(item, target)) is not None


@jobs.job(TRANSLATE, retries=0)
def translate(services: Services, payload: dict[str, Any]) -> None:
    kind: Kind = "note" if payload["kind"] == "note" else "comment"
    target: TargetLang = payload["target"]
    with services.sessions() as session:
        item = load_item(session, kind, int(payload["id"]))
    if item is None:
        return
    config = services.settings.translation
    translator = runtime(services).translator_for(item.subject)
    try:
        for attempt in range(config.job_retries + 1):
            results = translator.translate_many(item.requests(target))
            failed = [r for r in results if r.status == "failed"]
            if not failed:
                return
            if attempt < config.job_retries:
                # Attempts are inside the job (not huey's retries) so the last one knows it is the
                # last and can record the failure the reader's poll ends on.
                time.sleep(config.retry_backoff_s * 2.0**attempt)
        reasons = sorted({reason for r in failed for reason in r.errors})
        log.warning("translation of %s into %s failed: %s", item.subject, target, ", ".join(reasons))
        services.cache.set(failed_key(item, target), json.dumps(reasons).encode(), config.failed_ttl_s)
    finally:
        services.cache.delete(job_key(item, target))


def _forget(services: Services, kind: Kind, item_id: int) -> None:
    """Drop the stored translations of the item's texts but its current ones (all when gone)."""
    with services.sessions() as session:
        item = load_item(session, kind, item_id)
        keep: set[str] = set()
        if item is not None:
            keep = {cache_key("", "", "", text, item.places).digest for text in item.texts()}
        gone = actions.forget_subject(session, subject_of(kind, item_id), keep)
        if item is None:
            actions.forget_community(session, kind, item_id)
    store = runtime(services).store
    for key in gone:
        store.forget(key)


@jobs.job("translations.forget_note", on=("note.updated", "note.deleted"))
def forget_note(services: Services, payload: dict[str, Any]) -> None:
    _forget(services, "note", int(payload["note_id"]))


@jobs.job("translations.forget_comment", on=("comment.deleted",))
def forget_comment(services: Services, payload: dict[str, Any]) -> None:
    _forget(services, "comment", int(payload["comment_id"]))
