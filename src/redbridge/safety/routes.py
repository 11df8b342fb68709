"""Thin HTTP layer of trust and safety under /api/v1: reports (any account), the review queue and
decisions (moderators and admins), the audit log and roles (admins)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from redbridge.accounts.deps import ViewerDep
from redbridge.core import ids
from redbridge.core.deps import DbDep, ServicesDep, client_ip
from redbridge.core.errors import AppError, ErrorEnvelope, not_found, request_locale
from redbridge.core.i18n import _
from redbridge.core.pagination import Page, PageLimit
from redbridge.safety import actions, queries
from redbridge.safety.deps import AdminDep, ModeratorDep
from redbridge.safety.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    AppealState,
    AuditOut,
    Category,
    DecisionIn,
    DecisionOut,
    MyDecisionOut,
    QueueItemOut,
    ReportIn,
    ReportOut,
    RoleIn,
    RoleOut,
    SubjectKind,
)

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
router = APIRouter(prefix="/api/v1", tags=["safety"], responses=ERRORS)
Cursor = Annotated[str | None, Query(max_length=2048)]
_AGE = re.compile(r"^(\d{1,7})([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _item_id(value: str) -> int:
    parsed = ids.decode(value)
    if parsed is None:
        raise not_found("queue_item")
    return parsed


def _age(value: str | None) -> timedelta | None:
    """``older_than``: seconds, or a number with ``s`` / ``m`` / ``h`` / ``d`` (``6h``, ``2d``)."""
    if value is None:
        return None
    found = _AGE.match(value)
    if found is None:
        raise AppError("queue.older_than_invalid", _("Give an age such as 30m, 6h or 2d."), 422,
                       fields={"older_than": "invalid"})
    return timedelta(seconds=min(int(found[1]) * _UNITS[found[2]], 3650 * 86400))


# ---------------------------------------------------------------------------------------- reports


@router.post("/reports", status_code=status.HTTP_201_CREATED, response_model=ReportOut)
def create_report(body: ReportIn, request: Request, response: Response, viewer: ViewerDep, session: DbDep,
                  services: ServicesDep) -> ReportOut:
    """Report a note, comment or user (``id``: the note's or comment's id, the user's username).
    201 for a new report; 200 when it merges into your earlier report on the same open item."""
    actions.count_report(services, viewer.id, client_ip(request))
    out, created = actions.report(session, services.clock.now(), viewer.user, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("/reports/mine", response_model=Page[ReportOut])
def my_reports(viewer: ViewerDep, session: DbDep, cursor: Cursor = None, limit: PageLimit = 20) -> Page[ReportOut]:
    return queries.my_reports(session, viewer.id, cursor, limit)


# ------------------------------------------------------------------------------------------ queue


@router.get("/moderation/queue", response_model=Page[QueueItemOut])
def review_queue(
    viewer: ModeratorDep, session: DbDep, services: ServicesDep,
    # Not ``lang``: that query parameter is the language of the answer (``core.middleware``).
    content_lang: Annotated[str | None, Query(max_length=8)] = None,
    category: Category | None = None,
    kind: SubjectKind | None = None,
    older_than: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Cursor = None, limit: PageLimit = 20,
) -> Page[QueueItemOut]:
    """Open items, oldest first. ``content_lang``: the content's language (en, zh, mixed, other);
    ``older_than``: items waiting longer than this (``30m``, ``6h``, ``2d``, or seconds)."""
    age = _age(older_than)
    before = services.clock.now() - age if age is not None else None
    return queries.queue_page(session, kind=kind, category=category, lang=content_lang, created_before=before,
                              cursor=cursor, limit=limit)


@router.get("/moderation/queue/{item_id}", response_model=QueueItemOut)
def queue_item(item_id: str, viewer: ModeratorDep, session: DbDep) -> QueueItemOut:
    return queries.queue_item(session, _item_id(item_id))


@router.post("/moderation/queue/{item_id}/decision", response_model=DecisionOut)
def decide(item_id: str, body: DecisionIn, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> DecisionOut:
    return actions.decide(session, services.clock.now(), viewer.user, _item_id(item_id), body)


@router.get("/moderation/mine", response_model=Page[MyDecisionOut])
def my_decisions(request: Request, viewer: ViewerDep, session: DbDep, cursor: Cursor = None,
                 limit: PageLimit = 20) -> Page[MyDecisionOut]:
    """Decisions about your own content (why a note is held or was removed), newest first."""
    return queries.my_decisions(session, viewer.id, cursor, limit, request_locale(request))


# ---------------------------------------------------------------------------------------- appeals


def _decision_id(value: str) -> int:
    parsed = ids.decode(value)
    if parsed is None:
        raise not_found("decision")
    return parsed


def _appeal_id(value: str) -> int:
    parsed = ids.decode(value)
    if parsed is None:
        raise not_found("appeal")
    return parsed


@router.post("/moderation/decisions/{decision_id}/appeal", response_model=AppealOut,
             status_code=status.HTTP_201_CREATED)
def appeal(decision_id: str, body: AppealIn, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> AppealOut:
    """The author appeals a moderator's removal of their content (the ``id`` in ``/moderation/mine``), once."""
    return actions.appeal(session, services.clock.now(), viewer.user, _decision_id(decision_id), body)


@router.get("/moderation/appeals", response_model=Page[AppealOut])
def appeals(viewer: ModeratorDep, session: DbDep, state: AppealState | None = "open",
            kind: Literal["note", "comment"] | None = None, cursor: Cursor = None,
            limit: PageLimit = 20) -> Page[AppealOut]:
    return queries.appeals_page(session, state=state, kind=kind, cursor=cursor, limit=limit)


@router.post("/moderation/appeals/{appeal_id}/decision", response_model=AppealOut)
def decide_appeal(appeal_id: str, body: AppealDecisionIn, viewer: ModeratorDep, session: DbDep,
                  services: ServicesDep) -> AppealOut:
    return actions.decide_appeal(session, services.clock.now(), viewer.user, _appeal_id(appeal_id), body)


# ---------------------------------------------------------------------------------- audit, roles


@router.get("/moderation/audit", response_model=Page[AuditOut])
def audit_log(viewer: AdminDep, session: DbDep, cursor: Cursor = None, limit: PageLimit = 50) -> Page[AuditOut]:
    return queries.audit_page(session, cursor, limit)


@router.put("/admin/users/{username}/role", response_model=RoleOut)
def set_role(username: str, body: RoleIn, viewer: AdminDep, session: DbDep, services: ServicesDep) -> RoleOut:
    return actions.set_role(session, services.clock.now(), viewer.user, username, body.role)
