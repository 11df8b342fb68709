"""Thin HTTP layer of the feeds: explore, following, a user's notes, collections, my collects."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from redbridge.accounts import callers
from redbridge.accounts import queries as accounts_queries
from redbridge.accounts.deps import OptionalViewerDep, ViewerDep, accept, request_token, resolve_viewer
from redbridge.core import ids
from redbridge.core.deps import DbDep, services_of
from redbridge.core.errors import ErrorEnvelope, not_found, unauthenticated
from redbridge.core.security import token_digest
from redbridge.feeds import explore, queries, tasks  # noqa: F401 - tasks: register the feeds jobs
from redbridge.feeds.schemas import Cursor, FeedPage, PageLimit, TopicFilter
from redbridge.services import Services

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422)}
router = APIRouter(tags=["feeds"], responses=ERRORS)


@router.get("/api/v1/feeds/explore", response_model=FeedPage)
async def explore_feed(request: Request, topic: TopicFilter = None, cursor: Cursor = None,
                       limit: PageLimit = 20) -> Response:
    """Ranked, personalised discovery feed (anonymous: ranked for the request's language)."""
    # The hottest read of the site. A cached page (the common case) is answered from the token
    # cache and the page cache alone, on the event loop: the thread-pool round trip, the session
    # and FastAPI's re-validation of a FeedPage would each cost more than that. Anything else —
    # a token or a page not cached — is computed on the thread pool in one hop.
    services = services_of(request)
    fast = partial(_cached_explore, request, services, topic, cursor, limit)
    body = fast() if services.cache.local else await run_in_threadpool(fast)
    if body is None:
        body = await run_in_threadpool(_explore, request, services, topic, cursor, limit)
    return Response(body, media_type="application/json")


def _cached_explore(request: Request, services: Services, topic: str | None, cursor: str | None,
                    limit: int) -> bytes | None:
    token, via_cookie = request_token(request)
    caller = None
    if token is not None:
        digest = token_digest(token)
        caller = callers.peek(services, digest)
        if caller is None:
            return None
        accept(request, services, caller, digest, via_cookie)
    return explore.peek(services, caller, str(request.state.locale), topic, cursor, limit)


def _explore(request: Request, services: Services, topic: str | None, cursor: str | None, limit: int) -> bytes:
    with services.sessions() as session:
        viewer = resolve_viewer(request, services, session)
        return explore.render(services, session, viewer.caller if viewer else None, str(request.state.locale),
                              topic, cursor, limit)


@router.get("/api/v1/feeds/following", response_model=FeedPage)
def following_feed(request: Request, cursor: Cursor = None, limit: PageLimit = 20) -> Response:
    """Notes by the accounts the viewer follows, newest first."""
    # Like explore: the viewer is resolved here rather than by dependencies (one thread-pool hop
    # instead of three), and the page is sent as serialised, not re-validated.
    services = services_of(request)
    with services.sessions() as session:
        viewer = resolve_viewer(request, services, session)
        if viewer is None:
            raise unauthenticated()
        page = queries.following(session, viewer.id, cursor, limit, services)
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/api/v1/users/{username}/notes", response_model=FeedPage)
def user_notes(username: str, viewer: OptionalViewerDep, session: DbDep, cursor: Cursor = None,
               limit: PageLimit = 20) -> FeedPage:
    """A user's notes, newest first; empty when the author and the viewer blocked one another."""
    author = accounts_queries.get_active(session, username)
    return queries.user_notes(session, author, viewer.user.id if viewer else None, cursor, limit)


@router.get("/api/v1/collections/{collection_id}/notes", response_model=FeedPage)
def collection_notes(collection_id: str, viewer: OptionalViewerDep, session: DbDep, cursor: Cursor = None,
                     limit: PageLimit = 20) -> FeedPage:
    """A collection's notes, most recently collected first; private collections are the owner's only."""
    parsed = ids.decode(collection_id)
    if parsed is None:
        raise not_found("collection")
    return queries.collection_notes(session, parsed, viewer.user.id if viewer else None, cursor, limit)


@router.get("/api/v1/me/collects", response_model=FeedPage)
def my_collects(viewer: ViewerDep, session: DbDep, cursor: Cursor = None, limit: PageLimit = 20) -> FeedPage:
    """Every note the viewer collected, most recent first."""
    return queries.my_collects(session, viewer.user.id, cursor, limit)
