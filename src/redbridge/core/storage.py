"""Where media bytes live (infrastructure, like the cache: the services build it, media uses it).
Local directory by default; the protocol is small enough for an
S3-compatible store to slot in later without touching callers."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[a-z0-9][a-z0-9/_.-]{0,118}$")


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key)) and ".." not in key and "//" not in key


class MediaStorage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def path(self, key: str) -> Path | None:
        """A local file for ``key`` if it exists (what the web server streams), else None."""
        ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _resolve(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"invalid media key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        target = self._resolve(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temp file and rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def path(self, key: str) -> Path | None:
        if not valid_key(key):
            return None
        target = self.root / key
        return target if target.is_file() else None

    def delete(self, key: str) -> None:
        if valid_key(key):
            (self.root / key).unlink(missing_ok=True)
