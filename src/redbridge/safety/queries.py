"""Reads of reports, the review queue, the audit log and the decisions an author may see.

Queue pages are keyset pages on the item id (oldest first: the queue is worked in order), filtered
in SQL — by kind, category (``categories LIKE '%,code,%'``), language (the note's or comment's) and
age — and limited to items whose subject still exists, so a page is never short because content
was deleted while it waited. Each page's content, evidence, reports and author histories are read
in one query per kind, not per item.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from redbridge.accounts.models import User
from redbridge.accounts.queries import briefs, by_username, usernames
from redbridge.accounts.standing import FOREVER, in_force
from redbridge.core import changes, ids
from redbridge.core.errors import AppError, not_found
from redbridge.core.i18n import _, gettext
from redbridge.core.pagination import Page, id_page
from redbridge.core.services import Services
from redbridge.engagement.models import Comment
from redbridge.media.models import Media
from redbridge.moderation import signals, surge
from redbridge.moderation.models import (
    OPEN,
    AuditEntry,
    ImageBlock,
    ModerationDecision,
    ModerationExample,
    QueueItem,
)
from redbridge.moderation.screening import reason_message
from redbridge.moderation.semantic import ExampleMatrix, SemanticMatcher
from redbridge.notes.models import Note
from redbridge.safety.models import AccountAction, Appeal, Report
from redbridge.safety.schemas import (
    AccountActionOut,
    AccountCounts,
    AccountDecision,
    AccountHistoryOut,
    AccountReport,
    AppealOut,
    AuditOut,
    AuthorHistory,
    DecisionRow,
    ExampleOut,
    ImageBlockOut,
    MyDecisionOut,
    QueueContent,
    QueueItemOut,
    ReportOut,
    ReportSummary,
    SurgeOut,
)
from redbridge.settings import SemanticSettings
from redbridge.text.embed import Embedder, default_embedder, from_bytes
from redbridge.translations.models import CommunityTranslation

DETAILS_SHOWN = 5
# The kind a queue item's decision rows carry (``moderation_decisions.subject_kind``).
DECISION_KIND = {"note": "note", "comment": "comment", "translation": "translation", "user": "profile"}
# The language a community translation is in, by its target (the queue's language filter).
_TARGET_LANG = {"en": "en", "zh-Hans": "zh", "zh-Hant": "zh"}
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
        and_(QueueItem.subject_kind == "translation", exists().where(CommunityTranslation.id == QueueItem.subject_id)),
        and_(QueueItem.subject_kind == "user",
             exists().where(User.id == QueueItem.subject_id, User.is_active.is_(True))),
    )


def _in_lang(lang: str) -> ColumnElement[bool]:
    return or_(
        and_(QueueItem.subject_kind == "note", exists().where(Note.id == QueueItem.subject_id, Note.lang == lang)),
        and_(QueueItem.subject_kind == "comment",
             exists().where(Comment.id == QueueItem.subject_id, Comment.lang == lang)),
        and_(QueueItem.subject_kind == "translation", exists().where(
            CommunityTranslation.id == QueueItem.subject_id,
            CommunityTranslation.target.in_([t for t, t_lang in _TARGET_LANG.items() if t_lang == lang]))),
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
    if by_kind["translation"]:
        for row in session.scalars(select(CommunityTranslation).where(CommunityTranslation.id.in_(by_kind["translation"]))):
            found["translation", row.id] = QueueContent(status=row.status, lang=_TARGET_LANG.get(row.target),
                                                        title=row.title, body=row.body, note_id=ids.encode(row.note_id))
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
    moderators = usernames(session, moderator_ids)

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
    names = usernames(session, actor_ids)
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
    names = usernames(session, people)
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


def appeal_items(session: Session, appeal_ids: Sequence[int]) -> dict[str, QueueItemOut]:
    """The queue items (with their content) that these appeals reopened, by the appeal's encoded
    id; one query for the items (none for no ids)."""
    if not appeal_ids:
        return {}
    rows = list(session.scalars(
        select(QueueItem).join(Appeal, Appeal.queue_item_id == QueueItem.id).where(Appeal.id.in_(appeal_ids))))
    return {item.appeal_id: item for item in items_out(session, rows) if item.appeal_id is not None}


def content_states(session: Session, decisions: Sequence[MyDecisionOut]) -> dict[str, dict[str, Any]]:
    """What each decision is about as it stands now (status, a title or excerpt, where it is), by
    the subject's encoded id: one query per kind."""
    wanted: dict[str, list[int]] = {"note": [], "comment": [], "translation": []}
    for d in decisions:
        subject = ids.decode(d.subject_id)
        if d.kind in wanted and subject is not None:
            wanted[d.kind].append(subject)
    found: dict[str, dict[str, Any]] = {}
    if wanted["note"]:
        for note_id, status, title in session.execute(
                select(Note.id, Note.status, Note.title).where(Note.id.in_(wanted["note"]))):
            found[ids.encode(note_id)] = {"status": status, "text": title, "url": f"/n/{ids.encode(note_id)}"}
    if wanted["comment"]:
        for comment_id, status, body, note_id in session.execute(
                select(Comment.id, Comment.status, Comment.body, Comment.note_id).where(
                    Comment.id.in_(wanted["comment"]))):
            found[ids.encode(comment_id)] = {"status": status, "text": body,
                                             "url": f"/n/{ids.encode(note_id)}#c-{ids.encode(comment_id)}"}
    if wanted["translation"]:
        for row in session.scalars(select(CommunityTranslation).where(CommunityTranslation.id.in_(wanted["translation"]))):
            found[ids.encode(row.id)] = {"status": row.status, "text": row.body,
                                         "url": f"/n/{ids.encode(row.note_id)}/translations?to={row.target}"}
    return found


