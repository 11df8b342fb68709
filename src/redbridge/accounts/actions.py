"""Writes for accounts, sessions and the social graph. Each function owns its transaction
(``with write(session):``, ``core.db``). Password policy, username rules and "not yourself" are
checked before it; password hashing happens before any of these are called (``accounts.flows``),
never inside the write lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from redbridge.accounts import queries, standing
from redbridge.accounts.models import AuthSession, Block, Follow, Mute, User
from redbridge.accounts.passwords_list import is_common_password
from redbridge.accounts.schemas import ProfileUpdate
from redbridge.core import changes, events, ids
from redbridge.core.db import insert_ignore, write
from redbridge.core.errors import AppError, not_found
from redbridge.core.i18n import _
from redbridge.core.security import new_session_token, token_digest
from redbridge.core.services import Services
from redbridge.media import actions as media_actions
from redbridge.moderation import screening
from redbridge.moderation.text import TextChecker

RESERVED = frozenset(
    {"admin", "administrator", "api", "root", "support", "redbridge", "me", "settings", "login",
     "logout", "signup", "explore", "search", "notes", "media", "static", "live", "moderation", "system"}
)
MIN_PASSWORD = 8


def check_username(session: Session, username: str) -> None:
    if username.lower() in RESERVED:
        raise AppError("username.reserved", _("This username is reserved."), 422, fields={"username": "reserved"})
    if queries.username_taken(session, username):
        raise AppError("username.taken", _("This username is already taken."), 409, fields={"username": "taken"})


# zxcvbn refuses longer input (and its matching grows quickly with length); the estimate of the
# first 72 characters is a lower bound for the whole password.
STRENGTH_MAX_CHARS = 72


def password_strength(password: str, user_inputs: Sequence[str] = ()) -> int:
    """zxcvbn's score, 0 (guessable in a few tries) to 4 (very unguessable), counting the user's
    own name and email as dictionary words."""
    inputs = [value for value in user_inputs if value]
    inputs += [value.split("@", 1)[0] for value in inputs if "@" in value]
    return int(zxcvbn(password[:STRENGTH_MAX_CHARS], user_inputs=inputs)["score"])


def check_password(password: str, username: str, email: str | None = None, *, min_strength: int = 3) -> None:
    """Password policy (ASVS 2.1): length, not among the 3,000 most common, not the username,
    and a zxcvbn strength score of at least ``min_strength`` (PasswordSettings.min_strength) with
    the username and email as known words: ``aaaaaaaa``, eight spaces or ``mei_cd2025`` fail."""
    if len(password) < MIN_PASSWORD:
        raise AppError("password.too_short", _("The password must be at least 8 characters."), 422,
                       fields={"password": "too_short"})
    if is_common_password(password) or password.casefold() == username.casefold():
        raise AppError("password.common", _("This password is too common. Please choose another."), 422,
                       fields={"password": "common"})
    if password_strength(password, [username, email or ""]) < min_strength:
        raise AppError(
            "password.weak",
            _("This password is too easy to guess. Try a few unrelated words, or add length and variety."),
            422, fields={"password": "weak"},
        )


def create_user(
    session: Session,
    now: datetime,
    *,
    username: str,
    password_hash: str,
    email: str | None = None,
    display_name: str | None = None,
    ui_lang: str = "en",
    read_langs: list[str] | None = None,
    role: str = "user",
) -> User:
    user = User(
        id=ids.new_id(now),
        username=username,
        username_key=username.lower(),
        email=email.strip().lower() if email else None,
        password_hash=password_hash,
        display_name=(display_name or "").strip() or username,
        ui_lang=ui_lang,
        read_langs=sorted(set(read_langs)) if read_langs else (["zh"] if ui_lang.startswith("zh") else ["en"]),
        interests=[],
        role=role,
        created_at=now,
    )
    try:
        with write(session):
            session.add(user)
    except IntegrityError:
        # Lost a race with a concurrent signup for the same name or email (rolled back by now).
        raise AppError("username.taken", _("This username or email is already taken."), 409,
                       fields={"username": "taken"}) from None
    return user


def open_session(session: Session, user: User, now: datetime, days: int, user_agent: str, ip: str) -> tuple[str, AuthSession]:
    """A new login session; returns the token (shown once) and the stored row (holds its digest)."""
    token = new_session_token()
    auth = AuthSession(
        id=ids.new_id(now),
        user_id=user.id,
        token_digest=token_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=days),
        user_agent=user_agent[:300],
        ip=ip[:64],
    )
    with write(session):
        session.add(auth)
    return token, auth


def revoke_session(session: Session, user: User, session_id: int, now: datetime) -> None:
    with write(session):
        result = session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if not getattr(result, "rowcount", 0):
            raise not_found("session")  # nothing was revoked: nothing to commit or announce
        changes.account_changed(session, user.id)


def revoke_all_sessions(session: Session, user_id: int, now: datetime, keep: int | None = None) -> None:
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    with write(session):
        session.execute(query.values(revoked_at=now))
        changes.account_changed(session, user_id)


def touch_session(session: Session, session_id: int, now: datetime) -> None:
    """Record when a session was last used. Runs as the ``accounts.touch_session`` job, off the
    request path: a read must not wait on the write lock to bump a timestamp."""
    with write(session):
        session.execute(update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=now))


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    with write(session):
        session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
        changes.account_changed(session, user_id)


def update_profile(session: Session, user: User, update: ProfileUpdate, *, checker: TextChecker,
                   now: datetime) -> User:
    """Change the profile and settings. A new display name or bio is screened first
    (``moderation.screening.screen_profile``): a reject or a hold is 422 and nothing changes."""
    data = update.model_dump(exclude_unset=True)
    texts = [str(data[key]).strip() for key in ("display_name", "bio") if data.get(key) is not None]
    if texts:  # a muted account keeps its settings, not its pen (accounts.standing)
        standing.check_can_post(session, user.id, now)
    screened = screening.screen_profile(checker, *texts)
    with write(session):
        fresh = session.get(User, user.id)
        if fresh is None:
            raise not_found("user")
        if screened.stored:
            screening.record(session, now, screened, "profile", fresh.id, fresh.id)
        for key in ("display_name", "bio", "region"):
            if data.get(key) is not None:
                setattr(fresh, key, str(data[key]).strip())
        if data.get("read_langs") is not None:
            fresh.read_langs = sorted(set(data["read_langs"]))
        if data.get("interests") is not None:
            fresh.interests = list(dict.fromkeys(data["interests"]))
        if data.get("ui_lang") is not None:
            fresh.ui_lang = data["ui_lang"]
        if data.get("onboarded") is not None:
            fresh.onboarded = bool(data["onboarded"])
        if data.get("always_translate") is not None:
            fresh.always_translate = bool(data["always_translate"])
        if not fresh.display_name:
            fresh.display_name = fresh.username
        changes.account_changed(session, user.id)  # interests, languages and UI language are cached with the caller
    return fresh


def make_admin(session: Session, user_id: int, password_hash: str) -> None:
    """Make an existing account an administrator with a new password (``redbridge createadmin``)."""
    with write(session):
        session.execute(update(User).where(User.id == user_id).values(role="admin", password_hash=password_hash))
        changes.account_changed(session, user_id)


def set_role_in_tx(session: Session, user_id: int, role: str) -> str | None:
    """Set an account's role (``ROLES``) in the caller's write transaction (the admin tooling in
    ``safety.actions`` audits it there); returns the previous role, None when there is no such
    account. The role is read from the account row on every request, so it takes effect at once."""
    user = session.scalar(select(User).where(User.id == user_id).with_for_update()
                          .execution_options(populate_existing=True))
    if user is None:
        return None
    previous = user.role
    user.role = role
    changes.account_changed(session, user_id)
    return previous


def set_standing_in_tx(session: Session, user_id: int, now: datetime, *, muted_until: datetime | None,
                       suspended_until: datetime | None) -> None:
    """Put a moderator's mute / suspension in force (or lift it) in the caller's write transaction
    (``safety.actions`` writes the account action and its audit row there). A suspension in force
    revokes every open session too — the session lookup refuses them anyway (``accounts.standing``)
    — and the cached callers are retired at commit (``account_changed``)."""
    session.execute(update(User).where(User.id == user_id)
                    .values(muted_until=muted_until, suspended_until=suspended_until))
    if suspended_until is not None and suspended_until > now:
        session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                        .values(revoked_at=now))
    changes.account_changed(session, user_id)


def set_avatar(session: Session, services: Services, user: User, fh: BinaryIO) -> User:
    """Process an uploaded picture into the user's square avatar; the old file is deleted by a job."""
    key, data = media_actions.avatar_file(services, fh, session)  # before the transaction: image work
    return _replace_avatar(session, services, user, key, {key: data})


