"""The one way a reader's request gets a translation, for the API and the pages alike: the stored
answer, or the job asked for (after the rate limits) and ``pending``. Never an engine call."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from redbridge.core.errors import AppError
from redbridge.translations import queries, tasks
from redbridge.translations.queries import Item
from redbridge.translations.schemas import Target, TranslationOut

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from redbridge.core.services import Services


def reader_answer(services: Services, session: Session, item: Item, target: Target, viewer_id: int | None, ip: str,
                  prefer: str = "community") -> TranslationOut:
    """What a reader asking for a translation of ``item`` gets, on the API and the pages: the
    readers' best translation (``queries.community_answer``) unless ``prefer`` is ``machine``, else
    :func:`translation_answer` with how many readers' translations there are. Ends ``session``'s
    transaction before the store is read (on its own session: one connection at a time)."""
    if prefer == "community":
        community = queries.community_answer(session, item, target, viewer_id)
        if community is not None:
            return community
    count = queries.community_count(session, item, target)
    session.commit()
    out = translation_answer(services, item, target, viewer_id, ip)
    out.community_count = count
    return out


def moderator_translation(services: Services, session: Session, kind: str, subject_id: int, lang: str | None,
                          moderator_id: int, locale: str, ip: str) -> TranslationOut | None:
    """The machine translation of a queue item's note or comment into the moderator's language
    (the engines': a reader's translation is not evidence), or None: another kind of item, content
    already in their language, or the moderator's translation budget spent (the item still shows).
    Asking enqueues the job as a reader's request does, so the next look finds it."""
    target = queries.reader_target(locale)
    if kind not in ("note", "comment") or lang is None or not queries.needs_translation(lang, target):
        return None
    item = queries.load_item(session, cast(queries.Kind, kind), subject_id)
    if item is None:
        return None
    try:
        return reader_answer(services, session, item, target, moderator_id, ip, prefer="machine")
    except AppError as error:
        if error.status != 429:
            raise
        return None


def translation_answer(services: Services, item: Item, target: Target, viewer_id: int | None, ip: str) -> TranslationOut:
    """The stored answer, or ``pending`` after the job was asked for (the limits are spent only
    when a new job is enqueued: polling and stored answers are free)."""
    out = queries.answer(services, item, target)
    if out is not None:
        return out
    if not tasks.in_flight(services, item, target):
        limits = services.settings.translation
        if viewer_id is not None:
            services.limiter.hit("translate:user", str(viewer_id), limits.per_user)
        else:
            services.limiter.hit("translate:ip", ip, limits.per_ip)
        services.limiter.hit("translate:global", "all", limits.global_budget)
        tasks.request(services, item, target)
    return TranslationOut(status="pending", target=target)
