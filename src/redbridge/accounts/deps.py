"""Who is calling: bearer token (API) or session cookie (pages), with CSRF for cookies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from redbridge.accounts.models import AuthSession, User
from redbridge.accounts.queries import Caller
from redbridge.core.deps import get_db, get_services
from redbridge.core.errors import AppError, unauthenticated
from redbridge.core.i18n import _
from redbridge.core.security import csrf_valid, token_digest
from redbridge.core.services import Services
from redbridge.reads import callers

COOKIE = "rb_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY = timedelta(minutes=10)


class Viewer:
    """The caller of a request. ``caller`` comes from the token cache (``reads.callers``); the
    account and session rows are loaded on first use only, in the request's session, so a route
    that needs no more than the viewer's id runs no query for it. ``digest`` is the session token's
    digest (what CSRF tokens are bound to), known from the token itself."""

    __slots__ = ("_auth", "_db", "_user", "caller", "digest", "via_cookie")

    def __init__(self, user: User | None = None, auth: AuthSession | None = None, via_cookie: bool = False, *,
                 caller: Caller | None = None, db: Session | None = None, digest: str = "") -> None:
        if caller is None:
            if user is None or auth is None:
                raise ValueError("a Viewer needs a caller or both rows")
            caller = Caller(session_id=auth.id, user_id=user.id, expires_at=auth.expires_at.timestamp(),
                            last_seen_at=auth.last_seen_at.timestamp(), ui_lang=user.ui_lang or "",
                            interests=tuple(user.interests or ()), read_langs=tuple(user.read_langs or ()),
                            hidden=frozenset())
        self.caller = caller
        self.digest = digest or (auth.token_digest if auth is not None else "")
        self.via_cookie = via_cookie
        self._user = user
        self._auth = auth
        self._db = db

    @property
    def id(self) -> int:
        return self.caller.user_id

    @property
    def user(self) -> User:
        if self._user is None:
            assert self._db is not None
            user = self._db.get(User, self.caller.user_id)
            if user is None or not user.is_active:
                raise unauthenticated()  # gone since the caller was cached: as if logged out
            self._user = user
        return self._user

    @property
    def auth(self) -> AuthSession:
        if self._auth is None:
            assert self._db is not None
            auth = self._db.get(AuthSession, self.caller.session_id)
            if auth is None:
                raise unauthenticated()
            self._auth = auth
        return self._auth


def request_token(request: Request) -> tuple[str | None, bool]:
    """The request's session token and whether it came in the cookie (None: there is none, or it
    is too long to be one of ours)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token, via_cookie = header[7:].strip() or None, False
    else:
        token, via_cookie = request.cookies.get(COOKIE) or None, True
    return (token if token is not None and len(token) <= 200 else None), via_cookie


class _Touched(dict[int, float]):
    """Sessions whose last-seen time this process has just queued for an update, and when."""


def accept(request: Request, services: Services, caller: Caller, digest: str, via_cookie: bool) -> None:
    """What every authenticated request does with its caller: CSRF for cookies on unsafe methods,
    the session's last-seen time now and then, the account's UI language."""
    if via_cookie and request.method not in SAFE_METHODS:
        # Cookies ride along on cross-site requests; a token only our own pages can read proves
        # the request came from them.
        candidate = request.headers.get(CSRF_HEADER) or getattr(request.state, "form_csrf", None)
        if not csrf_valid(services.secret, digest, candidate):
            raise AppError("csrf.invalid", _("Your session form expired. Please reload the page and try again."), 403)
    # Sessions whose last-seen time this process has just queued for an update, and when: the
    # cached caller keeps the old time for up to its TTL, and one touch per interval is enough.
    touched = services.state(_Touched)
    now = services.clock.now().timestamp()
    seen = max(caller.last_seen_at, touched.get(caller.session_id, 0.0))
    if now - seen > TOUCH_EVERY.total_seconds():
        if len(touched) > 100_000:
            touched.clear()
        touched[caller.session_id] = now
        services.queue.enqueue("accounts.touch_session", {"session_id": caller.session_id,
                                                         "at": services.clock.now().isoformat()})
    if not request.state.locale_explicit and caller.ui_lang:
        request.state.locale = caller.ui_lang


def peek_caller(request: Request, services: Services) -> tuple[bool, Caller | None]:
    """The request's caller from the token cache alone, never the database, for routes that answer
    cached data on the event loop: ``(True, caller)``, ``(True, None)`` for an anonymous request, or
    ``(False, None)`` when the caller is not cached (ask :func:`resolve_viewer` on the thread pool).
    Accepts the caller (:func:`accept`) when it is known."""
    token, via_cookie = request_token(request)
    if token is None:
        return True, None
    digest = token_digest(token)
    caller = callers.peek(services, digest)
    if caller is None:
        return False, None
    accept(request, services, caller, digest, via_cookie)
    return True, caller


def resolve_viewer(request: Request, services: Services, session: Session) -> Viewer | None:
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    token, via_cookie = request_token(request)
    if token is None:
        return None
    digest = token_digest(token)
    caller = callers.load(services, session, digest)
    if caller is None:
        return None
    accept(request, services, caller, digest, via_cookie)
    viewer = Viewer(caller=caller, via_cookie=via_cookie, db=session, digest=digest)
    request.state.viewer = viewer
    return viewer


def optional_viewer(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    session: Annotated[Session, Depends(get_db)],
) -> Viewer | None:
    viewer = resolve_viewer(request, services, session)
    # The route runs in a thread-pool hop of its own: end the read transaction (its objects stay
    # loaded) so the connection is back in the pool while this request waits for that hop.
    if session.in_transaction():
        session.commit()
    return viewer


def require_viewer(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise unauthenticated()
    return viewer


ViewerDep = Annotated[Viewer, Depends(require_viewer)]
OptionalViewerDep = Annotated[Viewer | None, Depends(optional_viewer)]
