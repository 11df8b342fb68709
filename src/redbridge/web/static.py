"""Fingerprinted static assets: ``/static/<hash>/<path>``, cached by browsers for a year.

At app start every file under ``web/static`` is read once and named by a hash of its content;
templates ask for ``static("css/app.css")`` and get ``/static/3f2a9c0e1b7d/css/app.css``. A new
deploy changes the hash of every changed file, so a browser never keeps a stale copy and never
needs to revalidate an unchanged one (``immutable``).

A request with a hash that is not the current one (a page rendered by the previous deploy, still
open in a tab) gets the *current* file with a one-minute cache instead of a 404, so that tab keeps
working; the file is small and the mismatch rare. Paths not in the manifest are 404 — the manifest
is the allow-list, so no request can reach a file outside the folder.

Files are kept in memory (the folder holds kilobytes: one CSS file, a few JS modules, htmx). Edits
during development need a restart, like edits to Python code.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable

from fastapi import APIRouter, Request, Response

from redbridge.core.errors import not_found

IMMUTABLE = "public, max-age=31536000, immutable"
STALE = "public, max-age=60"
HASH_LENGTH = 12
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


@dataclass(frozen=True, slots=True)
class Asset:
    digest: str
    content_type: str
    body: bytes


# A relative ES module specifier: ``from "./feed.js"``, ``import "./x.js"``, ``import("./x.js")``.
_IMPORT_RE = re.compile(rb"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+\.js)\2""")


class StaticAssets:
    """The manifest: relative path → (content hash, content type, bytes)."""

    def __init__(self, assets: dict[str, Asset]) -> None:
        self._assets = assets

    @classmethod
    def scan(cls, root: Traversable | None = None) -> StaticAssets:
        """Read and fingerprint every file under ``root`` (default: the package's ``web/static``).

        JavaScript modules import each other by relative path; those specifiers are rewritten to
        the imported module's fingerprinted URL (so ``app.js`` can stay ``immutable`` and still
        pick up a changed ``feed.js``: the rewrite changes ``app.js``'s bytes, hence its hash).
        Modules are therefore fingerprinted after the modules they import; an import cycle or a
        missing module is an error at start-up. ``vendor/`` files are served as shipped.
        """
        root = root if root is not None else resources.files("redbridge.web") / "static"
        raw: dict[str, bytes] = {}

        def walk(folder: Traversable, prefix: str) -> None:
            for entry in folder.iterdir():
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    walk(entry, prefix + entry.name + "/")
                else:
                    raw[prefix + entry.name] = entry.read_bytes()

        walk(root, "")
        assets: dict[str, Asset] = {}

        def build(path: str, visiting: tuple[str, ...]) -> Asset:
            done = assets.get(path)
            if done is not None:
                return done
            if path in visiting:
                raise ValueError(f"static: import cycle {' -> '.join((*visiting, path))}")
            body = raw[path]
            if path.endswith(".js") and not path.startswith("vendor/"):
                def rewrite(match: re.Match[bytes]) -> bytes:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), match.group(3).decode()))
                    if target not in raw:
                        raise ValueError(f"static: {path} imports missing {target}")
                    url = f"/static/{build(target, (*visiting, path)).digest}/{target}".encode()
                    return match.group(1) + match.group(2) + url + match.group(2)

                body = _IMPORT_RE.sub(rewrite, body)
            suffix = path[path.rfind("."):] if "." in path.rpartition("/")[2] else ""
            content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
            asset = Asset(digest=hashlib.sha256(body).hexdigest()[:HASH_LENGTH], content_type=content_type, body=body)
            assets[path] = asset
            return asset

        for path in sorted(raw):
            build(path, ())
        return cls(assets)

    def url(self, path: str) -> str:
        """The fingerprinted URL of ``path``; a KeyError for a file that does not exist, so a
        misspelt asset in a template fails the first test that renders it."""
        return f"/static/{self._assets[path].digest}/{path}"

    def get(self, path: str) -> Asset | None:
        return self._assets.get(path)

    def paths(self) -> list[str]:
        return sorted(self._assets)


def assets_of(request: Request) -> StaticAssets:
    assets: StaticAssets = request.app.state.static_assets
    return assets


router = APIRouter(include_in_schema=False)


@router.get("/static/{fingerprint}/{path:path}")
def serve(fingerprint: str, path: str, request: Request) -> Response:
    asset = assets_of(request).get(path)
    if asset is None:
        raise not_found("static")
    current = fingerprint == asset.digest
    etag = f'"{asset.digest}"'
    headers = {"Cache-Control": IMMUTABLE if current else STALE, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.content_type, headers=headers)
