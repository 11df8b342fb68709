"""Reads for collections and comments.

Whether the viewer may see a note at all — and so its comments, replies and anything else scoped
to it — is ``notes.queries.get_visible``'s answer, the same for every endpoint. Within a visible
note, comment lists hide authors the viewer blocked or muted, and those who blocked the viewer, and
comments that are not published (held for review, removed) unless the viewer wrote them (a held
one is marked) or is a moderator. A page
of comments costs a fixed number of queries whatever its size: the comments, their reply
previews, the authors, the viewer's likes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session

from redbridge.accounts.models import User
from redbridge.accounts.queries import brief, briefs, hidden_author_ids, is_blocked_either_way
from redbridge.core import ids
from redbridge.core.errors import AppError, not_found
from redbridge.core.pagination import Page, id_page
from redbridge.engagement.models import Collection, Comment, CommentLike
from redbridge.engagement.schemas import CollectionOut, CommentOut
from redbridge.notes.models import PUBLISHED
from redbridge.notes.queries import get_visible, is_moderator

PREVIEW_REPLIES = 2


def require_note(session: Session, note_id: int, viewer_id: int | None) -> None:
    """404 ``note.not_found`` unless the viewer may see the note (``notes.queries.get_visible``)."""
    get_visible(session, note_id, viewer_id)


def comment_shown(viewer_id: int | None, moderator: bool) -> ColumnElement[bool]:
    """Which comments the viewer may see in a visible note: published ones, their own, and for
    moderators every one."""
    if moderator:
        return true()
    if viewer_id is None:
        return Comment.status == PUBLISHED
    return or_(Comment.status == PUBLISHED, Comment.author_id == viewer_id)


def comment_note_id(session: Session, comment_id: int, viewer_id: int | None) -> int:
    """The note of a comment the viewer may see; 404 ``comment.not_found`` — the same answer as for a
    comment that does not exist — when there is none, its note is hidden from the viewer, or the
    comment itself is (held or removed, and neither the viewer's nor shown to a moderator)."""
    row = session.execute(
        select(Comment.note_id, Comment.status, Comment.author_id).where(Comment.id == comment_id)).first()
    if row is None:
        raise not_found("comment")
    note_id = int(row.note_id)
    if row.status != PUBLISHED and row.author_id != viewer_id and not is_moderator(session, viewer_id):
        raise not_found("comment")
    try:
        get_visible(session, note_id, viewer_id)
    except AppError:
        raise not_found("comment") from None
    return note_id


# ----------------------------------------------------------------------------------- collections


def _collection_out(collection: Collection, owner: User) -> CollectionOut:
    return CollectionOut(
        id=ids.encode(collection.id), name=collection.name, description=collection.description,
        is_public=collection.is_public, note_count=collection.note_count, owner=brief(owner),
        created_at=collection.created_at,
    )


def visible_collection(session: Session, collection_id: int, viewer_id: int | None) -> Collection:
    """The collection if the viewer may read it; otherwise the same 404 as a missing one, so ids of
    private collections cannot be probed. Hidden from everyone but the owner: private collections,
    those of deactivated accounts, and those whose owner and viewer are blocked either way."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise not_found("collection")
    if collection.owner_id == viewer_id:
        return collection
    owner = session.get(User, collection.owner_id)
    if not collection.is_public or owner is None or not owner.is_active:
        raise not_found("collection")
    if viewer_id is not None and is_blocked_either_way(session, viewer_id, collection.owner_id):
        raise not_found("collection")
    return collection


def collection_out(session: Session, collection: Collection) -> CollectionOut:
    owner = session.get(User, collection.owner_id)
    if owner is None:
        raise not_found("collection")
    return _collection_out(collection, owner)


def user_collections(
    session: Session, owner: User, viewer_id: int | None, cursor: str | None, limit: int
) -> Page[CollectionOut]:
    """A user's collections, newest first; private ones only when the owner asks."""
    query = select(Collection).where(Collection.owner_id == owner.id)
    if viewer_id != owner.id:
        query = query.where(Collection.is_public.is_(True))
    rows, next_cursor = id_page(session, query, Collection.id, cursor, limit, newest_first=True)
    return Page[CollectionOut](items=[_collection_out(c, owner) for c in rows], next_cursor=next_cursor)


# -------------------------------------------------------------------------------------- comments


def _previews(session: Session, top_ids: list[int], hidden: set[int], shown: ColumnElement[bool]) -> dict[int, list[Comment]]:
    """The first replies of each top-level comment, in one query (a window per thread)."""
    if not top_ids:
        return {}
    conditions = [Comment.parent_id.in_(top_ids), shown]
    if hidden:
        conditions.append(Comment.author_id.not_in(hidden))
    position = func.row_number().over(partition_by=Comment.parent_id, order_by=Comment.id).label("position")
    ranked = select(Comment.id, position).where(*conditions).subquery()
    rows = session.scalars(
        select(Comment).join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.position <= PREVIEW_REPLIES).order_by(Comment.id)
    )
    previews: dict[int, list[Comment]] = {}
    for reply in rows:
        assert reply.parent_id is not None
        previews.setdefault(reply.parent_id, []).append(reply)
    return previews


