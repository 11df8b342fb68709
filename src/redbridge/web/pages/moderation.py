"""Trust and safety pages (docs/moderation.md, "Pages"): the moderators' review queue, one queue item
with its evidence and the decision form, appeals, the audit log (admins); the author's view of the
decisions about their content with the appeal form; the report form on notes, comments and
profiles, and the reporter's list of their reports with the outcome.

The same actions and queries as the API (``safety.actions.report`` / ``count_report`` / ``decide``
/ ``appeal`` / ``decide_appeal``, ``safety.queries``), so a page decides exactly what the API
would, writes the same audit rows and is rate-limited the same way. Moderators and admins only
for ``/moderation/...`` (the audit log: admins), read from the account row on every request, as
``safety.deps`` does: a plain account gets the 403 page, nobody logged in the login redirect.

Two small reads live here rather than in ``safety.queries`` (another piece of work is changing
that module now): the queue items behind a page of appeals, and the current state of the content
the author's decisions are about. Both are one query per page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, get_args

from fastapi import APIRouter, Response
from pydantic import BaseModel

from redbridge.accounts.deps import Viewer
from redbridge.core import ids
from redbridge.core.deps import client_ip
from redbridge.core.errors import path_id
from redbridge.core.i18n import _, gettext
from redbridge.notes.models import REMOVED
from redbridge.safety import actions, queries
from redbridge.safety.models import Appeal
from redbridge.safety.schemas import (
    AppealDecisionIn,
    AppealIn,
    Category,
    DecisionIn,
    DecisionReason,
    MyDecisionOut,
    QueueItemOut,
    ReportIn,
    SubjectKind,
)
from redbridge.translations.service import moderator_translation
from redbridge.web.deps import FormDep, PageContext, PageDep, form_text
from redbridge.web.forms import FormErrors, catch, validate
from redbridge.web.pages.common import url_with

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
AUDIT_PAGE = 50
AUTHOR_DECISIONS_SHOWN = 5

CATEGORIES: tuple[str, ...] = get_args(Category)
# The decision forms' reasons, "no violation" first (an approval's).
DECISION_REASONS: tuple[str, ...] = ("no_violation", *(r for r in get_args(DecisionReason) if r != "no_violation"))
KINDS: tuple[str, ...] = get_args(SubjectKind)
CONTENT_LANGS = ("en", "zh", "mixed", "other")  # what the pipeline's language id stores
# The queue's age filter is a choice of a few ages (the API also takes any number of seconds).
AGES = {"30m": timedelta(minutes=30), "6h": timedelta(hours=6), "1d": timedelta(days=1), "7d": timedelta(days=7)}

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


def _render(page: PageContext, template: str, status: int = 200, **context: Any) -> Response:
    """A moderators' page: the tabs show the audit log to admins."""
    viewer = page.viewer
    return page.render(template, status=status, is_admin=viewer is not None and viewer.user.is_admin,
                       tab="moderation", **context)


def _submit(page: PageContext, model: type[M], values: dict[str, str],
            act: Callable[[M], R]) -> tuple[R | None, dict[str, str], int]:
    """A form post: the API's schema over the fields, then the action on what it parsed. Returns
    (the action's result, {}, 200), or (None, messages by field, status) for the form: 422 when the
    fields are invalid, else the refusal's own status (``forms.catch``: anything not fixable, such
    as 403, 404 or 429, is the error page)."""
    try:
        data = validate(model, page.locale, **values)
        return catch(page.locale, lambda: act(data)), {}, 200
    except FormErrors as refused:
        return None, refused.errors, refused.status


# ------------------------------------------------------------------------------------------ queue


def _choice(value: str | None, allowed: tuple[str, ...] | dict[str, timedelta], name: str,
            errors: dict[str, str], page: PageContext) -> str | None:
    """A filter's value ('' is "any"); anything not on the list is refused at the field."""
    if not value:
        return None
    if value not in allowed:
        errors[name] = gettext(_("This value is not valid."), page.locale)
        return None
    return value


@router.get("/moderation", name="moderation_queue")
def queue_page(page: PageDep, content_lang: str | None = None, category: str | None = None,
               kind: str | None = None, older_than: str | None = None, cursor: str | None = None) -> Response:
    """Open items, oldest first, filtered by the GET form (language, category, kind, age)."""
    page.require_moderator()
    errors: dict[str, str] = {}
    filters = {
        "content_lang": _choice(content_lang, CONTENT_LANGS, "content_lang", errors, page),
        "category": _choice(category, CATEGORIES, "category", errors, page),
        "kind": _choice(kind, KINDS, "kind", errors, page),
        "older_than": _choice(older_than, AGES, "older_than", errors, page),
    }
    if errors:
        return _render(page, "pages/moderation/queue.html", 422, items=[], next_url=None, filters=filters,
                       errors=errors, section="queue", **_choices())
    age = AGES.get(filters["older_than"] or "")
    found = queries.queue_page(page.session, kind=filters["kind"], category=filters["category"],
                               lang=filters["content_lang"],
                               created_before=page.services.clock.now() - age if age is not None else None,
                               cursor=cursor, limit=PAGE_SIZE)
    next_url = url_with("/moderation", **filters, cursor=found.next_cursor) if found.next_cursor else None
    return _render(page, "pages/moderation/queue.html", items=found.items, next_url=next_url, filters=filters,
                   errors={}, section="queue", **_choices())


