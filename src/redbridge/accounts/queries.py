"""Reads for accounts and the social graph."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select, union_all
from sqlalchemy.orm import Session

from redbridge.accounts.models import AuthSession, Block, Follow, Mute, User
from redbridge.accounts.schemas import Me, Profile, SessionOut, UserBrief
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.core.pagination import Page, cursor_int, decode_cursor, encode_cursor
from redbridge.media.schemas import media_url


def by_username(session: Session, username: str) -> User | None:
    # Never a username: too long, or a NUL (which PostgreSQL refuses in a parameter: a 500 otherwise).
    if len(username) > 30 or "\x00" in username:
        return None
    return session.scalar(select(User).where(User.username_key == username.lower()))


def get_active(session: Session, username: str) -> User:
    user = by_username(session, username)
    if user is None or not user.is_active:
        raise not_found("user")
    return user


def by_login(session: Session, login: str) -> User | None:
    key = login.strip().lower()
    column = User.email if "@" in key else User.username_key
    return session.scalar(select(User).where(column == key))


def username_taken(session: Session, username: str) -> bool:
    return by_username(session, username) is not None


def session_for_token(session: Session, digest: str, now: datetime) -> tuple[AuthSession, User] | None:
    row = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_digest == digest)
    ).first()
    if row is None:
        return None
    auth, user = row
    if auth.revoked_at is not None or auth.expires_at <= now or not user.is_active \
            or (user.suspended_until is not None and user.suspended_until > now):
        return None
    return auth, user


@dataclass(frozen=True, slots=True)
class Caller:
    """What a request needs to know about the account behind a session token, and nothing that
    changes with ordinary activity (counters), so it can be cached: see ``reads.callers``."""

    session_id: int
    user_id: int
    expires_at: float  # epoch seconds
    last_seen_at: float
    ui_lang: str
    interests: tuple[str, ...]
    read_langs: tuple[str, ...]
    hidden: frozenset[int]  # ``hidden_author_ids``
    stamp: str = ""  # names this load of the entry (see ``reads.callers``)


# Core statements on the tables, built once: this runs for every request with a token the cache
# does not hold, and building plus ORM-compiling a statement costs more than executing it.
_sessions_t, _users_t = AuthSession.__table__, User.__table__
_CALLER = (
    select(_sessions_t.c.id, _sessions_t.c.user_id, _sessions_t.c.expires_at, _sessions_t.c.last_seen_at,
           _users_t.c.ui_lang, _users_t.c.interests, _users_t.c.read_langs)
    .join(_users_t, _users_t.c.id == _sessions_t.c.user_id)
    .where(_sessions_t.c.token_digest == bindparam("digest"), _sessions_t.c.revoked_at.is_(None),
           _users_t.c.is_active.is_(True),
           # A suspension revokes the sessions too; this refuses them even if one slipped past.
           or_(_users_t.c.suspended_until.is_(None), _users_t.c.suspended_until <= bindparam("now")))
)


def caller_for_token(session: Session, digest: str, now: datetime, stamp: str = "") -> Caller | None:
    """The live session of ``digest`` and its account, or None (unknown, revoked, expired, or the
    account is deactivated or suspended)."""
    row = session.execute(_CALLER, {"digest": digest, "now": now}).first()
    if row is None or row.expires_at <= now:
        return None
    return Caller(
        session_id=row.id, user_id=row.user_id, expires_at=row.expires_at.timestamp(),
        last_seen_at=row.last_seen_at.timestamp(), ui_lang=row.ui_lang or "",
        interests=tuple(row.interests or ()), read_langs=tuple(row.read_langs or ()),
        hidden=frozenset(hidden_author_ids(session, row.user_id)), stamp=stamp,
    )


def session_digests(session: Session, user_ids: Iterable[int], now: datetime) -> list[str]:
    """Digests of the users' sessions that have not expired (revoked ones included)."""
    return list(session.scalars(
        select(AuthSession.token_digest).where(AuthSession.user_id.in_(list(user_ids)), AuthSession.expires_at > now)
    ))


