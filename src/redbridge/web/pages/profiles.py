"""Profiles: ``/u/{username}`` (header, counts, follow button, the person's notes) and follow /
unfollow. A minimal page on purpose: tabs (notes / collections), edit profile and the rest come
on top of the blocks of ``pages/profile.html``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from redbridge.accounts import actions
from redbridge.accounts import queries as accounts_queries
from redbridge.feeds import queries as feeds_queries
from redbridge.web.deps import FormDep, PageContext, PageDep, form_text, is_htmx, safe_next
from redbridge.web.pages.common import PAGE_SIZE, feed_page

router = APIRouter(include_in_schema=False)


def profile_context(page: PageContext, username: str) -> dict[str, Any]:
    user = accounts_queries.get_active(page.session, username)
    profile = accounts_queries.profile(page.session, user, page.viewer_id)
    blocked = page.viewer_id is not None and page.viewer_id != user.id and accounts_queries.is_blocked_either_way(
        page.session, page.viewer_id, user.id)
    return {"user": user, "profile": profile, "blocked": blocked, "is_me": page.viewer_id == user.id}


@router.get("/u/{username}", name="profile")
def profile_page(username: str, page: PageDep, cursor: str | None = None, partial: str | None = None) -> Response:
    context = profile_context(page, username)
    feed = feeds_queries.user_notes(page.session, context["user"], page.viewer_id, cursor, PAGE_SIZE)
    return feed_page(page, "pages/profile.html", feed, f"/u/{context['profile'].username}",
                     partial=partial is not None, tab="me" if context["is_me"] else "", **context)


@router.post("/u/{username}/follow", name="follow")
def follow(username: str, page: PageDep, form: FormDep) -> Response:
    """``on=0`` unfollows, otherwise follows. Answers with the button fragment for HTMX, else a
    redirect to ``next`` (the page the button was on) or the profile."""
    viewer = page.require_login(f"/u/{username}")
    target = accounts_queries.get_active(page.session, username)
    if form_text(form, "on") == "0":
        actions.unfollow(page.session, viewer.user, target)
    else:
        actions.follow(page.session, viewer.user, target, page.services.clock.now())
    if is_htmx(page.request):
        following = accounts_queries.relation(page.session, viewer.user.id, target.id)["followed_by_me"]
        return page.render("partials/follow_button.html", partial=True, username=target.username,
                           following=following, next=safe_next(form_text(form, "next"), f"/u/{target.username}"))
    return page.redirect(safe_next(form_text(form, "next"), f"/u/{target.username}"))
