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
item (a reported profile) is approved (the reports dismissed) or decided with an account action
(``act``); a removal may carry an account action on the author too (:func:`act_on_account` has the
rules). Who is told (``safety.notice`` events, turned into notifications by the notifications
feature): the author of a removal, a label or an approval after a hold, and of an appeal's outcome;
the account acted on; every reporter of the item, of its outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redbridge.accounts import actions as accounts_actions
from redbridge.accounts.models import User
from redbridge.accounts.queries import by_username
from redbridge.accounts.standing import FOREVER
from redbridge.core import events, ids
from redbridge.core.db import insert_ignore, write
from redbridge.core.errors import AppError, forbidden, not_found, path_id
from redbridge.core.i18n import _
from redbridge.core.services import Services
from redbridge.engagement import actions as engagement_actions
from redbridge.engagement.models import Comment
from redbridge.engagement.queries import comment_note_id
from redbridge.media.models import Media
from redbridge.moderation import images as moderation_images
from redbridge.moderation import queue, screening, surge
from redbridge.moderation.audit import audit
from redbridge.moderation.models import OPEN, ImageBlock, ModerationDecision, ModerationExample, QueueItem
from redbridge.moderation.screening import HELD, LABEL_SENSITIVE, Screening
from redbridge.moderation.semantic import Match
from redbridge.notes import actions as notes_actions
from redbridge.notes.models import PUBLISHED, REMOVED, Note
from redbridge.notes.queries import get_visible
from redbridge.safety.models import AccountAction, Appeal, Report
from redbridge.safety.queries import (
    DECISION_KIND,
    EXAMPLES_CHANGED,
    Checked,
    SemanticIndex,
    action_in_force,
    actions_out,
    appeal_out,
    approved_since,
    example_out,
    image_block_out,
    item_text,
    matching_media,
    report_out,
    surge_out,
)
from redbridge.safety.schemas import (
    AccountActionIn,
    AccountActionOut,
    AccountSpec,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    DecisionIn,
    DecisionOut,
    ExampleIn,
    ExampleOut,
    ImageBlockIn,
    ImageBlockOut,
    ImageBlocksAdded,
    ImageBlockSkipped,
    ReportIn,
    ReportOut,
    RoleOut,
    SurgeOut,
)
from redbridge.text.embed import to_bytes
from redbridge.text.lang import detect_language
from redbridge.translations import actions as translations_actions
from redbridge.translations.models import CommunityTranslation
from redbridge.translations.queries import community_row

OUTCOMES = {"approve": "approved", "remove": "removed", "label": "labelled", "act": "actioned"}
NOTICE = "safety.notice"  # {kind, recipient_ids, details, note_id, comment_id}: see _notice


def _notice(session: Session, kind: str, recipient_ids: list[int], details: dict[str, Any], *,
            note_id: int | None = None, comment_id: int | None = None) -> None:
    """Tell people what the moderators decided, through the outbox in the decision's transaction:
    the notifications feature turns the event into one notification per recipient (``kind``:
    moderation | appeal | account | report; ``details`` are codes, rendered in each reader's
    language). Moderators are not named to the people they decide about."""
    if recipient_ids:
        events.publish(session, NOTICE, {"kind": kind, "recipient_ids": sorted(set(recipient_ids)),
                                         "details": details, "note_id": note_id, "comment_id": comment_id})


