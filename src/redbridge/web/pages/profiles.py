"""Profiles: ``/u/{username}`` with its tabs — notes, collections (and one collection's notes),
followers, following — and follow / unfollow.

Every tab renders ``pages/profile.html`` (header, counts, follow button or, on one's own profile,
the settings menu) with its own content block. Blocked either way: the header shows, with a
message instead of the content (the queries withhold it too). Private collections are the
owner's alone: to anyone else they do not exist (404, as in the API).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from redbridge.accounts import actions, trust
from redbridge.accounts import queries as accounts_queries
from redbridge.accounts.models import User
from redbridge.accounts.schemas import UserBrief
from redbridge.core import ids
from redbridge.core.errors import not_found, path_id
from redbridge.core.pagination import Page
from redbridge.engagement import queries as engagement_queries
from redbridge.engagement.schemas import CollectionOut
from redbridge.feeds import queries as feeds_queries
from redbridge.web.deps import FormDep, PageContext, PageDep, form_text, is_htmx, safe_next
from redbridge.web.pages.common import PAGE_SIZE, feed_page

router = APIRouter(include_in_schema=False)


def profile_context(page: PageContext, username: str, section: str) -> dict[str, Any]:
    """What every tab of a profile shows: the person, their counts and relation to the viewer.
    ``section`` is the current tab (notes, collections, followers, following)."""
    user = accounts_queries.get_active(page.session, username)
    profile = accounts_queries.profile(page.session, user, page.viewer_id)
    blocked = page.viewer_id is not None and page.viewer_id != user.id and accounts_queries.is_blocked_either_way(
        page.session, page.viewer_id, user.id)
    is_me = page.viewer_id == user.id
    return {"user": user, "profile": profile, "blocked": blocked, "is_me": is_me, "section": section,
            "tab": "me" if is_me else ""}


@router.get("/u/{username}", name="profile")
def profile_page(username: str, page: PageDep, cursor: str | None = None, partial: str | None = None) -> Response:
    context = profile_context(page, username, "notes")
    feed = feeds_queries.user_notes(page.services, page.session, context["user"], page.viewer_id, cursor, PAGE_SIZE)
    return feed_page(page, "pages/profile.html", feed, f"/u/{context['profile'].username}",
                     partial=partial is not None, **context)


@router.get("/u/{username}/collections", name="profile_collections")
def collections_page(username: str, page: PageDep, cursor: str | None = None,
                     partial: str | None = None) -> Response:
    """The person's collections with a cover (the latest collected note) and a count; private
    ones only on the owner's own list (``engagement.queries.user_collections``)."""
    context = profile_context(page, username, "collections")
    user: User = context["user"]
    listing = Page[CollectionOut](items=[])
    if not context["blocked"]:
        listing = engagement_queries.user_collections(page.session, user, page.viewer_id, cursor, PAGE_SIZE)
    covers = feeds_queries.collection_covers(page.session, [int(c.id) for c in listing.items], page.viewer_id)
    return feed_page(page, "pages/profile_collections.html", listing, f"/u/{user.username}/collections",
                     partial=partial is not None, fragment="partials/collection_list.html",
                     covers={ids.encode(k): card for k, card in covers.items()}, **context)


@router.get("/u/{username}/collections/{collection_id}", name="collection")
def collection_page(username: str, collection_id: str, page: PageDep, cursor: str | None = None,
                    partial: str | None = None) -> Response:
    """One collection's notes as a masonry feed, most recently collected first. A collection
    under someone else's name is not found, like a private one."""
    context = profile_context(page, username, "collections")
    user: User = context["user"]
    collection = feeds_queries.visible_collection(page.session, path_id(collection_id, "collection"), page.viewer_id)
    if collection.owner_id != user.id:
        raise not_found("collection")
    feed = feeds_queries.collection_notes(page.services, page.session, collection.id, page.viewer_id, cursor, PAGE_SIZE)
    return feed_page(page, "pages/collection.html", feed, f"/u/{user.username}/collections/{ids.encode(collection.id)}",
                     partial=partial is not None, collection=collection, **context)


def _people_page(page: PageContext, username: str, section: str, cursor: str | None, partial: bool) -> Response:
    context = profile_context(page, username, section)
    user: User = context["user"]
    people = Page[UserBrief](items=[])
    if not context["blocked"]:
        read = accounts_queries.followers if section == "followers" else accounts_queries.following
        people = read(page.session, user, cursor, PAGE_SIZE)
    followed = accounts_queries.followed_among(page.session, page.viewer_id, (int(p.id) for p in people.items))
    return feed_page(page, "pages/profile_people.html", people, f"/u/{user.username}/{section}", partial=partial,
                     fragment="partials/people_list.html", followed={ids.encode(i) for i in followed}, **context)


@router.get("/u/{username}/followers", name="followers")
def followers_page(username: str, page: PageDep, cursor: str | None = None, partial: str | None = None) -> Response:
    return _people_page(page, username, "followers", cursor, partial is not None)


@router.get("/u/{username}/following", name="following_list")
def following_page(username: str, page: PageDep, cursor: str | None = None, partial: str | None = None) -> Response:
    return _people_page(page, username, "following", cursor, partial is not None)


@router.post("/u/{username}/follow", name="follow")
def follow(username: str, page: PageDep, form: FormDep) -> Response:
    """``on=0`` unfollows, otherwise follows. Answers with the button fragment for HTMX, else a
    redirect to ``next`` (the page the button was on) or the profile."""
    viewer = page.require_login(f"/u/{username}")
    target = accounts_queries.get_active(page.session, username)
    if form_text(form, "on") == "0":
        actions.unfollow(page.session, viewer.user, target)
    else:
        trust.limit(page.services, page.session, viewer.user, "follow")
        actions.follow(page.session, viewer.user, target, page.services.clock.now())
    if is_htmx(page.request):
        following = accounts_queries.relation(page.session, viewer.id, target.id)["followed_by_me"]
        return page.render("partials/follow_button.html", partial=True, username=target.username,
                           following=following, next=safe_next(form_text(form, "next"), f"/u/{target.username}"))
    return page.redirect(safe_next(form_text(form, "next"), f"/u/{target.username}"))