def _outs(
    session: Session, comments: Sequence[Comment], viewer_id: int | None,
    previews: Mapping[int, Sequence[Comment]] | None = None,
) -> list[CommentOut]:
    previews = previews or {}
    everything = [*comments, *(reply for replies in previews.values() for reply in replies)]
    users = briefs(session, {c.author_id for c in everything} | {
        c.reply_to_user_id for c in everything if c.reply_to_user_id is not None
    })
    liked: set[int] = set()
    if viewer_id is not None and everything:
        liked = set(session.scalars(select(CommentLike.comment_id).where(
            CommentLike.user_id == viewer_id, CommentLike.comment_id.in_([c.id for c in everything])
        )))

    def one(comment: Comment) -> CommentOut | None:
        author = users.get(comment.author_id)
        if author is None:
            return None
        replies = [out for out in map(one, previews.get(comment.id, ())) if out is not None]
        return CommentOut(
            id=ids.encode(comment.id), note_id=ids.encode(comment.note_id), author=author, body=comment.body,
            lang=comment.lang, parent_id=ids.encode(comment.parent_id) if comment.parent_id is not None else None,
            reply_to=users.get(comment.reply_to_user_id) if comment.reply_to_user_id is not None else None,
            like_count=comment.like_count, reply_count=comment.reply_count, liked_by_me=comment.id in liked,
            created_at=comment.created_at, status=comment.status, replies_preview=replies,
        )

    return [out for out in map(one, comments) if out is not None]


def comment_out(session: Session, comment: Comment, viewer_id: int | None) -> CommentOut:
    outs = _outs(session, [comment], viewer_id)
    if not outs:
        raise not_found("comment")
    return outs[0]


def _visible(query: Select[Comment], hidden: set[int]) -> Select[Comment]:
    return query.where(Comment.author_id.not_in(hidden)) if hidden else query


def note_comments(
    session: Session, note_id: int, viewer_id: int | None, cursor: str | None, limit: int
) -> Page[CommentOut]:
    """Top-level comments of a note, oldest first, each with its first replies."""
    require_note(session, note_id, viewer_id)
    hidden = hidden_author_ids(session, viewer_id)
    shown = comment_shown(viewer_id, is_moderator(session, viewer_id))
    query = _visible(select(Comment).where(Comment.note_id == note_id, Comment.parent_id.is_(None), shown), hidden)
    rows, next_cursor = id_page(session, query, Comment.id, cursor, limit, newest_first=False)
    previews = _previews(session, [c.id for c in rows], hidden, shown)
    return Page[CommentOut](items=_outs(session, rows, viewer_id, previews), next_cursor=next_cursor)


def comment_replies(
    session: Session, comment_id: int, viewer_id: int | None, cursor: str | None, limit: int
) -> Page[CommentOut]:
    """Replies in a comment's thread, oldest first (a reply has none: replies are one level deep)."""
    comment_note_id(session, comment_id, viewer_id)
    hidden = hidden_author_ids(session, viewer_id)
    shown = comment_shown(viewer_id, is_moderator(session, viewer_id))
    query = _visible(select(Comment).where(Comment.parent_id == comment_id, shown), hidden)
    rows, next_cursor = id_page(session, query, Comment.id, cursor, limit, newest_first=False)
    return Page[CommentOut](items=_outs(session, rows, viewer_id), next_cursor=next_cursor)
