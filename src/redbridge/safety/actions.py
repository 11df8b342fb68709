"""Writes of reports, moderators' decisions and role changes. Each public function owns its
transaction (``with write(session):``), and every moderator or admin action writes its
``safety_audit`` row in that same transaction (:func:`audit`).

Lock order (``core.db.write``): a decision locks the content first — through the content
feature's own ``moderate_in_tx`` (the note row; for a comment its note, then the comment) — then
the queue item, then users (the author's counters). A report locks only the queue item (it reads
the content without a lock), and a hold opens its item after the note row it is written with, so
no two of them wait on each other in a cycle. Two moderators deciding one item meet on the
content's lock; the second finds the item closed (409). An appeal opens its item like a report
(only the queue item); deciding it locks as a decision does (:func:`_move_content`).

What a decision moves: see ``notes.actions.moderate_in_tx`` and
``engagement.actions.moderate_comment_in_tx`` (status, counters, announcements, events). A user
item (a reported profile) can only be approved here — dismissing the reports; acting on an
account (warn, mute, suspend, ban) is the next phase's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redbridge.accounts import actions as accounts_actions
from redbridge.accounts.models import User
from redbridge.accounts.queries import by_username
from redbridge.core import ids
from redbridge.core.db import insert_ignore, write
from redbridge.core.errors import AppError, forbidden, not_found
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.engagement import actions as engagement_actions
from redbridge.engagement.models import Comment
from redbridge.engagement.queries import comment_note_id
from redbridge.moderation import queue
from redbridge.moderation.audit import audit
from redbridge.moderation.models import OPEN, ModerationDecision, QueueItem
from redbridge.moderation.screening import LABEL_SENSITIVE
from redbridge.notes import actions as notes_actions
from redbridge.notes.models import PUBLISHED, REMOVED, Note
from redbridge.notes.queries import get_visible
from redbridge.safety.models import Appeal, Report
from redbridge.safety.queries import DECISION_KIND, appeal_out, report_out
from redbridge.safety.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    DecisionIn,
    DecisionOut,
    ReportIn,
    ReportOut,
    RoleOut,
)

OUTCOMES = {"approve": "approved", "remove": "removed", "label": "labelled"}


# ---------------------------------------------------------------------------------------- reports


def count_report(services: Services, reporter_id: int, ip: str) -> None:
    """Spend one report from the account's and the address's budgets (429 once either is used up)."""
    limits = services.settings.rate_limits
    services.limiter.hit("report-account", ids.encode(reporter_id), limits.report_per_account)
    services.limiter.hit("report-ip", ip, limits.report_per_ip)


def _own() -> AppError:
    return AppError("report.own", _("You cannot report your own content."), 422, fields={"id": "own"})


def _subject(session: Session, reporter: User, kind: str, ref: str) -> tuple[int, int]:
    """(subject id, author id) of what the reporter may see; 404 as for reading it otherwise."""
    if kind == "user":
        user = by_username(session, ref)
        if user is None or not user.is_active:
            raise not_found("user")
        return user.id, user.id
    subject_id = ids.decode(ref)
    if subject_id is None:
        raise not_found(kind)
    if kind == "note":
        note, author = get_visible(session, subject_id, reporter.id)
        return note.id, author.id
    comment_note_id(session, subject_id, reporter.id)  # 404 comment.not_found unless visible
    author_id = session.scalar(select(Comment.author_id).where(Comment.id == subject_id))
    if author_id is None:
        raise not_found("comment")
    return subject_id, author_id


def report(session: Session, now: datetime, reporter: User, data: ReportIn) -> tuple[ReportOut, bool]:
    """Report a note, comment or user; returns the report and whether it is new. Something the
    reporter cannot see is 404 (as reading it would be); their own content is 422. The subject's
    open queue item is made or joined; a second report by the same person on it merges into the
    first (``merged``: nothing changes, the item's ``report_count`` counts people)."""
    with write(session):
        subject_id, author_id = _subject(session, reporter, data.subject, data.id)
        if author_id == reporter.id:
            raise _own()
        item = queue.open_item(session, now, data.subject, subject_id, author_id,
                               categories=[data.reason] if data.reason != "other" else [], held=False)
        created = insert_ignore(session, Report, {
            "id": ids.new_id(now), "queue_item_id": item.id, "reporter_id": reporter.id, "subject_kind": data.subject,
            "subject_id": subject_id, "reason": data.reason, "detail": data.detail, "outcome": None,
            "created_at": now, "resolved_at": None,
        })
        if created:
            session.execute(update(QueueItem).where(QueueItem.id == item.id)
                            .values(report_count=QueueItem.report_count + 1))
        row = session.scalar(select(Report).where(Report.queue_item_id == item.id, Report.reporter_id == reporter.id))
        assert row is not None
    return report_out(row, merged=not created), created


# -------------------------------------------------------------------------------------- decisions


def _closed() -> AppError:
    return AppError("queue_item.closed", _("This item has already been decided."), 409)


def _move_content(session: Session, item: QueueItem, status: str | None,
                  label: str | None = None) -> tuple[str | None, str | None]:
    """The one path a moderator's decision moves content by (a queue decision and an appeal's
    reinstatement alike): the content feature's ``moderate_in_tx`` locks the content first and
    moves its status, counters, announcements and events; then the queue item is locked and must
    still be open (a concurrent decision on it has committed or waits). ``status`` None moves
    nothing (a profile's approval, an upheld removal). Returns the content's (status, label)."""
    new_status: str | None = None
    new_label: str | None = None
    if status is not None and item.subject_kind == "note":
        note = notes_actions.moderate_in_tx(session, item.subject_id, status, label)
        if note is None:
            raise not_found("queue_item")
        new_status, new_label = note.status, note.label
    elif status is not None and item.subject_kind == "comment":
        comment = engagement_actions.moderate_comment_in_tx(session, item.subject_id, status)
        if comment is None:
            raise not_found("queue_item")
        new_status = comment.status
    locked = session.scalar(select(QueueItem.state).where(QueueItem.id == item.id).with_for_update())
    if locked != OPEN:
        raise _closed()
    return new_status, new_label


def decide(session: Session, now: datetime, moderator: User, item_id: int, data: DecisionIn) -> DecisionOut:
    """A moderator's decision on a queue item: approve (published), remove (removed: its author
    and moderators still see it, with the reason), label (published, labelled ``sensitive``; a
    comment has no label and is simply published). Stores the decision row (``source:
    "moderator"``), closes the item, gives every report on it the outcome, and writes the audit
    row — all in one transaction. A moderator cannot decide about their own content (403)."""
    outcome = OUTCOMES[data.action]
    with write(session):
        item = session.scalar(select(QueueItem).where(QueueItem.id == item_id)
                              .execution_options(populate_existing=True))
        if item is None:
            raise not_found("queue_item")
        if item.state != OPEN:
            raise _closed()
        if item.author_id == moderator.id:
            raise forbidden()
        if session.scalar(select(Appeal.id).where(Appeal.queue_item_id == item.id)) is not None:
            raise AppError("queue_item.appeal", _("This item is an appeal: decide it under appeals."), 409)
        if item.subject_kind == "user" and data.action != "approve":
            raise AppError("moderation.action_unsupported",
                           _("A profile can only be approved for now; account actions come later."), 422,
                           fields={"action": "unsupported"})
        new_status, label = _move_content(session, item, REMOVED if data.action == "remove" else PUBLISHED,
                                          LABEL_SENSITIVE if data.action == "label" else None)
        queue.record_moderator_decision(session, now, DECISION_KIND[item.subject_kind], item.subject_id,
                                        item.author_id, data.action, data.reason, moderator.id)
        queue.close(session, now, item, outcome, moderator.id)
        resolved = session.execute(
            update(Report).where(Report.queue_item_id == item.id).values(outcome=outcome, resolved_at=now)
        )
        reports = int(getattr(resolved, "rowcount", 0) or 0)
        audit(session, now, moderator.id, f"queue.{data.action}", item.subject_kind, item.subject_id, {
            "item_id": ids.encode(item.id), "reason": data.reason, "outcome": outcome, "status": new_status,
            "held": item.held, "reports": reports, "categories": [c for c in item.categories.split(",") if c],
        })
    return DecisionOut(item_id=ids.encode(item.id), kind=item.subject_kind,
                       subject_id=ids.encode(item.subject_id), outcome=outcome,
                       status=new_status, label=label, reports_resolved=reports)


# ---------------------------------------------------------------------------------------- appeals

APPEAL_OUTCOMES = {"uphold": "upheld", "reinstate": "reinstated"}
_APPEALABLE = {"note": "note", "comment": "comment"}  # decision kind → queue kind (profiles are not appealed)


def _content_status(session: Session, kind: str, subject_id: int) -> str | None:
    model = Note if kind == "note" else Comment
    return session.scalar(select(model.status).where(model.id == subject_id))


def appeal(session: Session, now: datetime, author: User, decision_id: int, data: AppealIn) -> AppealOut:
    """The author appeals a moderator's removal of their note or comment, once per decision. Someone
    else's decision (or none) is 404; a decision that is not a moderator's removal, or content no
    longer removed, is 409 ``appeal.not_removed``; a second appeal is 409 ``appeal.exists``. Opens the
    subject's queue item again (a new item, pointed at by the appeal), in the same transaction."""
    try:
        with write(session):
            decision = session.get(ModerationDecision, decision_id)
            if decision is None or decision.author_id != author.id:
                raise not_found("decision")
            kind = _APPEALABLE.get(decision.subject_kind)
            if (kind is None or decision.source != "moderator" or decision.decision != "remove"
                    or _content_status(session, kind, decision.subject_id) != REMOVED):
                raise AppError("appeal.not_removed", _("Only content a moderator removed can be appealed."), 409)
            if session.scalar(select(Appeal.id).where(Appeal.decision_id == decision.id)) is not None:
                raise _appealed()
            item = queue.open_item(session, now, kind, decision.subject_id, author.id, categories=[], held=False)
            row = Appeal(id=ids.new_id(now), decision_id=decision.id, queue_item_id=item.id, author_id=author.id,
                         subject_kind=kind, subject_id=decision.subject_id, text=data.text,
                         removed_by=decision.moderator_id, state=OPEN, outcome=None, decided_by=None,
                         created_at=now, decided_at=None)
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent appeal of the same decision won the unique key
        raise _appealed() from None
    return appeal_out(session, row)


def _appealed() -> AppError:
    return AppError("appeal.exists", _("This decision has already been appealed."), 409)


def decide_appeal(session: Session, now: datetime, moderator: User, appeal_id: int,
                  data: AppealDecisionIn) -> AppealOut:
    """A moderator decides an appeal: ``reinstate`` publishes the content again through the path an
    approval takes (:func:`_move_content`: counters, announcements, events), ``uphold`` leaves it
    removed. Not the moderator who removed it (403 ``appeal.same_moderator``), nor the author (403).
    Stores the decision row (``source: "appeal"``), closes the appeal and its queue item, and writes
    the audit row, in one transaction."""
    outcome = APPEAL_OUTCOMES[data.action]
    with write(session):
        row = session.scalar(select(Appeal).where(Appeal.id == appeal_id).execution_options(populate_existing=True))
        if row is None:
            raise not_found("appeal")
        if row.state != OPEN:
            raise AppError("appeal.closed", _("This appeal has already been decided."), 409)
        if row.removed_by == moderator.id:
            raise AppError("appeal.same_moderator",
                           _("Another moderator must decide an appeal of your own removal."), 403)
        if row.author_id == moderator.id:
            raise forbidden()
        item = session.get(QueueItem, row.queue_item_id)
        if item is None:
            raise not_found("appeal")
        status, _label = _move_content(session, item, PUBLISHED if data.action == "reinstate" else None)
        queue.record_moderator_decision(session, now, row.subject_kind, row.subject_id, row.author_id,
                                        data.action, data.reason, moderator.id, source="appeal")
        queue.close(session, now, item, outcome, moderator.id)
        session.execute(update(Appeal).where(Appeal.id == row.id)
                        .values(state="closed", outcome=outcome, decided_by=moderator.id, decided_at=now))
        row.state, row.outcome, row.decided_by, row.decided_at = "closed", outcome, moderator.id, now
        audit(session, now, moderator.id, f"appeal.{data.action}", row.subject_kind, row.subject_id, {
            "appeal_id": ids.encode(row.id), "decision_id": ids.encode(row.decision_id), "reason": data.reason,
            "outcome": outcome, "status": status or _content_status(session, row.subject_kind, row.subject_id),
        })
    return appeal_out(session, row)


# ------------------------------------------------------------------------------------------ roles


def set_role(session: Session, now: datetime, admin: User, username: str, role: str) -> RoleOut:
    """An admin sets an account's role (audited). Not their own: an admin who demoted themselves
    by mistake could not undo it (422)."""
    with write(session):
        target = by_username(session, username)
        if target is None or not target.is_active:
            raise not_found("user")
        if target.id == admin.id:
            raise AppError("role.own", _("You cannot change your own role."), 422, fields={"username": "own"})
        previous = accounts_actions.set_role_in_tx(session, target.id, role)
        if previous is None:
            raise not_found("user")
        audit(session, now, admin.id, "role.set", "user", target.id,
              {"username": target.username, "from": previous, "to": role})
    return RoleOut(username=target.username, role=role, previous=previous)
