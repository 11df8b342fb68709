"""An account's standing: whether a moderator's mute or suspension is in force (docs/moderation.md,
"Account actions"). The actions themselves are written by ``safety.actions``; what is in force is
on the account row (``users.muted_until``, ``users.suspended_until``), so these checks are one
primary-key read and the session lookup (``queries.caller_for_token``) needs no join.

A mute stops the account writing what others read — notes (create, edit), comments and replies,
display name and bio — and nothing else: it still reads, likes, collects and follows. A suspension
stops it logging in, and its sessions stop working (the session lookup refuses them even before
they are revoked). A ban is a suspension until :data:`FOREVER`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.core.errors import AppError
from redbridge.core.i18n import _

# A ban: far enough away that it never ends, and still an ordinary timestamp on both engines.
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


def in_force(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def shown(until: datetime) -> str:
    """An end time as messages show it (UTC: the reader's zone is not known here)."""
    return until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def muted_error(until: datetime) -> AppError:
    return AppError("account.muted", _("Your account is muted until %(until)s: you cannot post or edit for now."),
                    403, fields={"until": until.astimezone(UTC).isoformat()}, until=shown(until))


def suspended_error(until: datetime) -> AppError:
    if until >= FOREVER:
        return AppError("account.suspended", _("This account has been banned."), 403, fields={"until": "never"})
    return AppError("account.suspended", _("This account is suspended until %(until)s."), 403,
                    fields={"until": until.astimezone(UTC).isoformat()}, until=shown(until))


def check_can_post(session: Session, user_id: int, now: datetime) -> None:
    """403 ``account.muted`` (or ``account.suspended``) when the account may not publish text now.
    Called at the top of every write that publishes an account's text, before its screening: a
    mute that lands while such a write is screened lets that one write through, as a mute a moment
    later would have."""
    # Through the identity map: the request's caller lookup has loaded this row already, so no
    # second query. Loaded at the start of the same request, it is as fresh as the check needs (a
    # mute that lands during the request is the case the docstring allows).
    user = session.get(User, user_id)
    if user is None:
        return
    if in_force(user.suspended_until, now):
        assert user.suspended_until is not None
        raise suspended_error(user.suspended_until)
    if in_force(user.muted_until, now):
        assert user.muted_until is not None
        raise muted_error(user.muted_until)


def check_can_log_in(user: User, now: datetime) -> None:
    """403 ``account.suspended`` with its end while a suspension or ban is in force."""
    if in_force(user.suspended_until, now):
        assert user.suspended_until is not None
        raise suspended_error(user.suspended_until)