def _content_refs(session: Session, kind: str, subject_id: int) -> tuple[int | None, int | None]:
    """(note id, comment id) a notice about the subject points at (its author may read both)."""
    if kind == "note":
        return subject_id, None
    if kind == "comment":
        return session.scalar(select(Comment.note_id).where(Comment.id == subject_id)), subject_id
    if kind == "translation":
        return session.scalar(select(CommunityTranslation.note_id).where(CommunityTranslation.id == subject_id)), None
    return None, None


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
    if kind == "translation":
        row, _item = community_row(session, subject_id, reporter.id)
        return row.id, row.author_id
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
    elif status is not None and item.subject_kind == "translation":
        translation = translations_actions.moderate_in_tx(session, item.subject_id, status)
        if translation is None:
            raise not_found("queue_item")
        new_status = translation.status
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
        _check_decision(item.subject_kind, data)
        author = session.get(User, item.author_id)
        if data.account is not None:
            if author is None:
                raise not_found("user")
            _check_may_act(moderator, author, data.account.action)
        moves = data.action in ("approve", "remove", "label") and item.subject_kind != "user"
        new_status, label = _move_content(
            session, item, (REMOVED if data.action == "remove" else PUBLISHED) if moves else None,
            LABEL_SENSITIVE if data.action == "label" else None)
        reporters = list(session.scalars(select(Report.reporter_id).where(Report.queue_item_id == item.id)))
        queue.record_moderator_decision(session, now, DECISION_KIND[item.subject_kind], item.subject_id,
                                        item.author_id, data.action, data.reason, moderator.id)
        queue.close(session, now, item, outcome, moderator.id)
        resolved = session.execute(
            update(Report).where(Report.queue_item_id == item.id).values(outcome=outcome, resolved_at=now)
        )
        reports = int(getattr(resolved, "rowcount", 0) or 0)
        acted = None
        if data.account is not None and author is not None:
            acted = _act_in_tx(session, now, moderator, author, data.account, data.reason, item.id)
        if item.subject_kind != "user" and (data.action != "approve" or item.held):
            # An approval after a hold ends the author's wait; one of reported content changes nothing
            # they knew about.
            note_id, comment_id = _content_refs(session, item.subject_kind, item.subject_id)
            _notice(session, "moderation", [item.author_id],
                    {"subject": item.subject_kind, "decision": outcome, "reason": data.reason},
                    note_id=note_id, comment_id=comment_id)
        _notice(session, "report", reporters, {"subject": item.subject_kind, "outcome": outcome})
        audit(session, now, moderator.id, f"queue.{data.action}", item.subject_kind, item.subject_id, {
            "item_id": ids.encode(item.id), "reason": data.reason, "outcome": outcome, "status": new_status,
            "held": item.held, "reports": reports, "categories": [c for c in item.categories.split(",") if c],
            **({"account_action": _action_details(acted)} if acted is not None else {}),
        })
    return DecisionOut(item_id=ids.encode(item.id), kind=item.subject_kind,
                       subject_id=ids.encode(item.subject_id), outcome=outcome,
                       status=new_status, label=label, reports_resolved=reports,
                       account_action=actions_out(session, [acted], now)[0] if acted is not None else None)


def _check_decision(kind: str, data: DecisionIn) -> None:
    """Which decisions fit which item (422 otherwise): a profile is approved (the reports dismissed)
    or acted on (``act`` with ``account``); a note or comment is approved, removed or labelled, and
    only a removal may also act on its author's account."""
    if kind == "user":
        if data.action not in ("approve", "act"):
            raise AppError("moderation.action_unsupported",
                           _("A profile is approved or decided with an account action."), 422,
                           fields={"action": "unsupported"})
    elif data.action == "act":
        raise AppError("moderation.action_unsupported", _("Act on an account from a profile's item, or with a removal."),
                       422, fields={"action": "unsupported"})
    if data.action == "act" and data.account is None:
        raise AppError("decision.account_required", _("Choose the account action."), 422,
                       fields={"account": "required"})
    if data.account is not None and data.action not in ("act", "remove"):
        raise AppError("decision.account_unsupported", _("Only a removal can also act on the author's account."),
                       422, fields={"account": "unsupported"})
    if data.account is not None and data.reason == "no_violation":
        raise AppError("decision.reason_invalid", _("An account action needs a violation as its reason."), 422,
                       fields={"reason": "invalid"})


# ---------------------------------------------------------------------------------------- appeals

APPEAL_OUTCOMES = {"uphold": "upheld", "reinstate": "reinstated"}
# decision kind → queue kind (profiles are not appealed)
_APPEALABLE = {"note": "note", "comment": "comment", "translation": "translation"}
_CONTENT: dict[str, type[Note] | type[Comment] | type[CommunityTranslation]] = {
    "note": Note, "comment": Comment, "translation": CommunityTranslation}


def _content_status(session: Session, kind: str, subject_id: int) -> str | None:
    model = _CONTENT[kind]
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
        note_id, comment_id = _content_refs(session, row.subject_kind, row.subject_id)
        _notice(session, "appeal", [row.author_id], {"subject": row.subject_kind, "outcome": outcome,
                                                      "reason": data.reason}, note_id=note_id, comment_id=comment_id)
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


