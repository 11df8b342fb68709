"""One error envelope for every failure: ``{"error": {"code", "message", "fields"}}``.

Actions raise :class:`AppError` with a stable ``code`` and an untranslated message id; the handler
renders the message in the caller's locale. Nothing below a handler ever formats user-facing text,
and no stack trace reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from redbridge.core import ids
from redbridge.core.i18n import _, get_locale, gettext

log = logging.getLogger("redbridge.errors")


# What an error says about a field: a code or message, or a list of codes (a moderation
# refusal's ``reasons``).
FieldValue = str | list[str]


class AppError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        fields: dict[str, FieldValue] | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}
        self.headers = headers
        self.params = params


def not_found(what: str = "object") -> AppError:
    return AppError(f"{what}.not_found", _("Not found."), 404)


def path_id(value: str, what: str) -> int:
    """An id from the path (or a form); anything that is not one of ours is simply not found, as
    the object would be (``<what>.not_found``, 404)."""
    parsed = ids.decode(value)
    if parsed is None:
        raise not_found(what)
    return parsed


def forbidden() -> AppError:
    return AppError("forbidden", _("You are not allowed to do that."), 403)


def unauthenticated() -> AppError:
    return AppError("auth.required", _("Please log in first."), 401, headers={"WWW-Authenticate": "Bearer"})


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, FieldValue] = {}


class ErrorEnvelope(BaseModel):
    error: ErrorBody


# Documented on every operation (set app-wide in create_app): any endpoint can answer these with
# the envelope — a body that is not JSON (400), no session (401), rate limits (429), ...
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope} for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


def envelope(code: str, message: str, status: int, fields: dict[str, FieldValue] | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


# Status codes the framework raises on its own (unknown route, wrong method, ...).
_HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("bad_request", _("The request could not be understood.")),
    401: ("auth.required", _("Please log in first.")),
    403: ("forbidden", _("You are not allowed to do that.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    413: ("too_large", _("The request is too large.")),
    415: ("unsupported_media_type", _("This content type is not supported.")),
}

FIELD_MESSAGES: dict[str, str] = {
    "missing": _("This field is required."),
    "string_too_long": _("This is too long."),
    "string_too_short": _("This is too short."),
    "too_long": _("Too many items."),
    "too_short": _("Too few items."),
    "json_invalid": _("The request body is not valid JSON."),
    "string_pattern_mismatch": _("This value has characters that are not allowed."),
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def request_locale(request: Request) -> str:
    """The caller's locale: the account's setting when a dependency resolved the user (it runs in
    a worker thread, so it records the locale on ``request.state`` rather than a context var)."""
    return str(getattr(request.state, "locale", None) or get_locale())


# An HTML error page renderer, registered by the pages (``redbridge.web``) on ``app.state.error_page``
# so that core does not depend on them: (request, status, code, untranslated message, its params,
# headers). It translates the message itself: it may learn the reader's language (their account's)
# only while rendering.
ErrorPage = Callable[
    [Request, int, str, str, dict[str, object], dict[str, str] | None], Awaitable[Response]
]


def wants_html(request: Request) -> bool:
    """A browser asking for a page: not under /api/, and HTML is acceptable. Everything else —
    API clients, ``<img>``/``fetch`` requests, ``Accept: */*`` — keeps the JSON envelope."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


async def respond(request: Request, code: str, message: str, status: int, fields: dict[str, FieldValue] | None = None,
                  headers: dict[str, str] | None = None, params: dict[str, object] | None = None) -> Response:
    """The error response for ``request`` (``message``: the msgid, translated here): the envelope,
    or the HTML page when a browser asks for one."""
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    if page is not None and wants_html(request):
        try:
            return await page(request, status, code, message, params or {}, headers)
        except Exception:
            # A broken error template must not hide the error itself.
            log.exception("error page failed to render")
    return envelope(code, gettext(message, request_locale(request), **(params or {})), status, fields, headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        return await respond(request, exc.code, exc.message, exc.status, exc.fields, exc.headers, exc.params)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        locale = request_locale(request)
        fields: dict[str, FieldValue] = {}
        for err in exc.errors():
            kind = str(err.get("type", ""))
            message = FIELD_MESSAGES.get(kind, _("This value is not valid."))
            fields.setdefault(_field_name(tuple(err.get("loc", ()))), gettext(message, locale))
        return await respond(request, "validation_failed", _("Some fields are not valid."), 422, fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code, message = _HTTP_MESSAGES.get(exc.status_code, ("error", _("Something went wrong.")))
        return await respond(request, code, message, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return await respond(request, "internal", _("Something went wrong on our side. Please try again."), 500)
