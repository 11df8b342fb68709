"""Request plumbing for pages: who is viewing, CSRF, cookies, redirects.

Every page handler takes a :class:`PageContext` (``PageDep``, or ``AnonymousPageDep`` for the
login and signup forms) and ends with ``page.render(...)`` or ``page.redirect(...)``.

CSRF, two kinds:

* **Logged in** (the ``rb_session`` cookie): the token is ``core.security.csrf_token(secret, session
  digest)``, checked by ``accounts.deps.resolve_viewer`` for every unsafe method, from the
  ``X-CSRF-Token`` header (HTMX, ``fetch``) or the form's ``csrf_token`` field. The form must be
  parsed *before* the viewer is resolved, which is why :func:`read_form` is a dependency of the
  viewer's dependency.
* **Anonymous** (login, signup: no session to bind to): a signed double-submit cookie. ``rb_csrf``
  holds a random value; the form field is an HMAC of it under the app secret. A request is
  accepted only when the field matches the cookie's HMAC (constant-time compare). A cross-site
  form can send the cookie but cannot read it to compute the field.

Either failure raises ``csrf.invalid`` (403), rendered as an HTML page in the reader's language.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from redbridge.accounts.deps import COOKIE, SAFE_METHODS, Viewer, resolve_viewer
from redbridge.accounts.queries import brief
from redbridge.core.deps import get_db, get_services
from redbridge.core.errors import AppError, forbidden
from redbridge.core.i18n import _
from redbridge.core.middleware import LANG_COOKIE
from redbridge.core.security import csrf_token
from redbridge.core.services import Services
from redbridge.notifications.queries import unread_count
from redbridge.web.render import render

ANON_CSRF_COOKIE = "rb_csrf"
CSRF_FIELD = "csrf_token"
LANG_COOKIE_DAYS = 365


def csrf_failed() -> AppError:
    return AppError("csrf.invalid", _("Your session form expired. Please reload the page and try again."), 403)


# ----------------------------------------------------------------------------------------- forms


async def read_form(request: Request) -> FormData:
    """The request's form (empty for safe methods), parsed once; its ``csrf_token`` is put where
    ``accounts.deps`` looks for it (``request.state.form_csrf``)."""
    if request.method in SAFE_METHODS:
        return FormData()
    form = await request.form()
    token = form.get(CSRF_FIELD)
    request.state.form_csrf = token if isinstance(token, str) else None
    return form


FormDep = Annotated[FormData, Depends(read_form)]


def form_text(form: FormData, name: str) -> str:
    """A text field's value ('' when missing, or when a file was sent in its place)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_list(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


# ------------------------------------------------------------------------------- anonymous CSRF