# -------------------------------------------------------------------------------- account actions

LIFTED = {"mute": "unmute", "suspend": "unsuspend", "ban": "unban"}


def _check_may_act(actor: User, target: User, action: str) -> None:
    """The role rules: nobody acts on their own account or on an admin's (an admin is demoted first,
    through the audited role change); only an admin acts on a moderator, and only an admin bans (or
    lifts a ban) — a ban has no end, so it takes the higher role. Lifting follows the same rules."""
    if target.id == actor.id:
        raise AppError("account_action.self", _("You cannot act on your own account."), 403)
    if target.is_admin or (target.is_moderator and not actor.is_admin):
        raise AppError("account_action.protected", _("Your role cannot act on this account."), 403)
    if action == "ban" and not actor.is_admin:
        raise AppError("account_action.admin_only", _("Only an administrator can ban an account."), 403)


def _lock_target(session: Session, username: str) -> User:
    found = by_username(session, username)
    if found is None or not found.is_active:
        raise not_found("user")
    target = _lock_user(session, found.id)
    if target is None:
        raise not_found("user")
    return target


def _lock_user(session: Session, user_id: int) -> User | None:
    """The account row, locked (``FOR UPDATE``) and read afresh in the caller's transaction: what
    an account action builds on must be what the previous action committed, not a copy loaded
    before its lock was taken. Users come last in the lock order (``core.db.write``): nothing else
    is locked after this."""
    return session.scalar(select(User).where(User.id == user_id).with_for_update()
                          .execution_options(populate_existing=True))


def _refresh_standing(session: Session, user_id: int, now: datetime) -> None:
    """Copy what is in force from the account's actions onto its row: the latest end among its
    unlifted mutes, and among its unlifted suspensions (:data:`FOREVER` for an unlifted ban). So a
    shorter mute never shortens a longer one, and lifting one action leaves another in force."""
    live = select(AccountAction).where(AccountAction.user_id == user_id, AccountAction.lifted_at.is_(None),
                                       AccountAction.action.in_(("mute", "suspend", "ban")))
    muted: datetime | None = None
    suspended: datetime | None = None
    for row in session.scalars(live):
        if not action_in_force(row, now):
            continue
        until = FOREVER if row.action == "ban" else row.until
        assert until is not None
        if row.action == "mute":
            muted = max(muted, until) if muted is not None else until
        else:
            suspended = max(suspended, until) if suspended is not None else until
    accounts_actions.set_standing_in_tx(session, user_id, now, muted_until=muted, suspended_until=suspended)


def _action_details(row: AccountAction) -> dict[str, Any]:
    return {"action_id": ids.encode(row.id), "action": row.action, "reason": row.reason,
            "until": row.until.isoformat() if row.until is not None else None}


def _act_in_tx(session: Session, now: datetime, moderator: User, target: User, spec: AccountSpec, reason: str,
               item_id: int | None) -> AccountAction:
    """Store the action, put it in force and tell the account, in the caller's transaction (the
    caller checked the role rules and writes the audit row). The account row is locked first, so
    of two moderators acting on it at once the second waits and reads the first one's action (a
    queue decision reaches here without having locked it; a second lock of one's own row is free)."""
    if _lock_user(session, target.id) is None:
        raise not_found("user")
    until = now + timedelta(hours=spec.hours) if spec.hours is not None else None
    row = AccountAction(id=ids.new_id(now), user_id=target.id, moderator_id=moderator.id, action=spec.action,
                        reason=reason, until=until, queue_item_id=item_id, created_at=now, lifted_at=None,
                        lifted_by=None)
    session.add(row)
    session.flush()
    if spec.action != "warn":
        _refresh_standing(session, target.id, now)
    _notice(session, "account", [target.id], {"action": spec.action, "reason": reason,
                                              "until": until.isoformat() if until is not None else None})
    return row


