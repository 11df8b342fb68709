"""The one way a reader's request gets a translation, for the API and the pages alike: the stored
answer, or the job asked for (after the rate limits) and ``pending``. Never an engine call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redbridge.translations import queries, tasks
from redbridge.translations.queries import Item
from redbridge.translations.schemas import Target, TranslationOut

if TYPE_CHECKING:
    from redbridge.core.services import Services


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