# -------------------------------------------------------------------------------- account actions

HISTORY_ROWS = 50


def standing_of(user: User, now: datetime) -> str:
    if in_force(user.suspended_until, now):
        assert user.suspended_until is not None
        return "banned" if user.suspended_until >= FOREVER else "suspended"
    return "muted" if in_force(user.muted_until, now) else "ok"


def action_in_force(row: AccountAction, now: datetime) -> bool:
    if row.lifted_at is not None or row.action == "warn":
        return False
    return row.action == "ban" or in_force(row.until, now)


def actions_out(session: Session, rows: Sequence[AccountAction], now: datetime) -> list[AccountActionOut]:
    """Account actions as moderators see them: names read once per list."""
    people = {r.user_id for r in rows} | {r.moderator_id for r in rows if r.moderator_id is not None} \
        | {r.lifted_by for r in rows if r.lifted_by is not None}
    names = usernames(session, people)
    return [AccountActionOut(
        id=ids.encode(r.id), username=names.get(r.user_id, ""), action=r.action, reason=r.reason, until=r.until,
        in_force=action_in_force(r, now),
        moderator=names.get(r.moderator_id) if r.moderator_id is not None else None,
        queue_item_id=ids.encode(r.queue_item_id) if r.queue_item_id is not None else None,
        created_at=r.created_at, lifted_at=r.lifted_at,
        lifted_by=names.get(r.lifted_by) if r.lifted_by is not None else None,
    ) for r in rows]


