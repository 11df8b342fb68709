"""Helpers shared by the page modules: URLs with a query, feed pages with "Load more"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Response

from redbridge.core.pagination import Page
from redbridge.feeds.schemas import FeedPage
from redbridge.web.deps import PageContext

PAGE_SIZE = 20


def url_with(path: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{path}?{query}" if query else path


def feed_page(page: PageContext, template: str, feed: FeedPage | Page[Any], path: str, *, partial: bool,
              params: dict[str, str | None] | None = None, fragment: str = "partials/feed_page.html",
              **context: Any) -> Response:
    """A page whose main content is a note feed, or (``partial``) just the next slice of cards and
    the link after it, which ``static/js/feed.js`` appends for infinite scroll.

    The "Load more" link is a plain link to the next page (works without JavaScript: that page
    shows the following cards); ``data-partial`` is the same URL with ``partial=1``. Other
    paginated lists (people, collections, notifications) work the same with their own
    ``fragment`` template."""
    params = params or {}
    next_url = partial_url = None
    if feed.next_cursor is not None:
        next_url = url_with(path, **params, cursor=feed.next_cursor)
        partial_url = url_with(path, **params, cursor=feed.next_cursor, partial="1")
    values = {"feed": feed, "next_url": next_url, "partial_url": partial_url, **context}
    if partial:
        return page.render(fragment, partial=True, **values)
    return page.render(template, **values)
