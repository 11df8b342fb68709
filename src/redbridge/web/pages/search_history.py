"""The /search page's suggestions side (docs/search.md, "Suggestions, trending, history"): what it
shows before anything is typed — trending searches and, logged in, the viewer's own history with
forms to forget one entry or all (POST, CSRF, work without JavaScript) — and the one call that
records a search the page answered."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from redbridge.core.deps import client_ip
from redbridge.core.errors import path_id
from redbridge.search import actions, queries
from redbridge.search.schemas import SearchPage
from redbridge.web.deps import PageContext, PageDep

router = APIRouter(include_in_schema=False)


def record(page: PageContext, text: str, feed: SearchPage, cursor: str | None) -> None:
    """Record a search the page answered, as the API does (``search.actions.record_search``)."""
    actions.record_search(page.services, page.session, page.viewer_id, client_ip(page.request), text,
                          found=bool(feed.items), paging=cursor is not None)


def empty_state(page: PageContext, text: str) -> dict[str, Any]:
    """The template values of the page with no query: trending searches, the viewer's history."""
    if text:
        return {"trending": None, "history": None}
    history = queries.search_history(page.services, page.session, page.viewer_id).items \
        if page.viewer_id is not None else None
    return {"trending": queries.trending(page.services, page.session).items, "history": history}


@router.post("/search/history/clear", name="search_history_clear")
def clear(page: PageDep) -> Response:
    viewer = page.require_login("/search")
    queries.spend_history(page.services, viewer.id)
    actions.clear_history(page.session, viewer.id)
    return page.redirect("/search")


@router.post("/search/history/{entry_id}/delete", name="search_history_delete")
def delete_one(page: PageDep, entry_id: str) -> Response:
    viewer = page.require_login("/search")
    queries.spend_history(page.services, viewer.id)
    actions.delete_history_entry(page.session, viewer.id, path_id(entry_id, "search_history"))
    return page.redirect("/search")