def act_on_account(session: Session, now: datetime, moderator: User, username: str,
                   data: AccountActionIn) -> AccountActionOut:
    """A moderator warns, mutes, suspends or bans an account (:func:`_check_may_act` has the role
    rules; 404 for no such active account). A mute or suspension in force is on the account row at
    commit; a suspension revokes its sessions. The account is notified; audited ``account.<action>``."""
    with write(session):
        target = _lock_target(session, username)
        _check_may_act(moderator, target, data.action)
        row = _act_in_tx(session, now, moderator, target, data, data.reason, None)
        audit(session, now, moderator.id, f"account.{data.action}", "user", target.id,
              {"username": target.username, **_action_details(row)})
    return actions_out(session, [row], now)[0]


def lift_action(session: Session, now: datetime, moderator: User, username: str, action_id: int) -> AccountActionOut:
    """Lift a mute, suspension or ban before its end (the same role rules as acting; 404 for an
    action that is not this account's; 409 ``account_action.not_in_force`` for a warning, or one
    already over or lifted). Another action still in force stays in force. Audited ``account.lift``."""
    with write(session):
        target = _lock_target(session, username)
        row = session.scalar(select(AccountAction).where(AccountAction.id == action_id)
                             .execution_options(populate_existing=True))
        if row is None or row.user_id != target.id:
            raise not_found("account_action")
        _check_may_act(moderator, target, row.action)
        if not action_in_force(row, now):
            raise AppError("account_action.not_in_force", _("This action is not in force."), 409)
        row.lifted_at, row.lifted_by = now, moderator.id
        session.flush()
        _refresh_standing(session, target.id, now)
        _notice(session, "account", [target.id], {"action": LIFTED[row.action], "reason": row.reason, "until": None})
        audit(session, now, moderator.id, "account.lift", "user", target.id,
              {"username": target.username, **_action_details(row)})
    return actions_out(session, [row], now)[0]


# ------------------------------------------------------------------------------ semantic examples

EXAMPLE_STORED = 4000  # the column; a queue item's note may be longer than a typed example


def add_example(session: Session, now: datetime, moderator: User, data: ExampleIn,
                index: SemanticIndex) -> ExampleOut:
    """A moderator marks an example of violating content — typed, or a queue item's content
    (audited ``example.add``). The text is embedded before the write transaction (CPU work, no lock
    held); the process that marks it matches against it at once, every other one within
    ``semantic.refresh_s`` (``EXAMPLES_CHANGED``)."""
    item_id: int | None = None
    if data.queue_item_id is not None:
        item_id = path_id(data.queue_item_id, "queue_item")
        _item, text, lang = item_text(session, item_id)
    else:
        assert data.text is not None  # ExampleIn: exactly one of the two
        text, lang = data.text, detect_language(data.text)
    text = text[:EXAMPLE_STORED]
    vector = index.embedder.passages([text])[0]
    with write(session):
        row = ModerationExample(
            id=ids.new_id(now), text=text, lang=lang, category=data.category, embedding=to_bytes(vector),
            embedder=index.embedder.name, source="queue" if item_id is not None else "text",
            queue_item_id=item_id, added_by=moderator.id, created_at=now, disabled_by=None,
            disabled_at=None,
        )
        session.add(row)
        session.flush()
        audit(session, now, moderator.id, "example.add", "example", row.id, {
            "category": row.category, "lang": lang, "source": row.source,
            "queue_item_id": ids.encode(item_id) if item_id is not None else None,
        })
        EXAMPLES_CHANGED.announce(session, {})
    return example_out(session, [row])[0]


def disable_example(session: Session, now: datetime, moderator: User, example_id: int) -> ExampleOut:
    """Stop matching against an example (audited ``example.disable``). It stays, disabled: the
    decisions it made name it in their evidence. Disabled already: 409."""
    with write(session):
        row = session.scalar(select(ModerationExample).where(ModerationExample.id == example_id)
                             .with_for_update().execution_options(populate_existing=True))
        if row is None:
            raise not_found("example")
        if row.disabled_at is not None:
            raise AppError("example.disabled", _("This example is already disabled."), 409)
        row.disabled_by, row.disabled_at = moderator.id, now
        audit(session, now, moderator.id, "example.disable", "example", row.id,
              {"category": row.category, "source": row.source})
        EXAMPLES_CHANGED.announce(session, {})
    return example_out(session, [row])[0]


