"""Keyset pages: a cursor is the opaque encoding of the sort key of the row it points at, so pages stay
stable while rows are added, and a page costs one indexed range scan whatever its depth.

A page is read from either end: ``first``/``after`` reads forward from the start (or past a cursor),
``last``/``before`` reads the tail in reverse order and turns it back, so edges always come in the
order asked for. A sort key is one unique column or several ending with a unique one (``changed_at``
then ``id``), compared as a row value in either direction.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from branchdesk.platform.errors import INVALID_CURSOR, INVALID_VALUE, PAGE_SIZE, DomainError

T = TypeVar("T")
Key = InstrumentedAttribute[Any] | Sequence[InstrumentedAttribute[Any]]


@dataclass(frozen=True)
class PageRequest:
    """How many (``first`` from the start, or ``last`` from the end), from where (``after``, ``before``),
    in which order (``order_by``: a name the service maps to its sort key; ``descending``)."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    order_by: str | None = None
    descending: bool = False

    @classmethod
    def of(
        cls,
        first: int | None,
        after: str | None,
        *,
        default: int,
        maximum: int,
        last: int | None = None,
        before: str | None = None,
        order_by: str | None = None,
        descending: bool = False,
    ) -> PageRequest:
        if first is not None and last is not None:
            raise DomainError(
                INVALID_VALUE,
                field="last",
                reason="Ask for `first` or `last`, not both.",
                reason_zh="`first` 与 `last` 只能指定其一。",
            )
        for name, size in (("first", first), ("last", last)):
            if size is not None and (size < 0 or size > maximum):
                raise DomainError(PAGE_SIZE, field=name, limit=maximum)
        if first is None and last is None:
            first = default
        return cls(first, after, last, before, order_by, descending)

    @property
    def from_end(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        size = self.last if self.last is not None else self.first
        assert size is not None
        return size


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]  # (cursor, item), in order
    has_next: bool
    has_previous: bool


