"""Relay connections with keyset cursors and a page-size cap.

A cursor is the opaque encoding of the sort key of the row it points at, so pages stay stable while
rows are added, and a page costs one indexed range scan whatever its depth.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry import relay

from branchdesk.platform.errors import INVALID_CURSOR, PAGE_SIZE, DomainError
from branchdesk.platform.settings import Settings

NodeT = TypeVar("NodeT")


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(f"k:{value}".encode()).decode()


def decode_cursor(cursor: str, key: InstrumentedAttribute[Any] | None = None) -> Any:
    """The sort key a cursor points at, as the key column's Python type (a forged cursor is INVALID_CURSOR)."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith("k:"):
            raise ValueError("not one of our cursors")
        value = raw[2:]
        python_type = key.type.python_type if key is not None else str
        return value if python_type is str else python_type(value)
    except (ValueError, TypeError, UnicodeDecodeError, NotImplementedError) as exc:
        raise DomainError(INVALID_CURSOR, field="after") from exc


def page_size(settings: Settings, first: int | None) -> int:
    if first is None:
        return settings.page_size_default
    if first < 0 or first > settings.page_size_max:
        raise DomainError(PAGE_SIZE, field="first", limit=settings.page_size_max)
    return first


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    key: InstrumentedAttribute[Any],
    *,
    settings: Settings,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], NodeT],  # the entity, or the whole row when it has several columns; the key is on the first
    connection: type[relay.Connection[NodeT]],
) -> relay.Connection[NodeT]:
    limit = page_size(settings, first)
    if after is not None:
        stmt = stmt.where(key > decode_cursor(after, key))
    rows: Sequence[Any] = (await session.execute(stmt.order_by(key).limit(limit + 1))).all()
    edges = [
        relay.Edge(node=to_node(row[0] if len(row) == 1 else row), cursor=encode_cursor(str(getattr(row[0], key.key))))
        for row in rows[:limit]
    ]
    return connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > limit,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