def account_history(session: Session, username: str, now: datetime) -> AccountHistoryOut:
    """An account's standing, its counts (decisions about its content, reports against it, account
    actions) and the newest ``HISTORY_ROWS`` of each — for the moderator deciding what to do."""
    user = by_username(session, username)
    if user is None:
        raise not_found("user")
    brief = briefs(session, {user.id}).get(user.id)
    if brief is None:
        raise not_found("user")
    actions = list(session.scalars(select(AccountAction).where(AccountAction.user_id == user.id)
                                   .order_by(AccountAction.id.desc()).limit(HISTORY_ROWS)))
    decisions = list(session.scalars(select(ModerationDecision).where(ModerationDecision.author_id == user.id)
                                     .order_by(ModerationDecision.id.desc()).limit(HISTORY_ROWS)))
    against = select(Report).join(QueueItem, QueueItem.id == Report.queue_item_id).where(QueueItem.author_id == user.id)
    reports = list(session.scalars(against.order_by(Report.id.desc()).limit(HISTORY_ROWS)))
    history: Counter[str] = Counter()
    for decision, source, n in session.execute(
        select(ModerationDecision.decision, ModerationDecision.source, func.count())
        .where(ModerationDecision.author_id == user.id)
        .group_by(ModerationDecision.decision, ModerationDecision.source)
    ):
        history["decisions"] += n
        history["removals"] += n if decision == "remove" and source == "moderator" else 0
        history["holds"] += n if decision == "hold" and source == "pipeline" else 0
    report_count = session.scalar(select(func.count()).select_from(against.subquery())) or 0
    action_count = session.scalar(select(func.count()).select_from(AccountAction)
                                  .where(AccountAction.user_id == user.id)) or 0
    suspended = user.suspended_until if in_force(user.suspended_until, now) else None
    return AccountHistoryOut(
        user=brief, role=user.role, standing=standing_of(user, now),
        muted_until=user.muted_until if in_force(user.muted_until, now) else None,
        suspended_until=suspended if suspended is not None and suspended < FOREVER else None,
        counts=AccountCounts(decisions=history["decisions"], removals=history["removals"], holds=history["holds"],
                             reports=int(report_count), actions=int(action_count)),
        actions=actions_out(session, actions, now),
        decisions=[AccountDecision(id=ids.encode(d.id), kind=d.subject_kind, subject_id=ids.encode(d.subject_id),
                                   decision=d.decision, reasons=list(d.reasons or []), source=d.source,
                                   created_at=d.created_at) for d in decisions],
        reports=[AccountReport(id=ids.encode(r.id), subject=r.subject_kind, subject_id=ids.encode(r.subject_id),
                               reason=r.reason, detail=r.detail, outcome=r.outcome, created_at=r.created_at)
                 for r in reports],
    )


# ------------------------------------------------------------------------------ semantic examples

# A moderator marked or disabled an example. The process that did it retires its copy of the
# examples at once; every other process finds out by asking the database (``refresh_s``).
EXAMPLES_CHANGED = changes.Announcement(
    "semantic_examples_changed", "{} — a moderator marked or disabled a semantic example")


def example_out(session: Session, rows: Sequence[ModerationExample]) -> list[ExampleOut]:
    people = {r.added_by for r in rows if r.added_by is not None} | {r.disabled_by for r in rows if r.disabled_by}
    names = usernames(session, people)
    return [ExampleOut(
        id=ids.encode(r.id), text=r.text, lang=r.lang, category=r.category, source=r.source,
        queue_item_id=ids.encode(r.queue_item_id) if r.queue_item_id is not None else None,
        added_by=names.get(r.added_by) if r.added_by is not None else None, created_at=r.created_at,
        disabled=r.disabled_at is not None, disabled_by=names.get(r.disabled_by) if r.disabled_by is not None else None,
        disabled_at=r.disabled_at,
    ) for r in rows]


def examples_page(session: Session, *, disabled: bool | None, cursor: str | None, limit: int) -> Page[ExampleOut]:
    """Marked examples, newest first; ``disabled`` None lists both."""
    query = select(ModerationExample)
    if disabled is not None:
        query = query.where(ModerationExample.disabled_at.is_not(None) if disabled else ModerationExample.disabled_at.is_(None))
    rows, next_cursor = id_page(session, query, ModerationExample.id, cursor, limit, newest_first=True)
    return Page(items=example_out(session, rows), next_cursor=next_cursor)


