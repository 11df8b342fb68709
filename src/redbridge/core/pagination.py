"""Opaque cursors and the page envelope shared by every list endpoint."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from redbridge.core.errors import AppError
from redbridge.core.i18n import _

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The cursor's state, ``None`` for the first page; a 400 for anything we did not issue."""
    if not cursor:
        return None
    try:
        if len(cursor) > 2048:
            raise ValueError("cursor too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        state = json.loads(raw)
        if not isinstance(state, dict):
            raise ValueError("cursor is not an object")
        return state
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise AppError("cursor.invalid", _("This page link is not valid."), 400, fields={"cursor": "invalid"}) from None


def cursor_int(state: dict[str, Any] | None, key: str) -> int | None:
    if state is None:
        return None
    value = state.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise AppError("cursor.invalid", _("This page link is not valid."), 400, fields={"cursor": "invalid"})
    return value
