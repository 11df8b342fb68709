"""Thin HTTP layer of engagement: likes, collects, collections and comments under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from redbridge.accounts import trust
from redbridge.accounts.deps import OptionalViewerDep, ViewerDep
from redbridge.accounts.queries import get_active
from redbridge.core import ids
from redbridge.core.deps import DbDep, ServicesDep, client_ip
from redbridge.core.errors import ErrorEnvelope, path_id
from redbridge.core.pagination import Page, PageLimit
from redbridge.engagement import actions, queries
from redbridge.engagement.schemas import (
    CollectIn,
    CollectionCreate,
    CollectionOut,
    CollectionUpdate,
    CollectOut,
    CommentCreate,
    CommentOut,
    LikeOut,
)
from redbridge.moderation import screening

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
router = APIRouter(prefix="/api/v1", tags=["engagement"], responses=ERRORS)


# ----------------------------------------------------------------------------------------- likes


@router.post("/notes/{note_id}/like", response_model=LikeOut)
def like_note(note_id: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> LikeOut:
    return actions.set_note_like(session, viewer.user.id, path_id(note_id, "note"), services.clock.now(), True)


@router.delete("/notes/{note_id}/like", response_model=LikeOut)
def unlike_note(note_id: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> LikeOut:
    return actions.set_note_like(session, viewer.user.id, path_id(note_id, "note"), services.clock.now(), False)


@router.post("/comments/{comment_id}/like", response_model=LikeOut)
def like_comment(comment_id: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> LikeOut:
    return actions.set_comment_like(
        session, viewer.user.id, path_id(comment_id, "comment"), services.clock.now(), True
    )


@router.delete("/comments/{comment_id}/like", response_model=LikeOut)
def unlike_comment(comment_id: str, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> LikeOut:
    return actions.set_comment_like(
        session, viewer.user.id, path_id(comment_id, "comment"), services.clock.now(), False
    )


# -------------------------------------------------------------------------------------- collects


@router.post("/notes/{note_id}/collect", response_model=CollectOut)
def collect_note(
    note_id: str, viewer: ViewerDep, session: DbDep, services: ServicesDep, body: CollectIn | None = None
) -> CollectOut:
    collection_id = ids.decode(body.collection_id) if body and body.collection_id else None
    return actions.collect(session, viewer.user.id, path_id(note_id, "note"), collection_id, services.clock.now())


@router.delete("/notes/{note_id}/collect", response_model=CollectOut)
def uncollect_note(note_id: str, viewer: ViewerDep, session: DbDep) -> CollectOut:
    return actions.uncollect(session, viewer.user.id, path_id(note_id, "note"))


# ----------------------------------------------------------------------------------- collections


@router.post("/collections", status_code=status.HTTP_201_CREATED, response_model=CollectionOut)
def create_collection(body: CollectionCreate, viewer: ViewerDep, session: DbDep, services: ServicesDep) -> CollectionOut:
    collection = actions.create_collection(session, viewer.user.id, body, services.clock.now())
    return queries.collection_out(session, collection)


@router.get("/collections/{collection_id}", response_model=CollectionOut)
def get_collection(collection_id: str, viewer: OptionalViewerDep, session: DbDep) -> CollectionOut:
    collection = queries.visible_collection(
        session, path_id(collection_id, "collection"), viewer.user.id if viewer else None
    )
    return queries.collection_out(session, collection)


@router.patch("/collections/{collection_id}", response_model=CollectionOut)
def update_collection(collection_id: str, body: CollectionUpdate, viewer: ViewerDep, session: DbDep) -> CollectionOut:
    collection = actions.update_collection(session, viewer.user.id, path_id(collection_id, "collection"), body)
    return queries.collection_out(session, collection)


@router.delete("/collections/{collection_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_collection(collection_id: str, viewer: ViewerDep, session: DbDep) -> Response:
    actions.delete_collection(session, viewer.user.id, path_id(collection_id, "collection"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{username}/collections", response_model=Page[CollectionOut])
def user_collections(
    username: str, viewer: OptionalViewerDep, session: DbDep, cursor: str | None = None, limit: PageLimit = 20
) -> Page[CollectionOut]:
    owner = get_active(session, username)
    return queries.user_collections(session, owner, viewer.user.id if viewer else None, cursor, limit)


# -------------------------------------------------------------------------------------- comments


@router.post("/notes/{note_id}/comments", status_code=status.HTTP_201_CREATED, response_model=CommentOut)
def create_comment(
    note_id: str, body: CommentCreate, request: Request, viewer: ViewerDep, session: DbDep, services: ServicesDep
) -> CommentOut:
    trust.spend_comment(services, session, viewer.user, client_ip(request))
    parent_id = ids.decode(body.parent_id) if body.parent_id else None
    comment = actions.create_comment(
        session, viewer.user.id, path_id(note_id, "note"), body.body, parent_id, services.clock.now(),
        checker=screening.checker(services),
    )
    return queries.comment_out(session, comment, viewer.user.id)


@router.get("/notes/{note_id}/comments", response_model=Page[CommentOut])
def note_comments(
    note_id: str, viewer: OptionalViewerDep, session: DbDep, cursor: str | None = None, limit: PageLimit = 20
) -> Page[CommentOut]:
    return queries.note_comments(
        session, path_id(note_id, "note"), viewer.user.id if viewer else None, cursor, limit
    )


@router.get("/comments/{comment_id}/replies", response_model=Page[CommentOut])
def comment_replies(
    comment_id: str, viewer: OptionalViewerDep, session: DbDep, cursor: str | None = None, limit: PageLimit = 20
) -> Page[CommentOut]:
    return queries.comment_replies(
        session, path_id(comment_id, "comment"), viewer.user.id if viewer else None, cursor, limit
    )


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_comment(comment_id: str, viewer: ViewerDep, session: DbDep) -> Response:
    actions.delete_comment(session, viewer.user, path_id(comment_id, "comment"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
