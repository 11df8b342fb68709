"""Thin HTTP layer of the feeds: explore, following, a user's notes, collections, my collects."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from redbridge.accounts import queries as accounts_queries
from redbridge.accounts.deps import OptionalViewerDep, ViewerDep, resolve_viewer
from redbridge.core import ids
from redbridge.core.deps import DbDep, services_of
from redbridge.core.errors import ErrorEnvelope, not_found
from redbridge.feeds import explore, queries, tasks  # noqa: F401 - tasks: register the feeds jobs
from redbridge.feeds.schemas import Cursor, FeedPage, PageLimit, TopicFilter

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422)}
router = APIRouter(tags=["feeds"], responses=ERRORS)


@router.get("/api/v1/feeds/explore", response_model=FeedPage)
def explore_feed(request: Request, topic: TopicFilter = None, cursor: Cursor = None,
                 limit: PageLimit = 20) -> Response:
    """Ranked, personalised discovery feed (anonymous: ranked for the request's language)."""
    # The hottest read of the site, so it skips two framework costs that exceed the work of a
    # cached page: every sync dependency (services, session, viewer) is a thread-pool round trip
    # of its own — the session and viewer are resolved here, in the route's one — and the page
    # arrives as JSON serialised from FeedPage, which FastAPI would otherwise re-validate.
    services = services_of(request)
    with services.sessions() as session:
        viewer = resolve_viewer(request, services, session)
        body = explore.render(services, session, viewer.user if viewer else None, str(request.state.locale),
                              topic, cursor, limit)
    return Response(body, media_type="application/json")


@router.get("/api/v1/feeds/following", response_model=FeedPage)
def following_feed(viewer: ViewerDep, session: DbDep, cursor: Cursor = None, limit: PageLimit = 20) -> FeedPage:
    """Notes by the accounts the viewer follows, newest first."""
    return queries.following(session, viewer.user.id, cursor, limit)


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
