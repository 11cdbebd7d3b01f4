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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from branchdesk.platform.database import read, selects_entities
from branchdesk.platform.errors import INVALID_CURSOR, INVALID_VALUE, PAGE_SIZE, DomainError
from branchdesk.platform.kept import KeptWhileAlive

T = TypeVar("T")
U = TypeVar("U")
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
    """A page's items in order, each with the row it was read from. Most answers show no edge's cursor,
    so a cursor is encoded from its row only when asked for: :attr:`items`, or ``cursor_of(row)``."""

    entries: list[tuple[Any, T]]  # (the row, the item), in order
    cursor_of: Callable[[Any], str]  # the cursor of an entry's row
    has_next: bool
    has_previous: bool
    total: int | None = None  # the whole list's length, when the page's statement counted it too

    @classmethod
    def of(
        cls,
        request: PageRequest,
        entries: list[tuple[Any, T]],
        cursor_of: Callable[[Any], str],
        more: bool,
        total: int | None = None,
    ) -> Page[T]:
        """The page ``request`` asked for, ``more`` saying whether rows lie beyond it in the reading
        direction: past its end for ``first``, before its start for ``last``."""
        if request.from_end:
            return cls(entries, cursor_of, has_next=request.before is not None, has_previous=more, total=total)
        return cls(entries, cursor_of, has_next=more, has_previous=request.after is not None, total=total)

    @classmethod
    def empty(cls, request: PageRequest) -> Page[T]:
        """No items: the page of a list with none past the request's cursor (a parent without rows)."""
        return cls.of(request, [], _no_cursor, more=False)

    @property
    def items(self) -> list[tuple[str, T]]:
        """(cursor, item), in order."""
        cursor_of = self.cursor_of
        return [(cursor_of(row), item) for row, item in self.entries]

    def with_items(self, items: Sequence[U]) -> Page[U]:
        """The same page, cursors and all, of other items (one for each of this page's, in order)."""
        entries = [(row, item) for (row, _), item in zip(self.entries, items, strict=True)]
        return Page(entries, self.cursor_of, self.has_next, self.has_previous, self.total)


def encode_cursor(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return _encode_key(value)
    return base64.urlsafe_b64encode(f"c:{json.dumps(list(value), ensure_ascii=False)}".encode()).decode()


def _encode_key(value: object) -> str:
    """The cursor of a one-column key (its value as ``str`` gives it)."""
    return base64.urlsafe_b64encode(f"k:{value}".encode()).decode()


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


def _beyond(keys: tuple[InstrumentedAttribute[Any], ...], side: str, ascending: bool) -> ColumnElement[bool]:
    """Rows past the key given as parameters ``<side>_0``… in the given direction (a row-value comparison
    for a compound key)."""
    values = [bindparam(f"{side}_{i}", type_=key.type) for i, key in enumerate(keys)]
    column: Any = keys[0] if len(keys) == 1 else tuple_(*keys)
    value: Any = values[0] if len(keys) == 1 else tuple_(*values)
    return column > value if ascending else column < value  # type: ignore[no-any-return]


def _key_parameters(side: str, at: Any, count: int) -> dict[str, Any]:
    values = [at] if count == 1 else list(at)
    return {f"{side}_{i}": value for i, value in enumerate(values)}


# Page statements derived from a list's statement, kept by shape (which way, from which end, past which
# cursors) while the list's statement lives: values are parameters, so a list whose statement is built once
# (its filters parameters too) builds and compiles each shape once per process.
@dataclass(slots=True)
class _PageStatement:
    statement: Select[Any]
    entities: bool  # it loads entities (else its rows are read through Core)
    # Where the sort key sits in its rows, found from its first row (asking a row's mapping for a column
    # compares SQL expressions): a column of the row, or None for an attribute of the entity it starts with.
    key_positions: tuple[int | None, ...] | None = None


_PAGE_STATEMENTS: KeptWhileAlive[_PageStatement] = KeptWhileAlive(512)


def _page_statement(
    stmt: Select[Any], keys: tuple[InstrumentedAttribute[Any], ...], ascending: bool, request: PageRequest
) -> _PageStatement:
    reading_ascending = ascending != request.from_end  # `last` reads the tail from its end
    shape = (id(stmt), *map(id, keys), ascending, reading_ascending, request.after is None, request.before is None)
    found = _PAGE_STATEMENTS.get(shape)
    if found is not None:
        return found
    page = stmt
    if request.after is not None:
        page = page.where(_beyond(keys, "after", ascending))
    if request.before is not None:
        page = page.where(_beyond(keys, "before", not ascending))
    page = page.order_by(*[k.asc() if reading_ascending else k.desc() for k in keys]).limit(
        bindparam("page_limit", type_=Integer)
    )
    found = _PageStatement(page, selects_entities(page))
    _PAGE_STATEMENTS.put(stmt, shape, found)
    return found


async def keyset(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    key: Key,
    request: PageRequest,
    to_item: Callable[[Any], T],  # the entity, or the whole row when it selects several columns
    params: Mapping[str, Any] | None = None,  # the values of ``stmt``'s own parameters
) -> Page[T]:
    keys = _keys(key)
    ascending = not request.descending
    values = dict(params or {})
    if request.after is not None:
        values |= _key_parameters("after", decode_cursor(request.after, keys, field="after"), len(keys))
    if request.before is not None:
        values |= _key_parameters("before", decode_cursor(request.before, keys, field="before"), len(keys))
    size = request.size
    values["page_limit"] = size + 1
    page = _page_statement(stmt, keys, ascending, request)
    if page.entities:
        rows: Sequence[Any] = (await session.execute(page.statement, values)).all()
    else:
        rows = await read(session, page.statement, values)
    more = len(rows) > size
    shown = list(rows[:size])
    if request.from_end:
        shown.reverse()
    cursor_of: Callable[[Any], str] = _no_cursor
    if shown:
        if page.key_positions is None:
            page.key_positions = _key_positions(shown[0], keys)
        cursor_of = _cursors(page.key_positions, keys)
    entries = [(row, to_item(row[0] if len(row) == 1 else row)) for row in shown]
    return Page.of(request, entries, cursor_of, more)


def _no_cursor(row: Any) -> str:
    raise AssertionError("an empty page has no rows to encode")


async def count(session: AsyncSession, stmt: Select[*tuple[Any, ...]], params: Mapping[str, Any] | None = None) -> int:
    """How many rows a list's query holds (its filters, not its page): one statement."""
    counted = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()), params)
    return int(counted or 0)