def clear_avatar(session: Session, services: Services, user: User) -> User:
    return _replace_avatar(session, services, user, None, {})


def _replace_avatar(session: Session, services: Services, user: User, key: str | None,
                    files: dict[str, bytes]) -> User:
    old = user.avatar_key
    with media_actions.stored(services.storage, files), write(session):
        session.execute(update(User).where(User.id == user.id).values(avatar_key=key))
        changes.account_changed(session, user.id)  # bylines show the avatar (author briefs)
        if old and old != key:
            # Through the outbox: the old file goes once the change has committed, even after a crash.
            events.enqueue_after_commit(session, "media.delete_files", {"keys": [old]})
    fresh = session.get(User, user.id, populate_existing=True)
    assert fresh is not None
    return fresh


def _adjust_follow_counts(session: Session, follower: int, followee: int, delta: int) -> None:
    # Two users in id order (``core.db.write``): A following B while B follows A must not lock
    # A-then-B against B-then-A.
    following = update(User).where(User.id == follower).values(following_count=User.following_count + delta)
    followers = update(User).where(User.id == followee).values(follower_count=User.follower_count + delta)
    for statement in (following, followers) if follower < followee else (followers, following):
        session.execute(statement)


def follow(session: Session, viewer: User, target: User, now: datetime) -> bool:
    """Follow ``target``; idempotent. Publishes ``user.followed`` (notification) when new."""
    if viewer.id == target.id:
        raise AppError("follow.self", _("You cannot follow yourself."), 422)
    with write(session):
        if queries.is_blocked_either_way(session, viewer.id, target.id):
            raise AppError("follow.blocked", _("You cannot follow this account."), 403)
        created = insert_ignore(session, Follow, {"follower_id": viewer.id, "followee_id": target.id, "created_at": now})
        if created:
            _adjust_follow_counts(session, viewer.id, target.id, 1)
            events.publish(session, "user.followed", {"actor_id": viewer.id, "user_id": target.id})
            changes.follow_graph_changed(session, viewer.id, target.id, hidden=False)
    return created


