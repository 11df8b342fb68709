"""Thin HTTP layer of search: ``GET /api/v1/search/notes``."""

from __future__ import annotations

from fastapi import APIRouter

from redbridge.accounts.deps import OptionalViewerDep
from redbridge.core.deps import DbDep, ServicesDep
from redbridge.core.errors import ErrorEnvelope
from redbridge.core.pagination import PageLimit
from redbridge.feeds.schemas import Cursor
from redbridge.search import queries
from redbridge.search.schemas import KindParam, LangParam, QueryText, SearchPage, SortParam

ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorEnvelope} for code in (400, 422)}
router = APIRouter(tags=["search"], responses=ERRORS)


@router.get("/api/v1/search/notes", response_model=SearchPage)
def search_notes(viewer: OptionalViewerDep, services: ServicesDep, session: DbDep, q: QueryText = None,
                 sort: SortParam = "relevance", kind: KindParam = None, lang: LangParam = None,
                 cursor: Cursor = None, limit: PageLimit = 20) -> SearchPage:
    """Notes matching ``q`` (words in any language; Traditional and Simplified Chinese alike),
    ranked or sorted, as the explore feed's cards; notes the viewer may not see never appear."""
    text = queries.check_query(services, q)
    return queries.search_notes(services, session, viewer.user.id if viewer else None, text, sort=sort, kind=kind,
                                lang=lang, cursor=cursor, limit=limit)