def _cursors(positions: tuple[int | None, ...], keys: tuple[InstrumentedAttribute[Any], ...]) -> Callable[[Any], str]:
    """The cursor of each row of a page, from where the sort key sits in its rows (:func:`_key_positions`)."""
    if len(keys) == 1 and positions[0] is not None:  # the common case: one key column of the row
        at = positions[0]
        return lambda row: _encode_key(row[at])

    def cursor(row: Any) -> str:
        values = [
            str(row[at] if at is not None else _key_of(row, key)) for at, key in zip(positions, keys, strict=True)
        ]
        return encode_cursor(values[0] if len(values) == 1 else values)

    return cursor


def _key_positions(first: Any, keys: tuple[InstrumentedAttribute[Any], ...]) -> tuple[int | None, ...]:
    """Where each key sits in rows like ``first``: a column of the row (by its unique name), or None for an
    attribute of the entity the row starts with."""
    mapping, fields = first._mapping, first._fields
    positions: list[int | None] = []
    for key in keys:
        column = _column_in(mapping, key)
        position = fields.index(key.key) if column is not None and fields.count(key.key) == 1 else None
        if position is not None and first[position] is not mapping[column]:
            position = None
        positions.append(position)
    return tuple(positions)


def _key_of(row: Any, key: InstrumentedAttribute[Any]) -> Any:
    """The sort key of a row: a column it selects, or an attribute of the entity it starts with."""
    mapping = row._mapping
    column = _column_in(mapping, key)
    return mapping[column] if column is not None else getattr(row[0], key.key)


def _column_in(mapping: Any, key: InstrumentedAttribute[Any]) -> Any:
    """How a row's mapping knows the key's column: by the attribute (an ORM result), by the table's
    column (a Core result: :func:`~branchdesk.platform.database.read`), or not at all (an entity's)."""
    return next((column for column in (key, key.expression) if column in mapping), None)


async def keyset_each(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    parent: InstrumentedAttribute[Any],
    key: Key,
    request: PageRequest,
    to_item: Callable[[Any], T],
    totals: Select[*tuple[Any, ...]] | None = None,
) -> dict[Any, Page[T]]:
    """The same page of many parents' lists in one statement (a DataLoader's batch: each client's latest
    interactions): a window numbers each parent's rows in the page's order and keeps ``size + 1`` of them.
    ``stmt`` selects columns, among them ``parent`` and the key's columns; a parent with no row has no page.

    ``totals`` (parent, count) counts each parent's whole list in the same statement, for a first page (no
    cursor: then a parent has a page exactly when its count is not zero); each page's ``total`` says it."""
    keys = _keys(key)
    counted = totals is not None and request.after is None and request.before is None
    ascending = not request.descending
    values: dict[str, Any] = {}
    if request.after is not None:
        stmt = stmt.where(_beyond(keys, "after", ascending))
        values |= _key_parameters("after", decode_cursor(request.after, keys, field="after"), len(keys))
    if request.before is not None:
        stmt = stmt.where(_beyond(keys, "before", not ascending))
        values |= _key_parameters("before", decode_cursor(request.before, keys, field="before"), len(keys))
    reading_ascending = ascending != request.from_end
    order = [k.asc() if reading_ascending else k.desc() for k in keys]
    size = request.size
    numbered = stmt.add_columns(func.row_number().over(partition_by=parent, order_by=order).label("page_row"))
    inner = numbered.subquery()
    query = select(inner).where(inner.c.page_row <= size + 1).order_by(inner.c[parent.key], inner.c.page_row)
    if counted and totals is not None:
        # Materialised: counted once, not again for each row of the page (a nested loop's inner side)
        counts = totals.cte("totals").prefix_with("MATERIALIZED")
        parent_count = counts.c[1].label("page_total")
        query = query.add_columns(parent_count).join(counts, counts.c[0] == inner.c[parent.key])
    rows = (await session.execute(query, values)).all()
    grouped: dict[Any, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row._mapping[parent.key], []).append(row)
    pages: dict[Any, Page[T]] = {}

    def cursor_of(row: Any) -> str:
        return encode_cursor(_values_of(row, keys))

    for owner, found in grouped.items():
        more = len(found) > size
        read = found[:size]
        if request.from_end:
            read.reverse()
        entries = [(row, to_item(row)) for row in read]
        total = int(found[0]._mapping["page_total"]) if counted else None
        pages[owner] = Page.of(request, entries, cursor_of, more, total)
    return pages


def _values_of(row: Any, keys: tuple[InstrumentedAttribute[Any], ...]) -> str | list[str]:
    values = [str(row._mapping[key.key]) for key in keys]
    return values[0] if len(values) == 1 else values
