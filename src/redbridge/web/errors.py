"""HTML error pages (registered on ``app.state.error_page`` for ``core.errors``) and the redirect
to the login page for pages that need a viewer."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from redbridge.accounts.deps import COOKIE, Viewer
from redbridge.accounts.queries import session_for_token
from redbridge.core.errors import request_locale
from redbridge.core.i18n import gettext
from redbridge.core.security import token_digest
from redbridge.core.services import Services
from redbridge.web.deps import LoginRequired, is_htmx, layout_context, login_url
from redbridge.web.render import render

log = logging.getLogger("redbridge.web")


def _layout(request: Request, services: Services) -> dict[str, Any]:
    """The layout's context for an error page. The reader is looked up afresh from the session
    cookie, in a session of its own: the request's session is closed by now, and an action that
    failed may have rolled it back, leaving the viewer it loaded expired. No CSRF check — this
    only decides the page's language and navigation (it may be showing that very check's
    failure), and authorises nothing."""
    token = request.cookies.get(COOKIE)
    try:
        with services.sessions() as session:
            found = session_for_token(session, token_digest(token), services.clock.now()) if token and len(
                token) <= 200 else None
            viewer = Viewer(user=found[1], auth=found[0], via_cookie=True) if found is not None else None
            if viewer is not None and not getattr(request.state, "locale_explicit", False) and viewer.user.ui_lang:
                request.state.locale = viewer.user.ui_lang
            return layout_context(request, services, viewer, 0)
    except Exception:
        log.exception("error page: viewer lookup failed")
        return layout_context(request, services, None, 0)


async def error_page(request: Request, status: int, code: str, message: str, params: dict[str, object],
                     headers: dict[str, str] | None) -> Response:
    """The error as a page in the reader's language (the account's, when logged in), with the
    site's navigation; the unread badge is left out (the page may be shown because the database
    is what failed)."""
    services: Services = request.app.state.services
    layout = await run_in_threadpool(_layout, request, services)
    text = gettext(message, request_locale(request), **params)
    context = {**layout, "status": status, "code": code, "message": text, "tab": ""}
    return render(request, "pages/error.html", context, status=status, headers=headers)


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = login_url(exc.next_path)
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