def item_text(session: Session, item_id: int) -> tuple[QueueItem, str, str]:
    """A queue item with the text and language of its content, to be marked as an example: a note's
    title and body, a comment's body (404 for no such item, or content that is gone; a user item
    has no text to mark — 422)."""
    item = session.get(QueueItem, item_id)
    if item is None:
        raise not_found("queue_item")
    row: tuple[str, str] | None
    if item.subject_kind == "note":
        note = session.execute(select(Note.title, Note.body, Note.lang).where(Note.id == item.subject_id)).first()
        row = ("\n".join(part for part in (note[0], note[1]) if part), note[2]) if note else None
    elif item.subject_kind == "comment":
        comment = session.execute(select(Comment.body, Comment.lang).where(Comment.id == item.subject_id)).first()
        row = (comment[0], comment[1]) if comment else None
    elif item.subject_kind == "translation":
        found = session.get(CommunityTranslation, item.subject_id)
        row = ("\n".join(p for p in (found.title, found.body) if p), _TARGET_LANG[found.target]) if found else None
    else:
        raise AppError("example.no_text", _("Only a note or a comment can be marked as an example."), 422,
                       fields={"queue_item_id": "kind"})
    if row is None:
        raise not_found("queue_item")
    return item, row[0], row[1]


@dataclass(frozen=True, slots=True)
class Checked:
    """What the semantic job checks about one note or comment, read before embedding it."""

    kind: str  # note | comment
    subject_id: int
    author_id: int
    text: str
    lang: str
    version: datetime | None  # a note's ``updated_at`` (an edit after the check skips the hold)


def to_check(session: Session, kind: str, subject_id: int) -> Checked | None:
    """The published note or comment to check, or None: gone, not published (already held or
    removed: nothing for the matcher to add), or approved by a moderator since its last edit — a
    moderator's approval stands against the machine."""
    if kind == "note":
        note = session.get(Note, subject_id)
        if note is None or note.status != "published":
            return None
        checked = Checked("note", note.id, note.author_id, "\n".join(p for p in (note.title, note.body) if p),
                          note.lang, note.updated_at)
    else:
        comment = session.get(Comment, subject_id)
        if comment is None or comment.status != "published":
            return None
        checked = Checked("comment", comment.id, comment.author_id, comment.body, comment.lang, None)
    return None if approved_since(session, checked) else checked


# A moderator's decisions that leave content up: approve, label, reinstate on appeal.
_UPHELD_BY_MODERATOR = ("approve", "label", "reinstate")


def approved_since(session: Session, checked: Checked) -> bool:
    """Whether a moderator let the content stand after its last edit (comments are not edited: any
    such decision counts)."""
    query = select(ModerationDecision.id).where(
        ModerationDecision.subject_kind == checked.kind, ModerationDecision.subject_id == checked.subject_id,
        ModerationDecision.source.in_(("moderator", "appeal")),
        ModerationDecision.decision.in_(_UPHELD_BY_MODERATOR))
    if checked.version is not None:
        query = query.where(ModerationDecision.created_at >= checked.version)
    return session.scalar(query.limit(1)) is not None


