"""Keyset pages: a cursor is the opaque encoding of the sort key of the row it points at, so pages stay
stable while rows are added, and a page costs one indexed range scan whatever its depth."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from branchdesk.platform.errors import INVALID_CURSOR, PAGE_SIZE, DomainError

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: str | None = None

    @classmethod
    def of(cls, first: int | None, after: str | None, *, default: int, maximum: int) -> PageRequest:
        if first is None:
            return cls(default, after)
        if first < 0 or first > maximum:
            raise DomainError(PAGE_SIZE, field="first", limit=maximum)
        return cls(first, after)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]  # (cursor, item), in order
    has_next: bool
    has_previous: bool


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(f"k:{value}".encode()).decode()


def decode_cursor(cursor: str, key: InstrumentedAttribute[Any] | None = None) -> Any:
    """The sort key a cursor points at, as the key column's Python type (a forged cursor is INVALID_CURSOR)."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith("k:"):
            raise ValueError("not one of our cursors")
        value = raw[2:]
        if "\x00" in value:  # no key of ours holds one, and PostgreSQL text cannot
            raise ValueError("NUL in a cursor key")
        python_type = key.type.python_type if key is not None else str
        return value if python_type is str else python_type(value)
    except (ValueError, TypeError, UnicodeDecodeError, NotImplementedError) as exc:
        raise DomainError(INVALID_CURSOR, field="after") from exc


async def keyset(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    key: InstrumentedAttribute[Any],
    request: PageRequest,
    to_item: Callable[[Any], T],  # the entity, or the whole row when it selects several columns
) -> Page[T]:
    if request.after is not None:
        stmt = stmt.where(key > decode_cursor(request.after, key))
    rows: Sequence[Any] = (await session.execute(stmt.order_by(key).limit(request.first + 1))).all()
    items = [
        (encode_cursor(str(_key_of(row, key))), to_item(row[0] if len(row) == 1 else row))
        for row in rows[: request.first]
    ]
    return Page(items, has_next=len(rows) > request.first, has_previous=request.after is not None)


def _key_of(row: Any, key: InstrumentedAttribute[Any]) -> Any:
    """The sort key of a row: a column it selects, or an attribute of the entity it starts with."""
    mapping = row._mapping
    return mapping[key] if key in mapping else getattr(row[0], key.key)
