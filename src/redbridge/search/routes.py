"""Thin HTTP layer of search: ``GET /api/v1/search/notes``."""

from __future__ import annotations

from fastapi import APIRouter

from redbridge.accounts.deps import OptionalViewerDep
from redbridge.core.deps import DbDep, ServicesDep
from redbridge.core.errors import ErrorEnvelope
from redbridge.core.pagination import PageLimit
from redbridge.feeds.schemas import Cursor
from redbridge.search import queries
from redbridge.search.schemas import (
    KindParam,
    LangParam,
    NearParam,
    PlaceParam,
    QueryText,
    ScopeParam,
    SearchPage,
    SortParam,
    TagPage,
    TimeParam,
    UserPage,
    WithinParam,
)

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (400, 401, 422)}
router = APIRouter(tags=["search"], responses=ERRORS)


@router.get("/api/v1/search/notes", response_model=SearchPage)
def search_notes(viewer: OptionalViewerDep, services: ServicesDep, session: DbDep, q: QueryText = None,
                 sort: SortParam = "relevance", kind: KindParam = None, lang: LangParam = None,
                 time: TimeParam = None, scope: ScopeParam = "all", near: NearParam = None,
                 within_km: WithinParam = None, place: PlaceParam = None, cursor: Cursor = None,
                 limit: PageLimit = 20) -> SearchPage:
    """Notes matching ``q`` (words in any language; Traditional and Simplified Chinese alike),
    ranked or sorted, as the explore feed's cards; notes the viewer may not see never appear."""
    text = queries.check_query(services, q)
    filters = queries.Filters(sort=sort, kind=kind, lang=lang, time=time, scope=scope,
                              near=queries.resolve_place(session, near, place, within_km))
    return queries.search_notes(services, session, viewer.user.id if viewer else None, text, filters,
                                cursor=cursor, limit=limit)


@router.get("/api/v1/search/users", response_model=UserPage)
def search_users(viewer: OptionalViewerDep, services: ServicesDep, session: DbDep, q: QueryText = None,
                 cursor: Cursor = None, limit: PageLimit = 20) -> UserPage:
    """People by username (prefix, with or without ``@``) or display name (any part of it)."""
    text = queries.check_query(services, q)
    return queries.search_users(session, viewer.user.id if viewer else None, text, cursor=cursor, limit=limit)


@router.get("/api/v1/search/tags", response_model=TagPage)
def search_tags(services: ServicesDep, session: DbDep, q: QueryText = None, cursor: Cursor = None,
                limit: PageLimit = 20) -> TagPage:
    """Tags starting with ``q`` (with or without ``#``), the most used first."""
    text = queries.check_query(services, q)
    return queries.search_tags(session, text, cursor=cursor, limit=limit)
