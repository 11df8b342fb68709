"""Feed pages: explore (home), following, a tag's notes."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse

from redbridge.core.errors import not_found
from redbridge.feeds import explore, queries
from redbridge.feeds.schemas import FeedPage
from redbridge.text.markup import normalize_tag
from redbridge.text.topics import TOPICS
from redbridge.web.deps import PageDep
from redbridge.web.pages.common import PAGE_SIZE, feed_page

router = APIRouter(include_in_schema=False)


@router.get("/", name="explore")
def explore_page(page: PageDep, topic: str | None = None, cursor: str | None = None,
                 partial: str | None = None) -> Response:
    """The ranked explore feed, rendered by the same function as ``GET /api/v1/feeds/explore``
    (and so sharing its page cache): the JSON page it returns is read back into ``FeedPage``."""
    if topic is not None and topic not in TOPICS:
        raise not_found("topic")
    viewer = page.viewer.caller if page.viewer is not None else None
    body = explore.render(page.services, page.session, viewer, page.locale, topic, cursor, PAGE_SIZE)
    feed = FeedPage.model_validate_json(body)
    return feed_page(page, "pages/explore.html", feed, "/", partial=partial is not None, params={"topic": topic},
                     tab="explore", topic=topic)


@router.get("/following", name="following")
def following_page(page: PageDep, cursor: str | None = None, partial: str | None = None) -> Response:
    viewer = page.require_login()
    feed = queries.following(page.services, page.session, viewer.id, cursor, PAGE_SIZE, hidden=viewer.caller.hidden)
    return feed_page(page, "pages/following.html", feed, "/following", partial=partial is not None,
                     tab="following")


@router.get("/t/{tag}", name="tag")
def tag_page(tag: str, page: PageDep, cursor: str | None = None, partial: str | None = None) -> Response:
    """Notes with ``#tag``, newest first. A tag spelt differently (``#Food``, full-width) redirects
    to its canonical page, so every spelling shares one URL."""
    canonical = normalize_tag(tag)
    if canonical is None:
        raise not_found("tag")
    if canonical != tag:
        return RedirectResponse("/t/" + quote(canonical, safe=""), status_code=301)
    feed = queries.tag_notes(page.services, page.session, canonical, page.viewer_id, cursor, PAGE_SIZE)
    return feed_page(page, "pages/tag.html", feed, "/t/" + quote(canonical, safe=""), partial=partial is not None,
                     tag=canonical)
