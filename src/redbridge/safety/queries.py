"""Reads of reports, the review queue, the audit log and the decisions an author may see.

Queue pages are keyset pages on the item id (oldest first: the queue is worked in order), filtered
in SQL — by kind, category (``categories LIKE '%,code,%'``), language (the note's or comment's) and
age — and limited to items whose subject still exists, so a page is never short because content
was deleted while it waited. Each page's content, evidence, reports and author histories are read
in one query per kind, not per item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from redbridge.accounts.models import User
from redbridge.accounts.queries import briefs
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.core.i18n import _, gettext
from redbridge.core.pagination import Page, id_page
from redbridge.engagement.models import Comment
from redbridge.moderation.models import OPEN, AuditEntry, ModerationDecision, QueueItem
from redbridge.moderation.screening import reason_message
from redbridge.notes.models import Note
from redbridge.safety.models import Appeal, Report
from redbridge.safety.schemas import (
    AppealOut,
    AuditOut,
    AuthorHistory,
    DecisionRow,
    MyDecisionOut,
    QueueContent,
    QueueItemOut,
    ReportOut,
    ReportSummary,
)

DETAILS_SHOWN = 5
# The kind a queue item's decision rows carry (``moderation_decisions.subject_kind``).
DECISION_KIND = {"note": "note", "comment": "comment", "user": "profile"}
_APPROVED_MESSAGE = _("A moderator reviewed this and found no violation.")
_APPEAL_MESSAGES = {
    "reinstate": _("On appeal, another moderator reinstated this."),
    "uphold": _("On appeal, another moderator upheld the removal."),
}


# ---------------------------------------------------------------------------------------- reports


def my_reports(session: Session, reporter_id: int, cursor: str | None, limit: int) -> Page[ReportOut]:
    """The reporter's reports, newest first, with the outcome once the item is decided."""
    query = select(Report).where(Report.reporter_id == reporter_id)
    rows, next_cursor = id_page(session, query, Report.id, cursor, limit, newest_first=True)
    return Page(items=[report_out(r) for r in rows], next_cursor=next_cursor)


def report_out(report: Report, *, merged: bool = False) -> ReportOut:
    return ReportOut(
        id=ids.encode(report.id), subject=report.subject_kind,
        subject_id=ids.encode(report.subject_id), reason=report.reason,
        detail=report.detail, status="closed" if report.outcome else "open",
        outcome=report.outcome,
        created_at=report.created_at, resolved_at=report.resolved_at, merged=merged,
    )


# ------------------------------------------------------------------------------------------ queue


def _subject_exists() -> ColumnElement[bool]:
    return or_(
        and_(QueueItem.subject_kind == "note", exists().where(Note.id == QueueItem.subject_id)),
        and_(QueueItem.subject_kind == "comment", exists().where(Comment.id == QueueItem.subject_id)),
        and_(QueueItem.subject_kind == "user",
             exists().where(User.id == QueueItem.subject_id, User.is_active.is_(True))),
    )


def _in_lang(lang: str) -> ColumnElement[bool]:
    return or_(
        and_(QueueItem.subject_kind == "note", exists().where(Note.id == QueueItem.subject_id, Note.lang == lang)),
        and_(QueueItem.subject_kind == "comment",
             exists().where(Comment.id == QueueItem.subject_id, Comment.lang == lang)),
    )


def queue_page(session: Session, *, kind: str | None, category: str | None, lang: str | None,
               created_before: datetime | None, cursor: str | None, limit: int) -> Page[QueueItemOut]:
    """Open items, oldest first. ``lang`` matches a note's or comment's detected language (users
    have none: a language filter leaves them out)."""
    query = select(QueueItem).where(QueueItem.state == OPEN, _subject_exists())
    if kind is not None:
        query = query.where(QueueItem.subject_kind == kind)
    if category is not None:
        query = query.where(QueueItem.categories.like(f"%,{category},%"))
    if lang is not None:
        query = query.where(_in_lang(lang) if lang.isalpha() else false())
    if created_before is not None:
        query = query.where(QueueItem.created_at < created_before)
    rows, next_cursor = id_page(session, query, QueueItem.id, cursor, limit, newest_first=False)
    return Page(items=items_out(session, rows), next_cursor=next_cursor)


def queue_item(session: Session, item_id: int) -> QueueItemOut:
    item = session.get(QueueItem, item_id)
    if item is None:
        raise not_found("queue_item")
    out = items_out(session, [item])
    if not out:
        raise not_found("queue_item")
    return out[0]


