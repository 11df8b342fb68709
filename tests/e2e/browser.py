"""What the browser tests and ``scripts/screenshots.py`` share: the app served by uvicorn on a
free loopback port (a background thread), Debian's Chromium launched headless through
Playwright, and the watcher that records what a page must never do.

Nothing here downloads anything: ``playwright install`` is never run; the browser is the system
package (``bash scripts/test.sh --deps-only`` installs it).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Playwright

from tests.factories import png_bytes

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Playwright's default is 30 s; a page of this app on loopback answers in milliseconds, so a wait
# that long would only delay the report of a real failure.
TIMEOUT_MS = 10_000


class ChromiumMissingError(RuntimeError):
    pass


def launch_chromium(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        raise ChromiumMissingError(
            f"{CHROMIUM} is missing: install Debian's chromium (`bash scripts/test.sh --deps-only`); "
            "the browser tests never download one"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def free_socket() -> socket.socket:
    """A bound loopback socket on a free port, handed to uvicorn as is (no race for the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve(app: FastAPI, sock: socket.socket | None = None) -> Iterator[str]:
    """Serve ``app`` (with its lifespan) from a background thread; yields the base URL."""
    sock = sock or free_socket()
    url = url_of(sock)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-e2e", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app server did not start")
            time.sleep(0.02)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@dataclass
class Problems:
    """What a page did that it must not: dialogs (a payload ran), CSP violations, JS errors."""

    dialogs: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        page.set_default_timeout(TIMEOUT_MS)
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.csp.append(text)
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            # A refused request (a deliberate 4xx) is the test's business; anything else logged
            # as an error is a script failing.
            self.errors.append(text)

    def assert_none(self) -> None:
        assert self.dialogs == [], f"dialogs opened (a script ran): {self.dialogs}"
        assert self.csp == [], f"CSP violations: {self.csp}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


def png_upload(name: str, color: tuple[int, int, int]) -> dict[str, Any]:
    """A real PNG as a file for ``Locator.set_input_files``."""
    return {"name": name, "mimeType": "image/png", "buffer": png_bytes(480, 640, color)}
