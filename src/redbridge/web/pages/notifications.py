"""Notifications: ``/notifications`` (the viewer's own, newest first, "Load more" / infinite scroll)
and ``POST /notifications/read`` ("mark all read").

Opening the page marks what it shows as read: everything up to and including its newest item
(``notifications.actions.mark_read``), as the RedNote inbox does. The list is read first, so the
items that were new on this visit stay highlighted; the navigation badge is counted after the
marking, so it drops in the same response. Slices loaded by infinite scroll (``partial=1``) are
older than that newest item, hence already read: they mark nothing. "Mark all read" is for what
arrived after the page was opened.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from redbridge.core import ids
from redbridge.notifications import actions, queries
from redbridge.web.deps import PageDep
from redbridge.web.pages.common import PAGE_SIZE, feed_page

router = APIRouter(include_in_schema=False)


@router.get("/notifications", name="notifications")
def notifications_page(page: PageDep, cursor: str | None = None, partial: str | None = None) -> Response:
    viewer = page.require_login()
    listing = queries.page(page.session, viewer.id, cursor, PAGE_SIZE, page.locale)  # notices' language
    newest = ids.decode(listing.items[0].id) if listing.items else None
    if partial is None and newest is not None:
        actions.mark_read(page.session, viewer.id, newest, page.services.clock.now())
    return feed_page(page, "pages/notifications.html", listing, "/notifications", partial=partial is not None,
                     fragment="partials/notification_list.html", tab="notifications")


@router.post("/notifications/read", name="notifications_read")
def mark_all_read(page: PageDep) -> Response:
    viewer = page.require_login("/notifications")
    actions.mark_read(page.session, viewer.id, None, page.services.clock.now())
    return page.redirect("/notifications")
