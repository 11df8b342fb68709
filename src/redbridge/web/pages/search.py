"""The search results page: ``/search?q=`` with tabs for notes, people and tags, the notes' filters
(sort, type, language, time, scope, place) in a GET form that works without JavaScript, and the
same cards, people list and "Load more" as every other page."""

from __future__ import annotations

from typing import Any, cast, get_args

from fastapi import APIRouter, Response

from redbridge.accounts import queries as accounts_queries
from redbridge.core import ids
from redbridge.core.errors import AppError
from redbridge.core.i18n import gettext
from redbridge.core.pagination import Page
from redbridge.search import queries
from redbridge.search.backend import Kind, Lang, Sort
from redbridge.search.schemas import Scope, Time
from redbridge.web.deps import PageDep
from redbridge.web.pages import search_history
from redbridge.web.pages.common import PAGE_SIZE, feed_page, url_with

router = APIRouter(include_in_schema=False)

TABS = ("notes", "users", "tags")
SORTS: tuple[str, ...] = get_args(Sort)
KINDS: tuple[str, ...] = get_args(Kind)
LANGS: tuple[str, ...] = get_args(Lang)
TIMES: tuple[str, ...] = get_args(Time)
SCOPES: tuple[str, ...] = get_args(Scope)
# The place filter's radii the page offers, in km: nearby, the same city (the default), the region.
DISTANCES = ("2", "25", "100")


def _pick(value: str | None, allowed: tuple[str, ...]) -> str | None:
    # A hand-edited or stale link with an unknown filter still shows results: the filter is dropped.
    return value if value in allowed else None


@router.get("/search", name="search")
def search_page(page: PageDep, q: str | None = None, tab: str | None = None, sort: str | None = None,
                type: str | None = None, lang: str | None = None, time: str | None = None,
                scope: str | None = None, place: str | None = None, within_km: str | None = None,
                cursor: str | None = None, partial: str | None = None) -> Response:
    chosen_tab = _pick(tab, TABS) or "notes"
    chosen_sort = _pick(sort, SORTS) or "relevance"
    kind, language, window = _pick(type, KINDS), _pick(lang, LANGS), _pick(time, TIMES)
    chosen_scope = _pick(scope, SCOPES) or "all"
    distance = _pick(within_km, DISTANCES)
    place_name = (place or "").strip()[:80]
    params: dict[str, str | None] = {
        "q": q, "tab": None if chosen_tab == "notes" else chosen_tab,
        "sort": None if chosen_sort == "relevance" else chosen_sort, "type": kind, "lang": language,
        "time": window, "scope": None if chosen_scope == "all" else chosen_scope, "place": place_name or None,
        "within_km": distance if place_name else None,
    }
    feed: Page[Any] = Page[Any](items=[])
    problem, fragment, followed = None, "partials/feed_page.html", set()
    text = (q or "").strip()
    if text:
        try:
            text = queries.check_query(page.services, text)
            if chosen_tab == "users":
                feed, fragment = queries.search_users(page.session, page.viewer_id, text, cursor=cursor,
                                                      limit=PAGE_SIZE), "partials/people_list.html"
                followed = {ids.encode(i) for i in accounts_queries.followed_among(
                    page.session, page.viewer_id, (int(p.id) for p in feed.items))}
            elif chosen_tab == "tags":
                feed, fragment = queries.search_tags(page.session, text, cursor=cursor,
                                                     limit=PAGE_SIZE), "partials/tag_list.html"
            else:
                filters = queries.Filters(
                    sort=cast(Sort, chosen_sort), kind=cast(Kind | None, kind), lang=cast(Lang | None, language),
                    time=cast(Time | None, window), scope=cast(Scope, chosen_scope),
                    near=queries.resolve_place(page.session, None, place_name or None,
                                               float(distance) if distance else None))
                feed = queries.search_notes(page.services, page.session, page.viewer_id, text, filters,
                                            cursor=cursor, limit=PAGE_SIZE)
                search_history.record(page, text, feed, cursor)
        except AppError as exc:
            if exc.status not in (401, 422):
                raise
            problem = gettext(exc.message, page.locale, **exc.params)
    return feed_page(page, "pages/search.html", feed, "/search", partial=partial is not None, params=params,
                     fragment=fragment, followed=followed, q=text, search_q=text, tab=chosen_tab, tabs=TABS,
                     tab_urls={t: url_with("/search", **{**params, "tab": None if t == "notes" else t}) for t in TABS}, sort=chosen_sort, kind=kind, lang=language,
                     time=window, scope=chosen_scope, place=place_name, within_km=distance or "", problem=problem,
                     sorts=SORTS, kinds=KINDS, langs=LANGS, times=TIMES, scopes=SCOPES, distances=DISTANCES,
                     max_chars=page.services.settings.search.max_query_chars,
                     **search_history.empty_state(page, text))