def _decision_row(row: ModerationDecision, moderators: dict[int, str]) -> DecisionRow:
    return DecisionRow(
        id=ids.encode(row.id), decision=row.decision, reasons=list(row.reasons or []),
        evidence=list(row.evidence or []), source=row.source,
        moderator=moderators.get(row.moderator_id) if row.moderator_id is not None else None,
        created_at=row.created_at,
    )


def _contents(session: Session, items: Sequence[QueueItem]) -> dict[tuple[str, int], QueueContent]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for item in items:
        by_kind[item.subject_kind].append(item.subject_id)
    found: dict[tuple[str, int], QueueContent] = {}
    if by_kind["note"]:
        for note in session.scalars(select(Note).where(Note.id.in_(by_kind["note"]))):
            found["note", note.id] = QueueContent(status=note.status, label=note.label, lang=note.lang,
                                                  title=note.title, body=note.body)
    if by_kind["comment"]:
        for comment in session.scalars(select(Comment).where(Comment.id.in_(by_kind["comment"]))):
            found["comment", comment.id] = QueueContent(status=comment.status, lang=comment.lang, body=comment.body,
                                                        note_id=ids.encode(comment.note_id))
    if by_kind["user"]:
        for user in session.scalars(select(User).where(User.id.in_(by_kind["user"]))):
            found["user", user.id] = QueueContent(display_name=user.display_name, bio=user.bio)
    return found


def items_out(session: Session, items: Sequence[QueueItem]) -> list[QueueItemOut]:
    """The page's items as moderators see them (items whose subject is gone are left out)."""
    if not items:
        return []
    contents = _contents(session, items)
    authors = briefs(session, {i.author_id for i in items})
    item_ids = [i.id for i in items]

    evidence: dict[tuple[str, int], list[ModerationDecision]] = defaultdict(list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for item in items:
        by_kind[DECISION_KIND[item.subject_kind]].append(item.subject_id)
    for decision_kind, subject_ids in by_kind.items():
        for row in session.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.subject_kind == decision_kind, ModerationDecision.subject_id.in_(subject_ids))
            .order_by(ModerationDecision.id)
        ):
            evidence[row.subject_kind, row.subject_id].append(row)
    moderator_ids = {r.moderator_id for rows in evidence.values() for r in rows if r.moderator_id is not None}
    moderators = dict(session.execute(select(User.id, User.username).where(User.id.in_(moderator_ids))).all()) \
        if moderator_ids else {}

    reasons: dict[int, Counter[str]] = defaultdict(Counter)
    for item_id, reason, n in session.execute(
        select(Report.queue_item_id, Report.reason, func.count())
        .where(Report.queue_item_id.in_(item_ids)).group_by(Report.queue_item_id, Report.reason)
    ):
        reasons[item_id][reason] = n
    details: dict[int, list[str]] = defaultdict(list)
    for item_id, detail in session.execute(
        select(Report.queue_item_id, Report.detail)
        .where(Report.queue_item_id.in_(item_ids), Report.detail != "").order_by(Report.id.desc())
        .limit(DETAILS_SHOWN * len(item_ids))
    ):
        if len(details[item_id]) < DETAILS_SHOWN:
            details[item_id].append(detail)

    history: dict[int, Counter[str]] = defaultdict(Counter)
    for author_id, decision, source, n in session.execute(
        select(ModerationDecision.author_id, ModerationDecision.decision, ModerationDecision.source, func.count())
        .where(ModerationDecision.author_id.in_({i.author_id for i in items}))
        .group_by(ModerationDecision.author_id, ModerationDecision.decision, ModerationDecision.source)
    ):
        history[author_id]["decisions"] += n
        if decision == "remove" and source == "moderator":
            history[author_id]["removals"] += n
        if decision == "hold" and source == "pipeline":
            history[author_id]["holds"] += n

    appeals = dict(session.execute(select(Appeal.queue_item_id, Appeal.id)
                                   .where(Appeal.queue_item_id.in_(item_ids))).all())

    out: list[QueueItemOut] = []
    for item in items:
        content = contents.get((item.subject_kind, item.subject_id))
        author = authors.get(item.author_id)
        if content is None or author is None:
            continue
        own = evidence[DECISION_KIND[item.subject_kind], item.subject_id]
        past = history[item.author_id]
        out.append(QueueItemOut(
            id=ids.encode(item.id), kind=item.subject_kind,
            subject_id=ids.encode(item.subject_id), held=item.held,
            categories=[c for c in item.categories.split(",") if c], report_count=item.report_count,
            state=item.state, outcome=item.outcome,
            created_at=item.created_at, author=author, content=content,
            evidence=[_decision_row(r, moderators) for r in own],
            reports=ReportSummary(count=item.report_count, reasons=dict(reasons[item.id]), details=details[item.id]),
            author_history=AuthorHistory(
                decisions=past["decisions"] - len(own),
                removals=past["removals"] - sum(r.decision == "remove" and r.source == "moderator" for r in own),
                holds=past["holds"] - sum(r.decision == "hold" and r.source == "pipeline" for r in own),
            ),
            appeal_id=ids.encode(appeals[item.id]) if item.id in appeals else None,
        ))
    return out


