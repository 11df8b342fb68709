"""Pure-ASGI middleware: locale, security headers, body size cap, metrics.

Pure ASGI rather than ``BaseHTTPMiddleware`` because these wrap every request, including the
hot feed reads, and the latter costs a task and a queue per request.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redbridge.core import i18n
from redbridge.core.errors import envelope

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


LANG_COOKIE = "rb_lang"


def _cookie(scope: Scope, name: str) -> str | None:
    header = _header(scope, b"cookie")
    return cookie_parser(header).get(name) if header else None


class LocaleMiddleware:
    """Sets the request's locale from ``?lang=``, else the ``rb_lang`` cookie (the pages' language
    switcher), else Accept-Language. The account setting, once the user is known, overrides all but
    ``?lang=`` (see ``accounts.deps``): the cookie is only a preference of this browser."""

    def __init__(self, app: ASGIApp, default: str = "en") -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        explicit = None
        for part in query.split("&"):
            if part.startswith("lang="):
                explicit = i18n.normalize(part[5:])
        locale = (explicit or i18n.normalize(_cookie(scope, LANG_COOKIE))
                  or i18n.from_accept_language(_header(scope, b"accept-language")) or self.default)
        scope.setdefault("state", {})["locale"] = locale
        scope["state"]["locale_explicit"] = explicit is not None
        token = i18n.set_locale(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.reset_locale(token)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # An answer to a request that carries credentials may be about that account: no shared
        # cache (a proxy, a CDN) and no disk cache may keep it. Pages set their own header.
        personal = scope.get("path", "").startswith("/api/") and any(
            key in _CREDENTIALS for key, _ in scope.get("headers", ()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                if personal and b"cache-control" not in present:
                    headers.append((b"cache-control", b"private, no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLargeError(BaseException):
    """Raised from ``receive``; a BaseException because the framework turns any ``Exception``
    raised while it reads a body into a generic 400, and this must surface as a 413."""


@dataclass(frozen=True)
class UploadRoute:
    """A route that accepts a body up to the upload limit: its method and path pattern, taken from
    the route itself (``app.upload_routes``), so the limit follows the route, not a path suffix."""

    methods: frozenset[str]
    pattern: re.Pattern[str]


_CREDENTIALS = (b"authorization", b"cookie")


class BodyLimitMiddleware:
    """Rejects bodies over the limit with 413 before the app buffers them: by Content-Length when
    given, by counting streamed chunks otherwise. Upload routes get the media cap, the rest 1 MiB."""

    def __init__(self, app: ASGIApp, default_limit: int, upload_limit: int,
                 upload_routes: tuple[UploadRoute, ...]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit
        self.upload_routes = upload_routes

    def _is_upload(self, method: str, path: str) -> bool:
        return any(method in r.methods and r.pattern.match(path) for r in self.upload_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Only accounts upload: a request with no credentials at all (no bearer token, no cookie)
        # gets the small limit even on an upload route, so a stranger's 200 MB body is refused by
        # its Content-Length, unread; the route itself then asks for a login as usual.
        uploads = self._is_upload(scope["method"], scope.get("path", "")) and any(
            key in _CREDENTIALS for key, _ in scope.get("headers", ()))
        limit = self.upload_limit if uploads else self.default_limit
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._reject(scope, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        locale = scope.get("state", {}).get("locale", "en")
        # Connection: close — the unread body is still on its way; the client must not reuse it.
        response = envelope("too_large", i18n.gettext("The request is too large.", locale), 413,
                            headers={"Connection": "close"})
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "redbridge_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "redbridge_http_request_seconds", "HTTP request latency", ["method", "route"], registry=registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route: Any = scope.get("route")
            # The route template, not the raw path: ids in paths would explode label cardinality.
            name = getattr(route, "path", "unmatched")
            self.requests.labels(scope["method"], name, str(status)).inc()
            self.latency.labels(scope["method"], name).observe(time.perf_counter() - start)