def semantic_hold(session: Session, now: datetime, checked: Checked, match: Match,
                  event_id: object = None) -> bool:
    """Hold a published note or comment the semantic matcher matched (the job in ``safety.tasks``),
    through the path the pipeline's holds take: the content feature's ``moderate_in_tx`` (status
    held, counters, "not visible" announced), then the pipeline's decision row with the match as
    evidence and the queue item, held (``screening.record``). Re-checked under the content's lock
    (the note first, as every decision locks): nothing happens — False — when the content is no
    longer published, was edited since it was read (that edit's own check follows), or a
    moderator let it stand meanwhile. So a second delivery of the event changes nothing."""
    with write(session):
        note_id = checked.subject_id if checked.kind == "note" else session.scalar(
            select(Comment.note_id).where(Comment.id == checked.subject_id))
        if note_id is None:
            return False
        note = session.scalar(select(Note).where(Note.id == note_id).with_for_update()
                              .execution_options(populate_existing=True))
        if note is None:
            return False
        if checked.kind == "note":
            if note.status != PUBLISHED or note.updated_at != checked.version:
                return False
        else:
            status = session.scalar(select(Comment.status).where(Comment.id == checked.subject_id)
                                    .with_for_update().execution_options(populate_existing=True))
            if status != PUBLISHED:
                return False
        if approved_since(session, checked):
            return False
        if checked.kind == "note":
            notes_actions.moderate_in_tx(session, checked.subject_id, HELD)
        else:
            engagement_actions.moderate_comment_in_tx(session, checked.subject_id, HELD)
        evidence = {**match.evidence(), "event_id": event_id}
        screening.record(session, now, Screening("hold", (match.category,), (evidence,)),
                         checked.kind, checked.subject_id, checked.author_id)
    return True


# -------------------------------------------------------------------------------- image blocklist


def _blocklist_pictures(session: Session, data: ImageBlockIn) -> tuple[str, int, list[Media]]:
    """(subject kind, subject id, its pictures) of a blocklist request: one upload, or a note's
    pictures in carousel order. Not found (or not a picture) is 404; a note without any, 422."""
    if data.media_id is not None:
        media = session.get(Media, path_id(data.media_id, "media"))
        if media is None or media.kind != "image":
            raise not_found("media")
        return "media", media.id, [media]
    assert data.note_id is not None  # ImageBlockIn: exactly one of the two
    note_id = path_id(data.note_id, "note")
    if session.get(Note, note_id) is None:
        raise not_found("note")
    pictures = list(session.scalars(select(Media).where(Media.note_id == note_id, Media.kind == "image")
                                    .order_by(Media.position)))
    if not pictures:
        raise AppError("image_blocklist.no_images", _("This note has no pictures to block."), 422,
                       fields={"note_id": "no_images"})
    return "note", note_id, pictures


def add_image_blocks(session: Session, now: datetime, moderator: User, data: ImageBlockIn) -> ImageBlocksAdded:
    """Block the pictures of an upload or a note by their perceptual hashes (audited
    ``image_blocklist.add``, one row per request). A hash already on the list, one too plain to
    block (``moderation.images.is_plain``) or a picture never hashed is skipped and said so; when
    nothing is left to add, 409 ``image_blocklist.exists`` (all on the list) or 422
    ``image_blocklist.plain``. Publishes ``safety.image_blocked`` {entry_ids}: the job holds the
    notes that already show a match (:func:`hold_blocked_matches`)."""
    with write(session):
        kind, subject_id, pictures = _blocklist_pictures(session, data)
        added: list[ImageBlock] = []
        skipped: list[ImageBlockSkipped] = []
        seen: set[int] = set()
        for media in pictures:
            phash, why = media.phash, None
            if phash is None:
                why = "no_hash"
            elif moderation_images.is_plain(phash):
                why = "plain"
            elif phash in seen or not insert_ignore(session, ImageBlock, {
                "id": ids.new_id(now), "phash": phash, "category": data.category, "reason": data.reason,
                "source_media_id": media.id, "added_by": moderator.id, "created_at": now,
            }):
                why = "exists"
            if phash is None or why is not None:
                skipped.append(ImageBlockSkipped(media_id=ids.encode(media.id), why=why or "no_hash"))
                continue
            seen.add(phash)
            added.append(session.scalars(select(ImageBlock).where(ImageBlock.phash == phash)).one())
        if not added:
            if all(s.why == "exists" for s in skipped):
                raise AppError("image_blocklist.exists", _("This picture is already on the blocklist."), 409)
            raise AppError("image_blocklist.plain",
                           _("These pictures can't be blocked: they are too plain, or were never hashed."), 422,
                           fields={"media_id" if kind == "media" else "note_id": skipped[0].why})
        audit(session, now, moderator.id, "image_blocklist.add", kind, subject_id, {
            "entries": [ids.encode(e.id) for e in added], "category": data.category, "reason": data.reason,
            "skipped": [s.model_dump() for s in skipped],
        })
        events.publish(session, "safety.image_blocked", {"entry_ids": [e.id for e in added]})
    return ImageBlocksAdded(items=image_block_out(session, added), skipped=skipped)


