"""Thin HTTP layer of the feeds: explore, following, a user's notes, collections, my collects."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response

from redbridge.accounts import queries as accounts_queries
from redbridge.accounts.deps import OptionalViewerDep, ViewerDep, peek_caller, resolve_viewer
from redbridge.core.deps import DbDep, ServicesDep, answer_json, services_of
from redbridge.core.errors import ErrorEnvelope, path_id, unauthenticated
from redbridge.core.pagination import PageLimit
from redbridge.core.services import Services
from redbridge.feeds import explore, queries
from redbridge.feeds.schemas import Cursor, FeedPage, TopicFilter

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422)}
router = APIRouter(tags=["feeds"], responses=ERRORS)


@router.get("/api/v1/feeds/explore", response_model=FeedPage)
async def explore_feed(request: Request, topic: TopicFilter = None, cursor: Cursor = None,
                       limit: PageLimit = 20) -> Response:
    """Ranked, personalised discovery feed (anonymous: ranked for the request's language)."""
    # The hottest read of the site: a cached page (the common case) is answered from the token
    # cache and the page cache alone, on the event loop; anything else in one thread-pool hop.
    services = services_of(request)
    return await answer_json(services, partial(_cached_explore, request, services, topic, cursor, limit),
                             partial(_explore, request, services, topic, cursor, limit))


def _cached_explore(request: Request, services: Services, topic: str | None, cursor: str | None,
                    limit: int) -> bytes | None:
    known, caller = peek_caller(request, services)
    if not known:
        return None
    return explore.peek(services, caller, str(request.state.locale), topic, cursor, limit)


def _explore(request: Request, services: Services, topic: str | None, cursor: str | None, limit: int) -> bytes:
    with services.sessions() as session:
        viewer = resolve_viewer(request, services, session)
        return explore.render(services, session, viewer.caller if viewer else None, str(request.state.locale),
                              topic, cursor, limit)


@router.get("/api/v1/feeds/following", response_model=FeedPage)
async def following_feed(request: Request, cursor: Cursor = None, limit: PageLimit = 20) -> Response:
    """Notes by the accounts the viewer follows, newest first."""
    # Like explore: a cached page (``queries.peek_following``: its key retires with every write it
    # shows, a followed author's new note included) is answered on the event loop; anything else in
    # one thread-pool hop that resolves the viewer itself, sent as serialised, not re-validated.
    services = services_of(request)
    return await answer_json(services, partial(_cached_following, request, services, cursor, limit),
                             partial(_following, request, services, cursor, limit))


def _cached_following(request: Request, services: Services, cursor: str | None, limit: int) -> bytes | None:
    known, caller = peek_caller(request, services)
    return queries.peek_following(services, caller, cursor, limit) if known and caller is not None else None


def _following(request: Request, services: Services, cursor: str | None, limit: int) -> bytes:
    with services.sessions() as session:
        viewer = resolve_viewer(request, services, session)
        if viewer is None:
            raise unauthenticated()
        return queries.following_json(services, session, viewer.caller, cursor, limit)


@router.get("/api/v1/users/{username}/notes", response_model=FeedPage)
def user_notes(username: str, viewer: OptionalViewerDep, services: ServicesDep, session: DbDep, cursor: Cursor = None,
               limit: PageLimit = 20) -> FeedPage:
    """A user's notes, newest first; empty when the author and the viewer blocked one another."""
    author = accounts_queries.get_active(session, username)
    return queries.user_notes(services, session, author, viewer.user.id if viewer else None, cursor, limit)


@router.get("/api/v1/collections/{collection_id}/notes", response_model=FeedPage)
def collection_notes(collection_id: str, viewer: OptionalViewerDep, services: ServicesDep, session: DbDep,
                     cursor: Cursor = None,
                     limit: PageLimit = 20) -> FeedPage:
    """A collection's notes, most recently collected first; private collections are the owner's only."""
    parsed = path_id(collection_id, "collection")
    return queries.collection_notes(services, session, parsed, viewer.user.id if viewer else None, cursor, limit)


@router.get("/api/v1/me/collects", response_model=FeedPage)
def my_collects(viewer: ViewerDep, services: ServicesDep, session: DbDep, cursor: Cursor = None, limit: PageLimit = 20) -> FeedPage:
    """Every note the viewer collected, most recent first."""
    return queries.my_collects(services, session, viewer.user.id, cursor, limit)