# ------------------------------------------------------------------------------- author and admin


def my_decisions(session: Session, user_id: int, cursor: str | None, limit: int, locale: str) -> Page[MyDecisionOut]:
    """Decisions about the caller's own content, newest first: why a note is held or removed, with
    the first reason as one sentence in ``locale``."""
    query = select(ModerationDecision).where(ModerationDecision.author_id == user_id)
    rows, next_cursor = id_page(session, query, ModerationDecision.id, cursor, limit, newest_first=True)
    def message(row: ModerationDecision) -> str:
        if row.source == "appeal":
            msgid = _APPEAL_MESSAGES[row.decision]
        elif row.decision == "approve":
            msgid = _APPROVED_MESSAGE
        else:
            msgid = reason_message(list(row.reasons or []))
        return gettext(msgid, locale)

    appealed = dict(session.execute(select(Appeal.decision_id, Appeal.state)
                                    .where(Appeal.decision_id.in_([r.id for r in rows]))).all()) \
        if rows else {}
    return Page(items=[MyDecisionOut(
        id=ids.encode(r.id), appeal=appealed.get(r.id),
        kind=r.subject_kind,
        subject_id=ids.encode(r.subject_id), decision=r.decision, reasons=list(r.reasons or []),
        message=message(r),
        source=r.source,
        created_at=r.created_at,
    ) for r in rows], next_cursor=next_cursor)


def audit_page(session: Session, cursor: str | None, limit: int) -> Page[AuditOut]:
    rows, next_cursor = id_page(session, select(AuditEntry), AuditEntry.id, cursor, limit, newest_first=True)
    actor_ids = {r.actor_id for r in rows if r.actor_id is not None}
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(actor_ids))).all()) \
        if actor_ids else {}
    return Page(items=[AuditOut(
        id=ids.encode(r.id), actor=names.get(r.actor_id) if r.actor_id is not None else None, action=r.action,
        subject_kind=r.subject_kind, subject_id=ids.encode(r.subject_id), details=dict(r.details or {}),
        created_at=r.created_at,
    ) for r in rows], next_cursor=next_cursor)


# ---------------------------------------------------------------------------------------- appeals


def appeals_out(session: Session, rows: Sequence[Appeal]) -> list[AppealOut]:
    """Appeals as moderators see them: names and the removal's reasons read once per page."""
    if not rows:
        return []
    people = {r.author_id for r in rows} | {r.removed_by for r in rows if r.removed_by is not None} \
        | {r.decided_by for r in rows if r.decided_by is not None}
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(people))).all())
    reasons = dict(session.execute(select(ModerationDecision.id, ModerationDecision.reasons)
                                   .where(ModerationDecision.id.in_([r.decision_id for r in rows]))).all())
    return [AppealOut(
        id=ids.encode(r.id), decision_id=ids.encode(r.decision_id), kind=r.subject_kind,
        subject_id=ids.encode(r.subject_id), author=names.get(r.author_id), text=r.text,
        reasons=list(reasons.get(r.decision_id) or []),
        removed_by=names.get(r.removed_by) if r.removed_by is not None else None,
        state=r.state, outcome=r.outcome,
        decided_by=names.get(r.decided_by) if r.decided_by is not None else None,
        created_at=r.created_at, decided_at=r.decided_at,
    ) for r in rows]


def appeal_out(session: Session, row: Appeal) -> AppealOut:
    return appeals_out(session, [row])[0]


def appeals_page(session: Session, *, state: str | None, kind: str | None, cursor: str | None,
                 limit: int) -> Page[AppealOut]:
    """Appeals, oldest first (worked in order, like the queue); ``state`` open | closed, both when None."""
    query = select(Appeal)
    if state is not None:
        query = query.where(Appeal.state == state)
    if kind is not None:
        query = query.where(Appeal.subject_kind == kind)
    rows, next_cursor = id_page(session, query, Appeal.id, cursor, limit, newest_first=False)
    return Page(items=appeals_out(session, rows), next_cursor=next_cursor)
