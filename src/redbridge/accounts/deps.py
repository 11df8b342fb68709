"""Who is calling: bearer token (API) or session cookie (pages), with CSRF for cookies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from redbridge.accounts import queries
from redbridge.accounts.models import AuthSession, User
from redbridge.core.deps import get_db, get_services
from redbridge.core.errors import AppError, unauthenticated
from redbridge.core.i18n import _
from redbridge.core.security import csrf_valid, token_digest
from redbridge.services import Services

COOKIE = "rb_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY = timedelta(minutes=10)


@dataclass
class Viewer:
    user: User
    auth: AuthSession
    via_cookie: bool


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None, False
    cookie = request.cookies.get(COOKIE)
    return (cookie or None), True


def resolve_viewer(request: Request, services: Services, session: Session) -> Viewer | None:
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    token, via_cookie = _token(request)
    if not token or len(token) > 200:
        return None
    now = services.clock.now()
    found = queries.session_for_token(session, token_digest(token), now)
    if found is None:
        return None
    auth, user = found
    if via_cookie and request.method not in SAFE_METHODS:
        # Cookies ride along on cross-site requests; a token only our own pages can read proves
        # the request came from them.
        candidate = request.headers.get(CSRF_HEADER) or getattr(request.state, "form_csrf", None)
        if not csrf_valid(services.secret, auth.token_digest, candidate):
            raise AppError("csrf.invalid", _("Your session form expired. Please reload the page and try again."), 403)
    if now - auth.last_seen_at > TOUCH_EVERY:
        services.queue.enqueue("accounts.touch_session", {"session_id": auth.id, "at": now.isoformat()})
    if not request.state.locale_explicit and user.ui_lang:
        request.state.locale = user.ui_lang
    viewer = Viewer(user=user, auth=auth, via_cookie=via_cookie)
    request.state.viewer = viewer
    return viewer


def optional_viewer(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    session: Annotated[Session, Depends(get_db)],
) -> Viewer | None:
    return resolve_viewer(request, services, session)


def require_viewer(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise unauthenticated()
    return viewer


ViewerDep = Annotated[Viewer, Depends(require_viewer)]
OptionalViewerDep = Annotated[Viewer | None, Depends(optional_viewer)]
