"""Relay connections over the services' keyset pages, with the page-size cap from the settings.

Every connection reads from either end (`first`/`after`, `last`/`before`). Where counting is cheap
(a branch's staff, branches, reviews, service accounts, a review's items) its type is a
:class:`CountedConnection`: ``totalCount`` costs one count statement, and only when it is asked for.
A policy history is not counted: it only grows, and counting it reads all of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.inputs import text_argument
from branchdesk.platform.pagination import Page, PageRequest
from branchdesk.platform.settings import Settings
from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

NodeT = TypeVar("NodeT", bound=relay.Node)
ConnectionT = TypeVar("ConnectionT", bound=relay.Connection[Any])
# The `after`/`before` arguments of every connection: a cursor we issued (at most a key's base64), never more.
Cursor = Annotated[str | None, text_argument("The `cursor` of the edge to continue after.", max_length=200)]
Before = Annotated[str | None, text_argument("The `cursor` of the edge to read back from.", max_length=200)]
First = Annotated[int | None, strawberry.argument(description="How many edges from the start (or after `after`).")]
Last = Annotated[
    int | None, strawberry.argument(description="How many edges from the end (or before `before`); not with `first`.")
]


@strawberry.enum(description="Which way a list is sorted.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Ascending: oldest, lowest or A first.")
    DESC = strawberry.enum_value("desc", description="Descending: newest, highest or Z first.")


def page_request(
    settings: Settings,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    *,
    order_by: str | None = None,
    direction: OrderDirection | None = None,
) -> PageRequest:
    return PageRequest.of(
        first,
        after,
        last=last,
        before=before,
        order_by=order_by,
        descending=direction is OrderDirection.DESC,
        default=settings.page_size_default,
        maximum=settings.page_size_max,
    )


@strawberry.type
class CountedConnection(relay.Connection[NodeT], Generic[NodeT]):
    counter: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(
        description="How many there are in all with the same filters, whatever the page; "
        "counted (one more statement) only when asked for."
    )
    async def total_count(self) -> int:
        assert self.counter is not None
        return await self.counter()


def connection(
    page: Page[Any],
    to_node: Callable[[Any], Any],
    connection_type: type[ConnectionT],
    total: Callable[[], Awaitable[int]] | None = None,
) -> ConnectionT:
    cursor_of = page.cursor_of
    edges: list[Any] = [Edge(to_node(item), row, cursor_of) for row, item in page.entries]
    extra = {"counter": total} if total is not None else {}
    return connection_type(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        **extra,
    )


class Edge:
    """A connection's edge (``relay.Edge``'s fields, which read attributes): its cursor is encoded when the
    answer shows it, not for every row of a page (8 % of the instructions of a 50-row staff page that shows
    none: bench/api.py)."""

    __slots__ = ("_cursor_of", "_row", "node")

    def __init__(self, node: Any, row: Any, cursor_of: Callable[[Any], str]) -> None:
        self.node = node
        self._row = row
        self._cursor_of = cursor_of

    @property
    def cursor(self) -> str:
        return self._cursor_of(self._row)


def selects(info: Info, *path: str) -> bool:
    """Whether the response may show ``path`` (GraphQL names: ``"edges", "node", "membership"``) below the
    field being resolved, through fragments of any type; a field under ``@include``/``@skip`` counts as
    shown. A list reads what only such a field needs (a column, a join) only when it is shown."""
    raw = info._raw_info
    return _shows(raw.field_nodes, path, raw.fragments)


def _shows(nodes: Any, path: tuple[str, ...], fragments: dict[str, FragmentDefinitionNode]) -> bool:
    if not path:
        return True
    name, rest = path[0], path[1:]
    return any(
        field.name.value == name and _shows([field], rest, fragments)
        for node in nodes
        for field in _fields(node.selection_set, fragments)
    )


def _fields(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]) -> Any:
    """The fields of a selection set, those of its fragments included (validation has refused cycles)."""
    for selection in selection_set.selections if selection_set is not None else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from _fields(fragments[selection.name.value].selection_set, fragments)
