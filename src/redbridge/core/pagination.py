"""Opaque cursors and the page envelope shared by every list endpoint."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session

from redbridge.core.errors import AppError
from redbridge.core.i18n import _

# The ``limit`` query parameter of every paginated list of the API.
PageLimit = Annotated[int, Query(ge=1, le=50, description="Items per page")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def invalid_cursor() -> AppError:
    return AppError("cursor.invalid", _("This page link is not valid."), 400, fields={"cursor": "invalid"})


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
        raise invalid_cursor() from None


def cursor_int(state: dict[str, Any] | None, key: str) -> int | None:
    if state is None:
        return None
    value = state.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid_cursor()
    return value


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=_HasId)


def id_page(
    session: Session, query: Select[Row], id_column: Any, cursor: str | None, limit: int, *, newest_first: bool
) -> tuple[list[Row], str | None]:
    """Keyset pagination on a time-ordered id column: one page of ``query`` and the next cursor.

    Ids only grow, so rows inserted while a client pages never shift a page boundary.
    """
    after = cursor_int(decode_cursor(cursor), "i")
    if after is not None and after >= 1 << 63:
        raise invalid_cursor()  # beyond any id (and any BIGINT): a forged cursor, not a database error
    if after is not None:
        query = query.where(id_column < after if newest_first else id_column > after)
    rows = list(session.scalars(query.order_by(id_column.desc() if newest_first else id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor({"i": rows[-1].id}) if more and rows else None
