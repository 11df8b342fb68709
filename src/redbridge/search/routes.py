"""Thin HTTP layer of search: ``GET /api/v1/search/notes``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from redbridge.accounts.deps import OptionalViewerDep, ViewerDep
from redbridge.core.deps import DbDep, ServicesDep, client_ip
from redbridge.core.errors import ErrorEnvelope, path_id
from redbridge.core.pagination import PageLimit
from redbridge.feeds.schemas import Cursor
from redbridge.search import actions, queries
from redbridge.search.schemas import (
    HistoryList,
    KindParam,
    LangParam,
    NearParam,
    PlaceParam,
    QueryText,
    ScopeParam,
    SearchPage,
    SortParam,
    SuggestionList,
    SuggestText,
    TagPage,
    TimeParam,
    TrendingList,
    UserPage,
    WithinParam,
)

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (400, 401, 422)}
router = APIRouter(tags=["search"], responses=ERRORS)


@router.get("/api/v1/search/notes", response_model=SearchPage)
def search_notes(request: Request, viewer: OptionalViewerDep, services: ServicesDep, session: DbDep, q: QueryText = None,
                 sort: SortParam = "relevance", kind: KindParam = None, lang: LangParam = None,
                 time: TimeParam = None, scope: ScopeParam = "all", near: NearParam = None,
                 within_km: WithinParam = None, place: PlaceParam = None, cursor: Cursor = None,
                 limit: PageLimit = 20) -> SearchPage:
    """Notes matching ``q`` (words in any language; Traditional and Simplified Chinese alike),
    ranked or sorted, as the explore feed's cards; notes the viewer may not see never appear."""
    text = queries.check_query(services, q)
    filters = queries.Filters(sort=sort, kind=kind, lang=lang, time=time, scope=scope,
                              near=queries.resolve_place(session, near, place, within_km))
    page = queries.search_notes(services, session, viewer.user.id if viewer else None, text, filters,
                                cursor=cursor, limit=limit)
    actions.record_search(services, session, viewer.user.id if viewer else None, client_ip(request), text,
                          found=bool(page.items), paging=cursor is not None)
    return page


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


# ------------------------------------------------- suggestions, trending, history (docs/search.md)

HISTORY_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (401, 404, 429)}


@router.get("/api/v1/search/suggest", response_model=SuggestionList, responses={429: {"model": ErrorEnvelope}})
def suggest(request: Request, viewer: OptionalViewerDep, services: ServicesDep, session: DbDep,
            q: SuggestText = None) -> SuggestionList:
    """Up to 10 popular queries and tags starting with what has been typed — its words, its pinyin
    (``huoguo``) or pinyin initials (``hg``), Traditional or Simplified — screened by moderation.
    Empty input: no suggestions."""
    queries.spend_suggest(services, viewer.user.id if viewer else None, client_ip(request))
    return queries.suggest(services, session, queries.suggest_prefix(services, q))


@router.get("/api/v1/search/trending", response_model=TrendingList, responses={429: {"model": ErrorEnvelope}})
def trending(request: Request, viewer: OptionalViewerDep, services: ServicesDep, session: DbDep,
             limit: Annotated[int, Query(ge=1, le=queries.TRENDING_MAX)] = queries.SUGGEST_LIMIT) -> TrendingList:
    """The queries the most distinct people found something with in the last 24 hours, screened."""
    queries.spend_suggest(services, viewer.user.id if viewer else None, client_ip(request))
    return queries.trending(services, session, limit)


@router.get("/api/v1/search/history", response_model=HistoryList, responses=HISTORY_ERRORS)
def search_history(viewer: ViewerDep, services: ServicesDep, session: DbDep) -> HistoryList:
    """The viewer's own recent searches, newest first, each query once (at most 20)."""
    queries.spend_history(services, viewer.user.id)
    return queries.search_history(services, session, viewer.user.id)


@router.delete("/api/v1/search/history", status_code=status.HTTP_204_NO_CONTENT, responses=HISTORY_ERRORS)
def clear_search_history(viewer: ViewerDep, services: ServicesDep, session: DbDep) -> Response:
    """Forget all of the viewer's searches."""
    queries.spend_history(services, viewer.user.id)
    actions.clear_history(session, viewer.user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/api/v1/search/history/{entry_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=HISTORY_ERRORS)
def delete_search_history_entry(entry_id: str, viewer: ViewerDep, services: ServicesDep, session: DbDep) -> Response:
    """Forget one of the viewer's searches (another account's: 404)."""
    queries.spend_history(services, viewer.user.id)
    actions.delete_history_entry(session, viewer.user.id, path_id(entry_id, "search_history"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