class SemanticIndex:
    """The process's matcher and its copy of the enabled examples as one matrix (thread-safe).

    :meth:`examples` asks the database at most every ``refresh_s`` whether the examples changed —
    the version is (rows, disabled rows): a new example adds a row, a disabling adds a disabled
    one, nothing deletes either — and reloads them when they did. :data:`EXAMPLES_CHANGED` makes
    the next call ask at once. A row embedded by another model (a release changed it) is
    re-embedded here, in memory, with this process's."""

    def __init__(self, settings: SemanticSettings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._matcher: SemanticMatcher | None = None
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._matrix: ExampleMatrix | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    @property
    def matcher(self) -> SemanticMatcher:
        if self._matcher is None:
            self._matcher = SemanticMatcher(self.embedder, self.settings.min_score, self.settings.min_margin)
        return self._matcher

    def retire(self) -> None:
        with self._lock:
            self._checked = float("-inf")

    def examples(self, session: Session) -> ExampleMatrix | None:
        """The enabled examples (None when there are none: nothing to embed for)."""
        with self._lock:
            if time.monotonic() - self._checked < self.settings.refresh_s:
                return self._matrix
            count, disabled = session.execute(
                select(func.count(), func.count(ModerationExample.disabled_at))).one()
            version = (int(count), int(disabled))
            if version != self._version:
                self._matrix = self._load(session)
                self._version = version
            self._checked = time.monotonic()
            return self._matrix

    def _load(self, session: Session) -> ExampleMatrix | None:
        rows = session.execute(
            select(ModerationExample.id, ModerationExample.category, ModerationExample.embedding,
                   ModerationExample.embedder, ModerationExample.text)
            .where(ModerationExample.disabled_at.is_(None)).order_by(ModerationExample.id)).all()
        if not rows:
            return None
        name, dim = self.embedder.name, self.embedder.dim
        vectors = [from_bytes(r.embedding) for r in rows]
        stale = [i for i, r in enumerate(rows) if r.embedder != name or len(vectors[i]) != dim]
        if stale:
            for i, vector in zip(stale, self.embedder.passages([rows[i].text for i in stale]), strict=True):
                vectors[i] = vector
        return self.matcher.build([r.id for r in rows], [r.category for r in rows], np.stack(vectors))


def semantic_index(services: Services) -> SemanticIndex:
    """The app's :class:`SemanticIndex` (tests may install one with a stand-in embedder first)."""
    return services.state(SemanticIndex, lambda: SemanticIndex(services.settings.semantic))


@EXAMPLES_CHANGED.subscribe
def _retire_examples(services: Services, payload: dict[str, Any]) -> None:
    semantic_index(services).retire()


# -------------------------------------------------------------------------------- image blocklist

# Media rows the blocklist job reads per batch (ids and hashes only: ~40 bytes a row).
MATCH_BATCH = 5000


def image_block_out(session: Session, rows: Sequence[ImageBlock]) -> list[ImageBlockOut]:
    people = {r.added_by for r in rows if r.added_by is not None}
    names = usernames(session, people)
    return [ImageBlockOut(
        id=ids.encode(r.id), phash=f"{signals.from_signed(r.phash):016x}", category=r.category, reason=r.reason,
        source_media_id=ids.encode(r.source_media_id) if r.source_media_id is not None else None,
        added_by=names.get(r.added_by) if r.added_by is not None else None, created_at=r.created_at,
    ) for r in rows]


def image_blocks_page(session: Session, *, category: str | None, cursor: str | None,
                      limit: int) -> Page[ImageBlockOut]:
    """The blocklist, newest first, optionally of one category."""
    query = select(ImageBlock)
    if category is not None:
        query = query.where(ImageBlock.category == category)
    rows, next_cursor = id_page(session, query, ImageBlock.id, cursor, limit, newest_first=True)
    return Page(items=image_block_out(session, rows), next_cursor=next_cursor)


def matching_media(session: Session, phash: int, max_distance: int, after_id: int = 0,
                   batch: int = MATCH_BATCH) -> tuple[list[tuple[int, int | None, int]], int | None]:
    """One batch of the scan for pictures within ``max_distance`` bits of ``phash`` that no entry
    blocked yet: ``(media id, note id, distance)`` rows and the id to continue after (None: done).
    Hashes are compared here, not in SQL: neither engine has a portable popcount, and the scan runs
    in a job, a batch at a time, off every request's path."""
    rows = session.execute(
        select(Media.id, Media.phash, Media.note_id)
        .where(Media.id > after_id, Media.phash.is_not(None), Media.blocked_by.is_(None))
        .order_by(Media.id).limit(batch)
    ).all()
    found = [(media_id, note_id, d) for media_id, hashed, note_id in rows
             if hashed is not None and (d := signals.distance(phash, hashed)) <= max_distance]
    return found, (rows[-1][0] if len(rows) == batch else None)


# ------------------------------------------------------------------------------------ surge mode


def surge_out(session: Session, threshold: int) -> SurgeOut:
    state = surge.read(session, threshold)
    admin = session.get(User, state.changed_by) if state.changed_by is not None else None
    return SurgeOut(mode=state.mode, active=state.active, queue_open=state.queue_open,
                    threshold=state.threshold, changed_by=admin.username if admin else None,
                    changed_at=state.changed_at)
