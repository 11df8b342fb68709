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
from redbridge.core.errors import AppError, ErrorEnvelope, path_id, request_locale
from redbridge.core.i18n import _
from redbridge.core.pagination import Page, PageLimit
from redbridge.safety import actions, queries
from redbridge.safety.deps import AdminDep, ModeratorDep
from redbridge.safety.schemas import (
    AccountActionIn,
    AccountActionOut,
    AccountHistoryOut,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    AppealState,
    AuditOut,
    Category,
    DecisionIn,
    DecisionOut,
    ExampleIn,
    ExampleOut,
    ImageBlockIn,
    ImageBlockOut,
    ImageBlocksAdded,
    ImageCategory,
    MyDecisionOut,
    QueueItemOut,
    ReportIn,
    ReportOut,
    RoleIn,
    RoleOut,
    SubjectKind,
    SurgeIn,
    SurgeOut,
)
from redbridge.translations.service import moderator_translation

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
router = APIRouter(prefix="/api/v1", tags=["safety"], responses=ERRORS)
Cursor = Annotated[str | None, Query(max_length=2048)]
_AGE = re.compile(r"^(\d{1,7})([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


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
def queue_item(item_id: str, request: Request, viewer: ModeratorDep, session: DbDep,
               services: ServicesDep) -> QueueItemOut:
    out = queries.queue_item(session, path_id(item_id, "queue_item"))
    subject_id = ids.decode(out.subject_id)
    if subject_id is not None:
        out.translation = moderator_translation(services, session, out.kind, subject_id, out.content.lang,
                                                viewer.user.id, request_locale(request), client_ip(request))
    return out


@router.post("/moderation/queue/{item_id}/decision", response_model=DecisionOut)
def decide(item_id: str, body: DecisionIn, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> DecisionOut:
    return actions.decide(session, services.clock.now(), viewer.user, path_id(item_id, "queue_item"), body)


@router.get("/moderation/mine", response_model=Page[MyDecisionOut])
def my_decisions(request: Request, viewer: ViewerDep, session: DbDep, cursor: Cursor = None,
                 limit: PageLimit = 20) -> Page[MyDecisionOut]:
    """Decisions about your own content (why a note is held or was removed), newest first."""
    return queries.my_decisions(session, viewer.id, cursor, limit, request_locale(request))


# ---------------------------------------------------------------------------------------- appeals


@router.post("/moderation/decisions/{decision_id}/appeal", response_model=AppealOut,
             status_code=status.HTTP_201_CREATED)
def appeal(decision_id: str, body: AppealIn, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> AppealOut:
    """The author appeals a moderator's removal of their content (the ``id`` in ``/moderation/mine``), once."""
    return actions.appeal(session, services.clock.now(), viewer.user, path_id(decision_id, "decision"), body)


@router.get("/moderation/appeals", response_model=Page[AppealOut])
def appeals(viewer: ModeratorDep, session: DbDep, state: AppealState | None = "open",
            kind: Literal["note", "comment", "translation"] | None = None, cursor: Cursor = None,
            limit: PageLimit = 20) -> Page[AppealOut]:
    return queries.appeals_page(session, state=state, kind=kind, cursor=cursor, limit=limit)


@router.post("/moderation/appeals/{appeal_id}/decision", response_model=AppealOut)
def decide_appeal(appeal_id: str, body: AppealDecisionIn, viewer: ModeratorDep, session: DbDep,
                  services: ServicesDep) -> AppealOut:
    return actions.decide_appeal(session, services.clock.now(), viewer.user, path_id(appeal_id, "appeal"), body)


# ---------------------------------------------------------------------------------- audit, roles


@router.get("/moderation/audit", response_model=Page[AuditOut])
def audit_log(viewer: AdminDep, session: DbDep, cursor: Cursor = None, limit: PageLimit = 50) -> Page[AuditOut]:
    return queries.audit_page(session, cursor, limit)


@router.put("/admin/users/{username}/role", response_model=RoleOut)
def set_role(username: str, body: RoleIn, viewer: AdminDep, session: DbDep, services: ServicesDep) -> RoleOut:
    return actions.set_role(session, services.clock.now(), viewer.user, username, body.role)


# -------------------------------------------------------------------------------- account actions


@router.get("/moderation/users/{username}", response_model=AccountHistoryOut)
def account_history(username: str, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> AccountHistoryOut:
    """An account's standing and history: decisions about its content, reports against it, actions."""
    return queries.account_history(session, username, services.clock.now())


@router.post("/moderation/users/{username}/actions", response_model=AccountActionOut,
             status_code=status.HTTP_201_CREATED)
def act_on_account(username: str, body: AccountActionIn, viewer: ModeratorDep, session: DbDep,
                   services: ServicesDep) -> AccountActionOut:
    """Warn, mute (``hours``), suspend (``hours``) or ban (admins) an account."""
    return actions.act_on_account(session, services.clock.now(), viewer.user, username, body)


@router.post("/moderation/users/{username}/actions/{action_id}/lift", response_model=AccountActionOut)
def lift_action(username: str, action_id: str, viewer: ModeratorDep, session: DbDep,
                services: ServicesDep) -> AccountActionOut:
    """Lift a mute, suspension or ban early (unmute, unsuspend, unban)."""
    parsed = path_id(action_id, "account_action")
    return actions.lift_action(session, services.clock.now(), viewer.user, username, parsed)


# ------------------------------------------------------------------------------ semantic examples


@router.post("/moderation/examples", response_model=ExampleOut, status_code=status.HTTP_201_CREATED)
def add_example(body: ExampleIn, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> ExampleOut:
    """Mark an example of violating content (a ``text``, or a queue item's content): new notes and
    comments close to it in meaning, in English or Chinese, are held for review."""
    return actions.add_example(session, services.clock.now(), viewer.user, body, queries.semantic_index(services))


@router.get("/moderation/examples", response_model=Page[ExampleOut])
def examples(viewer: ModeratorDep, session: DbDep, state: Literal["enabled", "disabled", "all"] = "enabled",
             cursor: Cursor = None, limit: PageLimit = 20) -> Page[ExampleOut]:
    """Marked examples, newest first."""
    disabled = None if state == "all" else state == "disabled"
    return queries.examples_page(session, disabled=disabled, cursor=cursor, limit=limit)


@router.delete("/moderation/examples/{example_id}", response_model=ExampleOut)
def disable_example(example_id: str, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> ExampleOut:
    """Disable an example: nothing more is held for resembling it (what it held stays in the queue)."""
    parsed = path_id(example_id, "example")
    return actions.disable_example(session, services.clock.now(), viewer.user, parsed)


# -------------------------------------------------------------------------------- image blocklist


@router.post("/moderation/image-blocklist", response_model=ImageBlocksAdded, status_code=status.HTTP_201_CREATED)
def add_image_blocks(body: ImageBlockIn, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> ImageBlocksAdded:
    """Block a picture (``media_id``) or every picture of a note (``note_id``) by perceptual hash:
    uploads like it are refused from now on, and notes that already show one are held (a job)."""
    return actions.add_image_blocks(session, services.clock.now(), viewer.user, body)


@router.get("/moderation/image-blocklist", response_model=Page[ImageBlockOut])
def image_blocklist(viewer: ModeratorDep, session: DbDep, category: ImageCategory | None = None,
                    cursor: Cursor = None, limit: PageLimit = 20) -> Page[ImageBlockOut]:
    """The blocked hashes, newest first."""
    return queries.image_blocks_page(session, category=category, cursor=cursor, limit=limit)


@router.delete("/moderation/image-blocklist/{entry_id}", response_model=ImageBlockOut)
def remove_image_block(entry_id: str, viewer: ModeratorDep, session: DbDep, services: ServicesDep) -> ImageBlockOut:
    """Take a hash off the list (the notes it held stay in the queue for a moderator)."""
    parsed = path_id(entry_id, "image_block")
    return actions.remove_image_block(session, services.clock.now(), viewer.user, parsed)


# ------------------------------------------------------------------------------------ surge mode


@router.get("/admin/surge", response_model=SurgeOut)
def get_surge(viewer: AdminDep, session: DbDep, services: ServicesDep) -> SurgeOut:
    """Surge mode's switch, whether it is in force, and the open review queue against its threshold."""
    return queries.surge_out(session, services.settings.spam.surge_queue_threshold)


@router.put("/admin/surge", response_model=SurgeOut)
def set_surge(body: SurgeIn, viewer: AdminDep, session: DbDep, services: ServicesDep) -> SurgeOut:
    """Switch surge mode off, to auto (on past the queue threshold) or on (audited)."""
    return actions.set_surge(session, services.clock.now(), viewer.user, body.mode,
                             services.settings.spam.surge_queue_threshold)