def remove_image_block(session: Session, now: datetime, moderator: User, entry_id: int) -> ImageBlockOut:
    """Take a hash off the blocklist (audited ``image_blocklist.remove``): new uploads like it pass
    again, and the pictures it matched (``media.blocked_by``, set to NULL by the foreign key) can
    be posted again. Notes it held stay in the review queue for a moderator to decide."""
    with write(session):
        row = session.get(ImageBlock, entry_id)
        if row is None:
            raise not_found("image_block")
        out = image_block_out(session, [row])[0]
        audit(session, now, moderator.id, "image_blocklist.remove", "image", row.id,
              {"phash": out.phash, "category": row.category})
        session.delete(row)
    return out


def hold_blocked_matches(services: Services, entry_id: int) -> int:
    """The job of ``safety.image_blocked``: every picture within ``images.blocklist_distance`` of
    the entry that no entry blocked yet gets ``blocked_by``, and each note showing one is held —
    through the pipeline's path (the note's ``moderate_in_tx``: status held, counters, "not
    visible" announced; then the pipeline's decision row with the match as evidence and the queue
    item, ``screening.record``). A batch of the scan is one transaction, locking notes first, then
    the pictures (the lock order). Idempotent: a picture already marked is not read again, so a
    second delivery finds nothing. A removed note stays removed. Returns the notes held."""
    max_distance = services.settings.images.blocklist_distance
    held = 0
    after: int | None = 0
    while after is not None:
        with services.sessions() as session:
            entry = session.get(ImageBlock, entry_id)
            if entry is None:  # taken off the list before the job ran
                return held
            found, after = matching_media(session, entry.phash, max_distance, after)
            if found:
                held += _block_batch(session, services.clock.now(), entry, found)
    return held


def _block_batch(session: Session, now: datetime, entry: ImageBlock, found: list[tuple[int, int | None, int]]) -> int:
    held = 0
    with write(session):
        by_note: dict[int, list[tuple[int, int]]] = {}
        for media_id, note_id, dist in found:
            if note_id is not None:
                by_note.setdefault(note_id, []).append((media_id, dist))
        for note_id in sorted(by_note):
            note = session.scalar(select(Note).where(Note.id == note_id).with_for_update()
                                  .execution_options(populate_existing=True))
            if note is None or note.status == REMOVED:
                continue
            if note.status == PUBLISHED:
                notes_actions.moderate_in_tx(session, note_id, HELD)
            evidence = tuple(moderation_images.blocked_evidence(entry.id, entry.category, media_id, dist)
                             for media_id, dist in by_note[note_id])
            screening.record(session, now, Screening("hold", (entry.category,), evidence), "note", note_id,
                             note.author_id)
            held += 1
        session.execute(update(Media).where(Media.id.in_([m for m, _n, _d in found]), Media.blocked_by.is_(None))
                        .values(blocked_by=entry.id).execution_options(synchronize_session=False))
    return held


# ------------------------------------------------------------------------------------ surge mode


def set_surge(session: Session, now: datetime, admin: User, mode: str, threshold: int) -> SurgeOut:
    """An admin switches surge mode ``off`` / ``auto`` / ``on`` (audited: ``surge.set``, from, to).
    The row is what every process reads, so the switch holds cluster-wide at once."""
    with write(session):
        previous = surge.set_mode_in_tx(session, now, mode, admin.id)
        audit(session, now, admin.id, "surge.set", "surge", 1, {"from": previous, "to": mode})
    return surge_out(session, threshold)
