"""Thin HTTP layer of notifications: /api/v1/notifications (always and only the viewer's own)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from redbridge.accounts.deps import ViewerDep
from redbridge.core import ids
from redbridge.core.deps import DbDep, ServicesDep
from redbridge.core.errors import ErrorEnvelope, request_locale
from redbridge.core.pagination import Page, PageLimit
from redbridge.notifications import actions, queries
from redbridge.notifications.schemas import MarkReadIn, NotificationOut, UnreadOut

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 413, 422)
}
router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"], responses=ERRORS)


@router.get("", response_model=Page[NotificationOut])
def list_notifications(
    request: Request, viewer: ViewerDep, session: DbDep, cursor: str | None = None, limit: PageLimit = 20
) -> Page[NotificationOut]:
    return queries.page(session, viewer.user.id, cursor, limit, request_locale(request))


@router.get("/unread-count", response_model=UnreadOut)
def unread_count(viewer: ViewerDep, session: DbDep) -> UnreadOut:
    return UnreadOut(unread=queries.unread_count(session, viewer.user.id))


@router.post("/read", response_model=UnreadOut)
def mark_read(viewer: ViewerDep, session: DbDep, services: ServicesDep, body: MarkReadIn | None = None) -> UnreadOut:
    up_to = ids.decode(body.up_to_id) if body and body.up_to_id else None
    actions.mark_read(session, viewer.user.id, up_to, services.clock.now())
    return UnreadOut(unread=queries.unread_count(session, viewer.user.id))