def _unfollow_in_tx(session: Session, follower: int, followee: int) -> bool:
    result = session.execute(delete(Follow).where(Follow.follower_id == follower, Follow.followee_id == followee))
    removed = bool(getattr(result, "rowcount", 0))
    if removed:
        _adjust_follow_counts(session, follower, followee, -1)
    return removed


def unfollow(session: Session, viewer: User, target: User) -> bool:
    with write(session):
        removed = _unfollow_in_tx(session, viewer.id, target.id)
        if removed:
            changes.follow_graph_changed(session, viewer.id, target.id, hidden=False)
    return removed


def block(session: Session, viewer: User, target: User, now: datetime) -> None:
    """Block: also ends follows in both directions, so neither side keeps seeing the other."""
    if viewer.id == target.id:
        raise AppError("block.self", _("You cannot block yourself."), 422)
    with write(session):
        if insert_ignore(session, Block, {"blocker_id": viewer.id, "blocked_id": target.id, "created_at": now}):
            _unfollow_in_tx(session, viewer.id, target.id)
            _unfollow_in_tx(session, target.id, viewer.id)
        changes.follow_graph_changed(session, viewer.id, target.id, hidden=True)  # each one's hidden authors


def unblock(session: Session, viewer: User, target: User) -> None:
    with write(session):
        session.execute(delete(Block).where(Block.blocker_id == viewer.id, Block.blocked_id == target.id))
        changes.follow_graph_changed(session, viewer.id, target.id, hidden=True)


def mute(session: Session, viewer: User, target: User, now: datetime) -> None:
    if viewer.id == target.id:
        raise AppError("mute.self", _("You cannot mute yourself."), 422)
    with write(session):
        insert_ignore(session, Mute, {"muter_id": viewer.id, "muted_id": target.id, "created_at": now})
        changes.follow_graph_changed(session, viewer.id, hidden=True)


def unmute(session: Session, viewer: User, target: User) -> None:
    with write(session):
        session.execute(delete(Mute).where(Mute.muter_id == viewer.id, Mute.muted_id == target.id))
        changes.follow_graph_changed(session, viewer.id, hidden=True)