def active_sessions(session: Session, user_id: int, now: datetime) -> list[AuthSession]:
    return list(
        session.scalars(
            select(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
            .order_by(AuthSession.last_seen_at.desc())
        )
    )


def session_list(session: Session, user_id: int, current_id: int, now: datetime) -> list[SessionOut]:
    """The user's open sessions, most recently used first; ``current`` marks the one asking."""
    return [
        SessionOut(
            id=ids.encode(s.id), created_at=s.created_at, last_seen_at=s.last_seen_at, expires_at=s.expires_at,
            user_agent=s.user_agent, ip=s.ip, current=s.id == current_id,
        )
        for s in active_sessions(session, user_id, now)
    ]


def brief(user: User) -> UserBrief:
    return UserBrief(
        id=ids.encode(user.id),
        username=user.username,
        display_name=user.display_name or user.username,
        avatar_url=media_url(user.avatar_key),
    )


def briefs(session: Session, user_ids: Iterable[int]) -> dict[int, UserBrief]:
    wanted = set(user_ids)
    if not wanted:
        return {}
    return {u.id: brief(u) for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def usernames(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """{user id: username} for the ids given (None skipped: an actor column that may be empty);
    one query, none for no ids. Ids without an account are simply missing."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row.username for row in session.execute(select(User.id, User.username).where(User.id.in_(wanted)))}


def relation(session: Session, viewer_id: int | None, other_id: int) -> dict[str, bool]:
    if viewer_id is None or viewer_id == other_id:
        return {"followed_by_me": False, "follows_me": False, "blocked_by_me": False, "muted_by_me": False}
    follows = set(
        session.execute(
            select(Follow.follower_id).where(
                or_(
                    and_(Follow.follower_id == viewer_id, Follow.followee_id == other_id),
                    and_(Follow.follower_id == other_id, Follow.followee_id == viewer_id),
                )
            )
        ).scalars()
    )
    blocked = session.get(Block, (viewer_id, other_id)) is not None
    muted = session.get(Mute, (viewer_id, other_id)) is not None
    return {
        "followed_by_me": viewer_id in follows,
        "follows_me": other_id in follows,
        "blocked_by_me": blocked,
        "muted_by_me": muted,
    }


def _profile_fields(user: User) -> dict[str, object]:
    return {
        **brief(user).model_dump(),
        "bio": user.bio,
        "read_langs": list(user.read_langs or []),
        "region": user.region,
        "follower_count": user.follower_count,
        "following_count": user.following_count,
        "note_count": user.note_count,
        "engagement_received": user.engagement_received,
        "created_at": user.created_at,
    }


def profile(session: Session, user: User, viewer_id: int | None) -> Profile:
    return Profile.model_validate({**_profile_fields(user), **relation(session, viewer_id, user.id)})


def me(user: User) -> Me:
    return Me.model_validate(
        {
            **_profile_fields(user),
            "email": user.email,
            "ui_lang": user.ui_lang,
            "interests": list(user.interests or []),
            "onboarded": user.onboarded,
            "always_translate": bool(user.always_translate),
            "is_admin": user.is_admin,
            "role": user.role,
        }
    )


def is_blocked_either_way(session: Session, a: int, b: int) -> bool:
    return session.scalar(BLOCKED_EITHER_WAY, {"a": a, "b": b}) is not None


# Built once on the table: checked on every note page a logged-in reader opens (also inside the
# note page's one statement for the reader, ``notes.queries.viewer_state``).
BLOCKED_EITHER_WAY = select(Block.__table__.c.blocker_id).where(or_(
    and_(Block.__table__.c.blocker_id == bindparam("a"), Block.__table__.c.blocked_id == bindparam("b")),
    and_(Block.__table__.c.blocker_id == bindparam("b"), Block.__table__.c.blocked_id == bindparam("a")),
)).limit(1)


def hidden_author_ids(session: Session, viewer_id: int | None) -> set[int]:
    """Authors whose notes the viewer must not see in feeds: blocked (either way) and muted.

    One UNION statement rather than three queries: it runs on every feed page of a logged-in
    viewer, and the per-statement cost dominates (the sets are almost always empty).
    """
    if viewer_id is None:
        return set()
    return set(session.execute(_HIDDEN, {"viewer": viewer_id}).scalars())


_blocks_t, _mutes_t = Block.__table__, Mute.__table__
_HIDDEN = union_all(
    select(_blocks_t.c.blocked_id).where(_blocks_t.c.blocker_id == bindparam("viewer")),
    select(_blocks_t.c.blocker_id).where(_blocks_t.c.blocked_id == bindparam("viewer")),
    select(_mutes_t.c.muted_id).where(_mutes_t.c.muter_id == bindparam("viewer")),
)


def followed_among(session: Session, viewer_id: int | None, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` the viewer follows (one query for a whole list of follow buttons)."""
    wanted = set(user_ids)
    if viewer_id is None or not wanted:
        return set()
    return set(session.scalars(
        select(Follow.followee_id).where(Follow.follower_id == viewer_id, Follow.followee_id.in_(wanted))
    ))


def following_ids(session: Session, user_id: int) -> list[int]:
    return list(session.scalars(select(Follow.followee_id).where(Follow.follower_id == user_id)))


def _graph_page(session: Session, user: User, cursor: str | None, limit: int, followers: bool) -> Page[UserBrief]:
    """Followers / following, newest relationship first; keyset on (created_at, other id)."""
    state = decode_cursor(cursor)
    other = Follow.follower_id if followers else Follow.followee_id
    mine = Follow.followee_id if followers else Follow.follower_id
    query = select(Follow.created_at, other).where(mine == user.id)
    if state is not None:
        before_ms = cursor_int(state, "t") or 0
        before_id = cursor_int(state, "u") or 0
        before = datetime.fromtimestamp(before_ms / 1_000_000, tz=user.created_at.tzinfo)
        query = query.where(or_(Follow.created_at < before, and_(Follow.created_at == before, other < before_id)))
    rows = session.execute(query.order_by(Follow.created_at.desc(), other.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    users = briefs(session, (r[1] for r in rows))
    items = [users[r[1]] for r in rows if r[1] in users]
    next_cursor = None
    if more and rows:
        last_time, last_id = rows[-1]
        next_cursor = encode_cursor({"t": int(last_time.timestamp() * 1_000_000), "u": last_id})
    return Page[UserBrief](items=items, next_cursor=next_cursor)


def followers(session: Session, user: User, cursor: str | None, limit: int) -> Page[UserBrief]:
    return _graph_page(session, user, cursor, limit, followers=True)


def following(session: Session, user: User, cursor: str | None, limit: int) -> Page[UserBrief]:
    return _graph_page(session, user, cursor, limit, followers=False)