def encode_cursor(value: str | Sequence[str]) -> str:
    raw = f"k:{value}" if isinstance(value, str) else f"c:{json.dumps(list(value), ensure_ascii=False)}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _parse(value: str, key: InstrumentedAttribute[Any] | None) -> Any:
    python_type = key.type.python_type if key is not None else str
    if python_type is str:
        return value
    if python_type in (datetime, date):
        return python_type.fromisoformat(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    return python_type(value)


def decode_cursor(cursor: str, key: Key | None = None, *, field: str = "after") -> Any:
    """The sort key a cursor points at, as the key columns' Python types (a tuple for a compound key);
    a forged cursor, or one of another order, is INVALID_CURSOR naming ``field``."""
    keys = _keys(key) if key is not None else (None,)
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if raw.startswith("k:") and len(keys) == 1:
            values = [raw[2:]]
        elif raw.startswith("c:") and len(keys) > 1:
            values = json.loads(raw[2:])
            if not isinstance(values, list) or len(values) != len(keys) or not all(isinstance(v, str) for v in values):
                raise ValueError("not a key of this order")
        else:
            raise ValueError("not one of our cursors")
        if any("\x00" in value for value in values):  # no key of ours holds one, and PostgreSQL text cannot
            raise ValueError("NUL in a cursor key")
        parsed = [_parse(value, k) for value, k in zip(values, keys, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError, NotImplementedError) as exc:
        raise DomainError(INVALID_CURSOR, field=field) from exc
    return parsed[0] if len(parsed) == 1 else tuple(parsed)


def _keys(key: Key) -> tuple[InstrumentedAttribute[Any], ...]:
    return (key,) if isinstance(key, InstrumentedAttribute) else tuple(key)


def _beyond(keys: tuple[InstrumentedAttribute[Any], ...], at: Any, ascending: bool) -> ColumnElement[bool]:
    """Rows past ``at`` in the given direction (a row-value comparison for a compound key)."""
    column: Any = keys[0] if len(keys) == 1 else tuple_(*keys)
    value: Any = at if len(keys) == 1 else tuple_(*at)
    return column > value if ascending else column < value  # type: ignore[no-any-return]


async def keyset(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    key: Key,
    request: PageRequest,
    to_item: Callable[[Any], T],  # the entity, or the whole row when it selects several columns
) -> Page[T]:
    keys = _keys(key)
    ascending = not request.descending
    if request.after is not None:
        stmt = stmt.where(_beyond(keys, decode_cursor(request.after, keys, field="after"), ascending))
    if request.before is not None:
        stmt = stmt.where(_beyond(keys, decode_cursor(request.before, keys, field="before"), not ascending))
    reading_ascending = ascending != request.from_end  # `last` reads the tail from its end
    order = [k.asc() if reading_ascending else k.desc() for k in keys]
    size = request.size
    rows: Sequence[Any] = (await session.execute(stmt.order_by(*order).limit(size + 1))).all()
    more = len(rows) > size
    read = list(rows[:size])
    if request.from_end:
        read.reverse()
    items = [(_cursor(row, keys), to_item(row[0] if len(row) == 1 else row)) for row in read]
    if request.from_end:
        return Page(items, has_next=request.before is not None, has_previous=more)
    return Page(items, has_next=more, has_previous=request.after is not None)


async def count(session: AsyncSession, stmt: Select[*tuple[Any, ...]]) -> int:
    """How many rows a list's query holds (its filters, not its page): one statement."""
    counted = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(counted or 0)


def _cursor(row: Any, keys: tuple[InstrumentedAttribute[Any], ...]) -> str:
    values = [str(_key_of(row, key)) for key in keys]
    return encode_cursor(values[0] if len(values) == 1 else values)


def _key_of(row: Any, key: InstrumentedAttribute[Any]) -> Any:
    """The sort key of a row: a column it selects, or an attribute of the entity it starts with."""
    mapping = row._mapping
    return mapping[key] if key in mapping else getattr(row[0], key.key)


async def keyset_each(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    parent: InstrumentedAttribute[Any],
    key: Key,
    request: PageRequest,
    to_item: Callable[[Any], T],
) -> dict[Any, Page[T]]:
    """The same page of many parents' lists in one statement (a DataLoader's batch: each client's latest
    interactions): a window numbers each parent's rows in the page's order and keeps ``size + 1`` of them.
    ``stmt`` selects columns, among them ``parent`` and the key's columns; a parent with no row has no page."""
    keys = _keys(key)
    ascending = not request.descending
    if request.after is not None:
        stmt = stmt.where(_beyond(keys, decode_cursor(request.after, keys, field="after"), ascending))
    if request.before is not None:
        stmt = stmt.where(_beyond(keys, decode_cursor(request.before, keys, field="before"), not ascending))
    reading_ascending = ascending != request.from_end
    order = [k.asc() if reading_ascending else k.desc() for k in keys]
    size = request.size
    numbered = stmt.add_columns(func.row_number().over(partition_by=parent, order_by=order).label("page_row"))
    inner = numbered.subquery()
    rows = (
        await session.execute(
            select(inner).where(inner.c.page_row <= size + 1).order_by(inner.c[parent.key], inner.c.page_row)
        )
    ).all()
    grouped: dict[Any, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row._mapping[parent.key], []).append(row)
    pages: dict[Any, Page[T]] = {}
    for owner, found in grouped.items():
        more = len(found) > size
        read = found[:size]
        if request.from_end:
            read.reverse()
        items = [(encode_cursor(_values_of(row, keys)), to_item(row)) for row in read]
        if request.from_end:
            pages[owner] = Page(items, has_next=request.before is not None, has_previous=more)
        else:
            pages[owner] = Page(items, has_next=more, has_previous=request.after is not None)
    return pages


def _values_of(row: Any, keys: tuple[InstrumentedAttribute[Any], ...]) -> str | list[str]:
    values = [str(row._mapping[key.key]) for key in keys]
    return values[0] if len(values) == 1 else values
