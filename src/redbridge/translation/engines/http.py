"""The one way the HTTP engines talk to their servers: JSON POST with every wait bounded.

httpx's timeouts bound each phase (connect, each read, each write, waiting for a pooled
connection), not the whole exchange: a server that trickles one byte per second never trips a
read timeout. So the body is streamed and the total time is checked against a deadline as it
arrives, and the body size is capped (a runaway generation cannot fill memory).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Final

import httpx

from redbridge.translation.engine import EngineError

__all__ = ["HttpEngine", "HttpOptions", "make_client", "post_json"]

_MAX_BODY: Final = 1 << 20


class HttpOptions:
    """``connect``: seconds to open a connection; ``total``: seconds for the whole exchange."""

    def __init__(self, connect: float = 2.0, total: float = 20.0, max_body: int = _MAX_BODY) -> None:
        self.connect = connect
        self.total = total
        self.max_body = max_body


def make_client(options: HttpOptions) -> httpx.Client:
    timeout = httpx.Timeout(options.total, connect=options.connect)
    # No proxies from the environment: these are local inference servers, and a proxy set for
    # the package registries must not see user text.
    return httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False)


def post_json(
    client: httpx.Client,
    url: str,
    payload: dict[str, Any],
    options: HttpOptions,
    headers: dict[str, str] | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """POST ``payload`` as JSON and return the decoded JSON answer; :class:`EngineError` with
    code ``timeout``, ``unreachable``, ``http-<status>``, ``too-large`` or ``malformed``.

    The exchange ends by ``options.total`` seconds from now or by ``deadline`` (a ``clock``
    reading: what is left of a batch's time), whichever comes first."""
    now = clock()
    deadline = now + options.total if deadline is None else min(deadline, now + options.total)
    remaining = deadline - now
    if remaining <= 0:
        raise EngineError("timeout", f"{url}: no time left")
    timeout = httpx.Timeout(remaining, connect=min(options.connect, remaining))
    try:
        with client.stream("POST", url, json=payload, headers=headers, timeout=timeout) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > options.max_body:
                    raise EngineError("too-large", url)
                if clock() > deadline:
                    raise EngineError("timeout", f"{url}: over {remaining:.1f}s")
            status = response.status_code
    except httpx.TimeoutException as exc:
        raise EngineError("timeout", f"{url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise EngineError("unreachable", f"{url}: {exc}") from exc
    if status != httpx.codes.OK:
        raise EngineError(f"http-{status}", url)
    try:
        return json.loads(bytes(body))
    except ValueError as exc:
        raise EngineError("malformed", f"{url}: not JSON") from exc


class HttpEngine:
    """What the HTTP engines share: one client with bounded waits, the endpoint, the name."""

    def __init__(
        self,
        name: str,
        url: str,
        connect: float,
        total: float,
        max_segment_chars: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._options = HttpOptions(connect=connect, total=total)
        self._clock = clock
        self._client = make_client(self._options)
        self._url = url
        self._name = name
        self.max_segment_chars = max_segment_chars

    @property
    def name(self) -> str:
        return self._name

    def close(self) -> None:
        self._client.close()

    def _post(self, payload: dict[str, Any], headers: dict[str, str] | None = None, deadline: float | None = None) -> Any:
        return post_json(self._client, self._url, payload, self._options, headers, deadline, self._clock)
