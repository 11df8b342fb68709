"""The search results page: ``/search?q=`` with sort / type / language filters, a GET form that
works without JavaScript, and the same cards and "Load more" as every feed page."""

from __future__ import annotations

from typing import cast, get_args

from fastapi import APIRouter, Response

from redbridge.core.errors import AppError
from redbridge.core.i18n import gettext
from redbridge.search import queries
from redbridge.search.backend import Kind, Lang, Sort
from redbridge.search.schemas import SearchPage
from redbridge.web.deps import PageDep
from redbridge.web.pages.common import PAGE_SIZE, feed_page

router = APIRouter(include_in_schema=False)

SORTS: tuple[str, ...] = get_args(Sort)
KINDS: tuple[str, ...] = get_args(Kind)
LANGS: tuple[str, ...] = get_args(Lang)


def _pick(value: str | None, allowed: tuple[str, ...]) -> str | None:
    # A hand-edited or stale link with an unknown filter still shows results: the filter is dropped.
    return value if value in allowed else None


@router.get("/search", name="search")
def search_page(page: PageDep, q: str | None = None, sort: str | None = None, type: str | None = None,
                lang: str | None = None, cursor: str | None = None, partial: str | None = None) -> Response:
    chosen_sort = _pick(sort, SORTS) or "relevance"
    kind, language = _pick(type, KINDS), _pick(lang, LANGS)
    params: dict[str, str | None] = {"q": q, "sort": None if chosen_sort == "relevance" else chosen_sort,
                                     "type": kind, "lang": language}
    feed, problem = SearchPage(items=[]), None
    text = (q or "").strip()
    if text:
        try:
            text = queries.check_query(page.services, text)
            feed = queries.search_notes(page.services, page.session, page.viewer_id, text,
                                        sort=cast(Sort, chosen_sort), kind=cast(Kind | None, kind),
                                        lang=cast(Lang | None, language), cursor=cursor, limit=PAGE_SIZE)
        except AppError as exc:
            if exc.status != 422:
                raise
            problem = gettext(exc.message, page.locale, **exc.params)
    return feed_page(page, "pages/search.html", feed, "/search", partial=partial is not None, params=params,
                     q=text, search_q=text, sort=chosen_sort, kind=kind, lang=language, problem=problem, sorts=SORTS,
                     kinds=KINDS, langs=LANGS,
                     max_chars=page.services.settings.search.max_query_chars)