def _choices() -> dict[str, Any]:
    return {"categories": CATEGORIES, "kinds": KINDS, "content_langs": CONTENT_LANGS, "ages": tuple(AGES)}


# ------------------------------------------------------------------------------------- queue item


def _item_context(page: PageContext, item: QueueItemOut) -> dict[str, Any]:
    author_id = ids.decode(item.author.id)
    assert author_id is not None
    history = queries.my_decisions(page.session, author_id, None, AUTHOR_DECISIONS_SHOWN, page.locale).items
    appeal = None
    if item.appeal_id is not None:
        appeal_id = ids.decode(item.appeal_id)
        row = page.session.get(Appeal, appeal_id) if appeal_id is not None else None
        appeal = queries.appeal_out(page.session, row) if row is not None else None
    translations: dict[str, dict[str, Any]] = {}
    subject_id = ids.decode(item.subject_id)
    if subject_id is not None:
        out = moderator_translation(page.services, page.session, item.kind, subject_id, item.content.lang,
                                    page.viewer_id or 0, page.locale, client_ip(page.request))
        if out is not None:
            # The translate control's own shape (``macros/ui.html``), so its markup and translate.js serve.
            translations[f"{item.kind}:{item.subject_id}"] = {"kind": item.kind, "id": item.subject_id, "out": out,
                                                               "error": None, "first": False}
    return {"item": item, "history": history, "appeal": appeal, "reasons": DECISION_REASONS,
            "translations": translations,
            "actions": ("approve", "label", "remove") if item.kind != "user" else ("approve",),
            "section": "queue"}


def _item_page(page: PageContext, item_id: int, status: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, str] | None = None) -> Response:
    item = queries.queue_item(page.session, item_id)
    return _render(page, "pages/moderation/item.html", status, errors=errors or {}, values=values or {},
                   **_item_context(page, item))


@router.get("/moderation/items/{item_id}", name="moderation_item")
def item_page(item_id: str, page: PageDep) -> Response:
    page.require_moderator()
    return _item_page(page, path_id(item_id, "queue_item"))


@router.post("/moderation/items/{item_id}/decision", name="moderation_decide")
def decide(item_id: str, page: PageDep, form: FormDep) -> Response:
    """Approve, label or remove, with a reason code (``safety.actions.decide``: one transaction with
    the decision row, the reports' outcome and the audit row); then back to the queue."""
    viewer = page.require_moderator(f"/moderation/items/{item_id}")
    parsed = path_id(item_id, "queue_item")
    values = {"action": form_text(form, "action"), "reason": form_text(form, "reason")}
    _done, errors, status = _submit(page, DecisionIn, values, lambda data: actions.decide(
        page.session, page.services.clock.now(), viewer.user, parsed, data))
    if errors:
        return _item_page(page, parsed, status, errors, values)
    return page.redirect("/moderation")


# ---------------------------------------------------------------------------------------- appeals


def _appeals_page(page: PageContext, cursor: str | None, status: int = 200, errors: dict[str, str] | None = None,
                  values: dict[str, str] | None = None, notice: str | None = None) -> Response:
    found = queries.appeals_page(page.session, state="open", kind=None, cursor=cursor, limit=PAGE_SIZE)
    items = queries.appeal_items(page.session, [i for a in found.items if (i := ids.decode(a.id)) is not None])
    next_url = url_with("/moderation/appeals", cursor=found.next_cursor) if found.next_cursor else None
    return _render(page, "pages/moderation/appeals.html", status, appeals=found.items, items=items,
                   next_url=next_url, errors=errors or {}, values=values or {}, reasons=DECISION_REASONS,
                   notice=notice, section="appeals")


@router.get("/moderation/appeals", name="moderation_appeals")
def appeals_page(page: PageDep, cursor: str | None = None) -> Response:
    """Open appeals, oldest first, each with the author's text and the reinstate / uphold form."""
    page.require_moderator()
    return _appeals_page(page, cursor)