def _anon_field(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, b"anon-csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def _anon_cookie(request: Request) -> str | None:
    value = request.cookies.get(ANON_CSRF_COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.isascii() else None


def check_anonymous_csrf(request: Request, services: Services) -> None:
    cookie = _anon_cookie(request)
    candidate = getattr(request.state, "form_csrf", None) or request.headers.get("x-csrf-token") or ""
    if cookie is None or not hmac.compare_digest(_anon_field(services.secret, cookie), candidate):
        raise csrf_failed()


# ------------------------------------------------------------------------------------- redirects


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site, else ``default``: never an open redirect.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers read ``/\\host`` as
    ``//host``), control characters, anything over 2,000 characters.
    """
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def current_path(request: Request) -> str:
    """This request's path and query, minus ``lang=`` (the language links add their own) and
    ``partial=`` (a fragment's URL is never a place to come back to)."""
    query = "&".join(p for p in request.url.query.split("&") if p and not p.startswith(("lang=", "partial=")))
    return request.url.path + ("?" + query if query else "")


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# ------------------------------------------------------------------------------------ the context


def layout_context(request: Request, services: Services, viewer: Viewer | None, unread: int) -> dict[str, Any]:
    """What the layout (``layout.html``) needs on every page: the viewer's byline (``me``), the
    CSRF token of their session, the unread badge, the clock, this page's path (``here``)."""
    return {
        "me": brief(viewer.user) if viewer is not None else None,
        "needs_onboarding": viewer is not None and not viewer.user.onboarded,
        "is_staff": viewer is not None and viewer.user.is_moderator,  # the top bar's "Moderation" link
        "csrf_token": csrf_token(services.secret, viewer.digest) if viewer is not None else None,
        "unread": unread,
        "now": services.clock.now(),
        "here": current_path(request),
    }


@dataclass
class PageContext:
    """What a page handler works with: the request, services, a database session, the viewer."""

    request: Request
    services: Services
    session: Session
    viewer: Viewer | None
    _anon_token: str | None = field(default=None, init=False)
    _new_anon_cookie: str | None = field(default=None, init=False)

    @property
    def viewer_id(self) -> int | None:
        return self.viewer.id if self.viewer is not None else None

    @property
    def locale(self) -> str:
        return str(self.request.state.locale)

    def csrf(self) -> str:
        """The CSRF token forms on this page carry: bound to the session when logged in, else the
        anonymous double-submit value (minting the ``rb_csrf`` cookie on first use)."""
        if self.viewer is not None:
            return csrf_token(self.services.secret, self.viewer.digest)
        if self._anon_token is None:
            cookie = _anon_cookie(self.request)
            if cookie is None:
                cookie = self._new_anon_cookie = secrets.token_urlsafe(24)
            self._anon_token = _anon_field(self.services.secret, cookie)
        return self._anon_token

    def base_context(self, *, with_unread: bool = True) -> dict[str, Any]:
        unread = unread_count(self.session, self.viewer.id) if self.viewer is not None and with_unread else 0
        return layout_context(self.request, self.services, self.viewer, unread)

    def render(self, template: str, status: int = 200, *, partial: bool = False, **context: Any) -> HTMLResponse:
        """Render a page (``partial``: a fragment for HTMX / ``fetch``, which skips the layout's
        queries). Templates get the layout's variables, overridden by ``context``; an anonymous
        form page passes ``csrf_token=page.csrf()``."""
        response = render(self.request, template, {**self.base_context(with_unread=not partial), **context},
                          status=status)
        self.finish(response)
        return response

    def finish(self, response: Response) -> None:
        """Set the cookies this request decided on (a freshly minted anonymous CSRF cookie)."""
        if self._new_anon_cookie is not None:
            response.set_cookie(
                ANON_CSRF_COOKIE, self._new_anon_cookie, httponly=True, samesite="lax",
                secure=self.services.settings.cookie_secure, path="/",
            )

    def redirect(self, url: str) -> Response:
        """After a form post: 303 to ``url``; for HTMX, an ``HX-Redirect`` so it navigates."""
        if is_htmx(self.request):
            response: Response = Response(status_code=204, headers={"HX-Redirect": url})
        else:
            response = RedirectResponse(url, status_code=303)
        self.finish(response)
        return response

    def require_login(self, next_path: str | None = None) -> Viewer:
        """The viewer, or :class:`LoginRequired`, which the web layer answers with a redirect to
        the login page that comes back to ``next_path`` (default: this page, for a GET)."""
        if self.viewer is None:
            if next_path is None:
                next_path = current_path(self.request) if self.request.method in SAFE_METHODS else "/"
            raise LoginRequired(next_path)
        return self.viewer

    def require_moderator(self, next_path: str | None = None) -> Viewer:
        """As :meth:`require_login`, and a moderator (or admin): another account gets the 403 page.
        The role is read from the account row on every request, as ``safety.deps`` does."""
        viewer = self.require_login(next_path)
        if not viewer.user.is_moderator:
            raise forbidden()
        return viewer

    def require_admin(self, next_path: str | None = None) -> Viewer:
        """As :meth:`require_login`, and an admin: another account gets the 403 page."""
        viewer = self.require_login(next_path)
        if not viewer.user.is_admin:
            raise forbidden()
        return viewer

    # ----------------------------------------------------------------------------- cookies

    def set_session_cookie(self, response: Response, token: str) -> None:
        settings = self.services.settings
        response.set_cookie(
            COOKIE, token, max_age=settings.session_days * 86400, httponly=True, samesite="lax",
            secure=settings.cookie_secure, path="/",
        )

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                               secure=self.services.settings.cookie_secure)

    def set_lang_cookie(self, response: Response, locale: str) -> None:
        response.set_cookie(
            LANG_COOKIE, locale, max_age=LANG_COOKIE_DAYS * 86400, httponly=True, samesite="lax",
            secure=self.services.settings.cookie_secure, path="/",
        )


class LoginRequired(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by :meth:`PageContext.require_login`; the web layer answers with a redirect to the
    login page (or, for HTMX, an ``HX-Redirect``) that comes back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def page_context(
    request: Request,
    form: FormDep,
    services: Annotated[Services, Depends(get_services)],
    session: Annotated[Session, Depends(get_db)],
) -> PageContext:
    """The page's context with the viewer resolved (and, for a form post with a session cookie,
    its CSRF token checked). ``form`` is listed so the body is parsed first."""
    del form
    return PageContext(request, services, session, resolve_viewer(request, services, session))


def anonymous_page(
    request: Request,
    form: FormDep,
    services: Annotated[Services, Depends(get_services)],
    session: Annotated[Session, Depends(get_db)],
) -> PageContext:
    """For the login and signup forms: the viewer is not resolved (a stale session cookie must not
    get in the way of logging in again); unsafe methods need the anonymous CSRF pair."""
    del form
    if request.method not in SAFE_METHODS:
        check_anonymous_csrf(request, services)
    return PageContext(request, services, session, None)


PageDep = Annotated[PageContext, Depends(page_context)]
AnonymousPageDep = Annotated[PageContext, Depends(anonymous_page)]
