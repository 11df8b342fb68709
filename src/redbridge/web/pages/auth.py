"""Sign up, log in, log out, onboarding (interests and reading languages), the language switcher.

Signup and login run the same flows as the JSON API (``accounts.flows``: rate limits, password
policy, argon2 off the event loop); the page only swaps the JSON body for the ``rb_session``
cookie. A refused form is shown again with the message next to the field and everything typed
except the password.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from redbridge.accounts import actions, flows
from redbridge.accounts.schemas import LoginIn, ProfileUpdate, SignupIn
from redbridge.core import i18n
from redbridge.core.errors import AppError, not_found
from redbridge.core.i18n import _
from redbridge.moderation import screening
from redbridge.text.topics import TOPICS
from redbridge.web.deps import (
    AnonymousPageDep,
    FormDep,
    PageContext,
    PageDep,
    form_list,
    form_text,
    safe_next,
)
from redbridge.web.forms import FormErrors, refusal, validate
from redbridge.web.pages.common import url_with

router = APIRouter(include_in_schema=False)
READ_LANGS = ("en", "zh")


def _form_page(page: PageContext, template: str, status: int = 200, **context: Any) -> Response:
    """An anonymous form page: it carries the anonymous CSRF token (and sets its cookie)."""
    return page.render(template, status=status, csrf_token=page.csrf(), tab="", **context)


def _signed_in(page: PageContext, opened: flows.Opened, target: str) -> Response:
    response = page.redirect(target)
    page.set_session_cookie(response, opened.token)
    return response


# ------------------------------------------------------------------------------------------ signup


@router.get("/signup", name="signup")
def signup_form(page: PageDep) -> Response:
    if page.viewer is not None:
        return page.redirect("/")
    return _form_page(page, "pages/signup.html", errors={}, values={}, proof=flows.challenge(page.services))


@router.post("/signup")
async def signup(page: AnonymousPageDep, form: FormDep) -> Response:
    values = {name: form_text(form, name).strip() for name in ("username", "display_name", "email")}
    try:
        body = validate(SignupIn, page.locale, username=values["username"], password=form_text(form, "password"),
                        email=values["email"] or None, display_name=values["display_name"] or None,
                        ui_lang=page.locale, challenge=form_text(form, "challenge") or None,
                        nonce=form_text(form, "nonce") or None)
        opened = await _run_flow(page, flows.signup(page.services, page.request, body))
    except FormErrors as refused:
        # A fresh challenge: a proof is spent even when the signup then fails (a taken name).
        return _form_page(page, "pages/signup.html", status=422, errors=refused.errors, values=values,
                          proof=flows.challenge(page.services))
    return _signed_in(page, opened, "/onboarding")


async def _run_flow(page: PageContext, flow: Any) -> flows.Opened:
    """Await an accounts flow; a refusal the person can fix becomes :class:`FormErrors`."""
    try:
        opened: flows.Opened = await flow
    except AppError as exc:
        raise refusal(exc, page.locale) from None
    return opened


# ------------------------------------------------------------------------------------------- login


@router.get("/login", name="login")
def login_form(page: PageDep, next: str | None = None) -> Response:
    target = safe_next(next)
    if page.viewer is not None:
        return page.redirect(target)
    return _form_page(page, "pages/login.html", errors={}, values={}, next=target)


@router.post("/login")
async def login(page: AnonymousPageDep, form: FormDep) -> Response:
    values = {"username": form_text(form, "username").strip()}
    target = safe_next(form_text(form, "next"))
    try:
        body = validate(LoginIn, page.locale, username=values["username"], password=form_text(form, "password"))
        opened = await _run_flow(page, flows.login(page.services, page.request, body))
    except FormErrors as refused:
        return _form_page(page, "pages/login.html", status=422, errors=refused.errors, values=values, next=target)
    return _signed_in(page, opened, target if opened.user.onboarded else url_with("/onboarding", next=target))


@router.post("/logout", name="logout")
def logout(page: PageDep) -> Response:
    response = page.redirect("/")
    if page.viewer is not None:
        actions.revoke_session(page.session, page.viewer.user, page.viewer.auth.id, page.services.clock.now())
    page.clear_session_cookie(response)
    return response


# -------------------------------------------------------------------------------------- onboarding


@router.get("/onboarding", name="onboarding")
def onboarding_form(page: PageDep, next: str | None = None) -> Response:
    viewer = page.require_login()
    return page.render("pages/onboarding.html", errors={}, interests=list(viewer.user.interests or []),
                       read_langs=list(viewer.user.read_langs or []), next=safe_next(next), tab="")


def require_read_langs(langs: list[str], locale: str) -> None:
    """At least one reading language (feeds are ranked by them): onboarding and edit profile."""
    if not langs:
        raise FormErrors({"read_langs": i18n.gettext(_("Pick at least one language you read."), locale)})


@router.post("/onboarding")
def onboarding(page: PageDep, form: FormDep) -> Response:
    """Save interests and reading languages (what the first explore feed is ranked by), mark the
    account onboarded, and go to explore."""
    viewer = page.require_login("/onboarding")
    interests = [t for t in form_list(form, "interests") if t in TOPICS]
    langs = [lang for lang in form_list(form, "read_langs") if lang in READ_LANGS]
    target = safe_next(form_text(form, "next"))
    try:
        require_read_langs(langs, page.locale)
        changes = validate(ProfileUpdate, page.locale, interests=interests, read_langs=langs, onboarded=True)
    except FormErrors as refused:
        return page.render("pages/onboarding.html", status=422, errors=refused.errors, interests=interests,
                           read_langs=langs, next=target, tab="")
    actions.update_profile(page.session, viewer.user, changes, checker=screening.checker(page.services),
                           now=page.services.clock.now())
    return page.redirect(target)


# ---------------------------------------------------------------------------------------- language


def _switch(page: PageContext, code: str, next_path: str | None) -> Response:
    if code not in i18n.SUPPORTED:
        raise not_found("language")
    response = page.redirect(safe_next(next_path))
    page.set_lang_cookie(response, code)
    return response


@router.get("/lang/{code}", name="set_language")
def set_language(code: str, page: PageDep, next: str | None = None) -> Response:
    """Remember this browser's UI language (the ``rb_lang`` cookie) and go back to ``next``."""
    return _switch(page, code, next)


@router.post("/lang", name="save_language")
def save_language(page: PageDep, form: FormDep) -> Response:
    """The switcher for a logged-in reader: the account's ``ui_lang`` (which outranks the
    cookie) changes too, so the choice follows them to other devices."""
    code = form_text(form, "lang")
    if page.viewer is not None and code in i18n.SUPPORTED:
        actions.update_profile(page.session, page.viewer.user, validate(ProfileUpdate, page.locale, ui_lang=code),
                               checker=screening.checker(page.services), now=page.services.clock.now())
    return _switch(page, code, form_text(form, "next"))