@router.post("/moderation/appeals/{appeal_id}/decision", name="moderation_decide_appeal")
def decide_appeal(appeal_id: str, page: PageDep, form: FormDep) -> Response:
    """Reinstate or uphold (``safety.actions.decide_appeal``): never by the moderator who removed it
    (403 page), an appeal already decided comes back to the list with the message."""
    viewer = page.require_moderator("/moderation/appeals")
    parsed = path_id(appeal_id, "appeal")
    values = {"action": form_text(form, "action"), "reason": form_text(form, "reason")}
    _done, errors, status = _submit(page, AppealDecisionIn, values, lambda data: actions.decide_appeal(
        page.session, page.services.clock.now(), viewer.user, parsed, data))
    if errors:
        # Keyed by the appeal, so the message shows at the right form on a page of many; an appeal
        # decided meanwhile is no longer listed, so a conflict is said above the list.
        return _appeals_page(page, None, status, {f"{appeal_id}:{k}": v for k, v in errors.items()},
                             {f"{appeal_id}:{k}": v for k, v in values.items()},
                             notice=next(iter(errors.values())) if status == 409 else None)
    return page.redirect("/moderation/appeals")


# ------------------------------------------------------------------------------------------ audit


@router.get("/moderation/audit", name="moderation_audit")
def audit_page(page: PageDep, cursor: str | None = None) -> Response:
    """The audit log, newest first (admins only)."""
    page.require_admin()
    found = queries.audit_page(page.session, cursor, AUDIT_PAGE)
    next_url = url_with("/moderation/audit", cursor=found.next_cursor) if found.next_cursor else None
    return _render(page, "pages/moderation/audit.html", entries=found.items, next_url=next_url, section="audit")


# ------------------------------------------------------------------------------ the author's view


def _appealable(decision: MyDecisionOut, state: dict[str, Any] | None) -> bool:
    """What ``safety.actions.appeal`` accepts: a moderator's removal, not yet appealed, of content
    that is still removed (the action checks again)."""
    return (decision.source == "moderator" and decision.decision == "remove" and decision.appeal is None
            and state is not None and state["status"] == REMOVED)


def _mine_page(page: PageContext, viewer: Viewer, cursor: str | None, status: int = 200,
               errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    found = queries.my_decisions(page.session, viewer.id, cursor, PAGE_SIZE, page.locale)
    states = queries.content_states(page.session, found.items)
    next_url = url_with("/settings/moderation", cursor=found.next_cursor) if found.next_cursor else None
    rows = [{"decision": d, "state": states.get(d.subject_id), "appealable": _appealable(d, states.get(d.subject_id))}
            for d in found.items]
    return page.render("pages/moderation/mine.html", status=status, rows=rows, next_url=next_url,
                       errors=errors or {}, values=values or {}, section="moderation", tab="")


@router.get("/settings/moderation", name="settings_moderation")
def mine_page(page: PageDep, cursor: str | None = None) -> Response:
    """Decisions about the viewer's content, newest first: the reason in their language, the
    content's state, and the appeal form where an appeal is possible."""
    return _mine_page(page, page.require_login(), cursor)


@router.post("/settings/moderation/{decision_id}/appeal", name="settings_appeal")
def appeal(decision_id: str, page: PageDep, form: FormDep) -> Response:
    """Appeal a removal once (``safety.actions.appeal``); someone else's decision is 404."""
    viewer = page.require_login("/settings/moderation")
    parsed = path_id(decision_id, "decision")
    text = form_text(form, "text")
    _done, errors, status = _submit(page, AppealIn, {"text": text}, lambda data: actions.appeal(
        page.session, page.services.clock.now(), viewer.user, parsed, data))
    if errors:
        message = errors.get("text") or next(iter(errors.values()))
        return _mine_page(page, viewer, None, status, {decision_id: message}, {decision_id: text})
    return page.redirect(f"/settings/moderation#d-{decision_id}")


# ---------------------------------------------------------------------------------------- reports


@router.post("/report", name="report")
def report(page: PageDep, form: FormDep) -> Response:
    """Report a note, comment or profile (the report control's form): the API's rules, its rate
    limits and its answers (not visible to the reporter: 404; one's own: the form again, 422)."""
    viewer = page.require_login("/")
    values = {name: form_text(form, name) for name in ("subject", "id", "reason", "detail")}

    def send(data: ReportIn) -> str:
        # Spent once the form is valid, before the action, as the API does (429 is the error page).
        actions.count_report(page.services, viewer.id, client_ip(page.request))
        return actions.report(page.session, page.services.clock.now(), viewer.user, data)[0].id

    report_id, errors, status = _submit(page, ReportIn, values, send)
    if report_id is not None:
        return page.redirect(f"/settings/reports#r-{report_id}")
    return page.render("pages/moderation/report.html", status=status, values=values, errors=errors,
                       subject_ok=values["subject"] in KINDS, tab="")


@router.get("/settings/reports", name="settings_reports")
def my_reports_page(page: PageDep, cursor: str | None = None) -> Response:
    """The viewer's reports, newest first, with the outcome once a moderator has decided."""
    viewer = page.require_login()
    found = queries.my_reports(page.session, viewer.id, cursor, PAGE_SIZE)
    next_url = url_with("/settings/reports", cursor=found.next_cursor) if found.next_cursor else None
    return page.render("pages/moderation/reports.html", reports=found.items, next_url=next_url,
                       section="reports", tab="")
