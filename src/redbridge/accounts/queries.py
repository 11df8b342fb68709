"""Reads for accounts and the social graph."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, or_, select, union_all
from sqlalchemy.orm import Session

from redbridge.accounts.models import AuthSession, Block, Follow, Mute, User
from redbridge.accounts.schemas import Me, Profile, UserBrief
from redbridge.core import ids
from redbridge.core.errors import not_found
from redbridge.core.pagination import Page, cursor_int, decode_cursor, encode_cursor


def media_url(key: str | None) -> str | None:
    return f"/media/{key}" if key else None


def by_username(session: Session, username: str) -> User | None:
    if len(username) > 30:
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
    if auth.revoked_at is not None or auth.expires_at <= now or not user.is_active:
        return None
    return auth, user


def active_sessions(session: Session, user_id: int, now: datetime) -> list[AuthSession]:
    return list(
        session.scalars(
            select(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
            .order_by(AuthSession.last_seen_at.desc())
        )
    )


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
            "is_admin": user.is_admin,
        }
    )


def is_blocked_either_way(session: Session, a: int, b: int) -> bool:
    return session.scalar(
        select(Block.blocker_id).where(
            or_(and_(Block.blocker_id == a, Block.blocked_id == b), and_(Block.blocker_id == b, Block.blocked_id == a))
        ).limit(1)
    ) is not None


def hidden_author_ids(session: Session, viewer_id: int | None) -> set[int]:
    """Authors whose notes the viewer must not see in feeds: blocked (either way) and muted.

    One UNION statement rather than three queries: it runs on every feed page of a logged-in
    viewer, and the per-statement cost dominates (the sets are almost always empty).
    """
    if viewer_id is None:
        return set()
    query = union_all(
        select(Block.blocked_id).where(Block.blocker_id == viewer_id),
        select(Block.blocker_id).where(Block.blocked_id == viewer_id),
        select(Mute.muted_id).where(Mute.muter_id == viewer_id),
    )
    return set(session.execute(query).scalars())


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
