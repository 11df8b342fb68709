"""Trust levels: how much the platform lets an account do before it has shown it is a person.

Derived on every write from what the account row already holds plus one indexed read (once per
transaction: a request's budget and its links share it), never stored (so nothing has to keep it up to date):

* ``new`` — younger than 3 days, or any content removed by a moderator in the last 90 days (a
  removal an appeal reinstated does not count);
* ``trusted`` — 30 days or older, 5+ published notes, 20+ likes / collects / comments received,
  and a clean history;
* ``basic`` — everyone else.

A new account publishes benign text at once (holding everything from new accounts is not
moderation), but its links wait for review (``moderation.screening.Writer.hold_links``) and its
notes, comments and follows per hour are fewer (``settings.spam.limits_*``, on top of the general
per-account limits); in surge mode (``moderation.surge``) a new account gets ``limits_surge``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import event, select
from sqlalchemy.orm import Session, aliased

from redbridge.accounts.models import User
from redbridge.core import ids
from redbridge.core.services import Services
from redbridge.moderation import surge
from redbridge.moderation.models import ModerationDecision
from redbridge.settings import TrustLimits

NEW, BASIC, TRUSTED = "new", "basic", "trusted"
NEW_FOR = timedelta(days=3)
TRUSTED_AFTER = timedelta(days=30)
TRUSTED_NOTES = 5
TRUSTED_ENGAGEMENT = 20
CLEAN_FOR = timedelta(days=90)

Action = Literal["note", "comment", "follow"]


# session.info: {user id: (since, the newest standing removal since then or None)} — what
# ``_removed_lately`` found in this transaction, so a request's budget (the route) and its links
# (the action) share one read. Forgotten at every flush and at the end of the transaction.
_MEMO = "redbridge_trust_removed"


@event.listens_for(Session, "after_flush")
def _forget_on_flush(session: Session, _context: object) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, _transaction: object) -> None:
    session.info.pop(_MEMO, None)


def _latest_removal(session: Session, user_id: int, since: datetime) -> datetime | None:
    """When a moderator last removed the author's content since ``since``, not counting a removal
    an appeal later reinstated."""
    later = aliased(ModerationDecision)
    reinstated = select(later.id).where(
        later.subject_kind == ModerationDecision.subject_kind, later.subject_id == ModerationDecision.subject_id,
        later.source == "appeal", later.decision == "reinstate", later.id > ModerationDecision.id,
    ).exists()
    # ix_moderation_decisions_author (author_id, id): the author's own rows since ``since`` only
    # (ids are time-ordered); a reinstatement is found through ix_moderation_decisions_subject.
    return session.scalar(
        select(ModerationDecision.created_at).where(
            ModerationDecision.author_id == user_id, ModerationDecision.id >= ids.id_floor(since),
            ModerationDecision.source == "moderator", ModerationDecision.decision == "remove",
            ModerationDecision.created_at >= since, ~reinstated,
        ).order_by(ModerationDecision.id.desc()).limit(1)
    )


def _removed_lately(session: Session, user_id: int, now: datetime) -> bool:
    since = now - CLEAN_FOR
    memo: dict[int, tuple[datetime, datetime | None]] = session.info.setdefault(_MEMO, {})
    known = memo.get(user_id)
    if known is None or since < known[0]:  # a wider window than the one read: read again
        known = memo[user_id] = (since, _latest_removal(session, user_id, since))
    return known[1] is not None and known[1] >= since


def level(session: Session, user: User, now: datetime) -> str:
    """The account's trust level now (see the module docstring)."""
    age = now - user.created_at
    if age < NEW_FOR or _removed_lately(session, user.id, now):
        return NEW
    if age >= TRUSTED_AFTER and user.note_count >= TRUSTED_NOTES and user.engagement_received >= TRUSTED_ENGAGEMENT:
        return TRUSTED
    return BASIC


def hold_links(session: Session, author_id: int, now: datetime) -> bool:
    """Whether the author's links wait for review (a new account)."""
    user = session.get(User, author_id)
    return user is None or level(session, user, now) == NEW


def budget(services: Services, session: Session, user: User, action: Action) -> tuple[str, tuple[int, int]]:
    """The limiter scope and budget of ``action`` for this account now."""
    spam = services.settings.spam
    lvl = level(session, user, services.clock.now())
    limits: TrustLimits = getattr(spam, f"limits_{lvl}")
    if lvl == NEW and surge.active_cached(services, session, spam.surge_queue_threshold):
        lvl, limits = "surge", spam.limits_surge
    return f"{action}-{lvl}", getattr(limits, action)


def spend_comment(services: Services, session: Session, user: User, ip: str) -> None:
    """Spend one comment's worth of writing — a comment or reply, or a reader's translation — from
    the account's and the address's comment budgets and the trust level's (429 once one is spent):
    the API and the pages alike, before the write."""
    limits = services.settings.rate_limits
    services.limiter.hit("comment-account", ids.encode(user.id), limits.comment_per_account)
    services.limiter.hit("comment-ip", ip, limits.comment_per_ip)
    limit(services, session, user, "comment")


def limit(services: Services, session: Session, user: User, action: Action) -> None:
    """Spend one ``action`` from the account's trust-level budget (429 with ``Retry-After`` once
    it is used up). Called where the general per-account limits are, before the write."""
    scope, spend = budget(services, session, user, action)
    services.limiter.hit(scope, ids.encode(user.id), spend)
