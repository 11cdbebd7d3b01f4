"""Relay connections over the services' keyset pages, with the page-size cap from the settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from strawberry import relay

from branchdesk.graphql.inputs import text_argument
from branchdesk.platform.pagination import Page, PageRequest
from branchdesk.platform.settings import Settings

NodeT = TypeVar("NodeT", bound=relay.Node)
# The `after` argument of every connection: a cursor we issued (at most a key's base64), never more.
Cursor = Annotated[str | None, text_argument("The `cursor` of the edge to continue after.", max_length=200)]


def page_request(settings: Settings, first: int | None, after: str | None) -> PageRequest:
    return PageRequest.of(first, after, default=settings.page_size_default, maximum=settings.page_size_max)


def connection(
    page: Page[Any], to_node: Callable[[Any], NodeT], connection_type: type[relay.Connection[NodeT]]
) -> relay.Connection[NodeT]:
    edges = [relay.Edge(node=to_node(item), cursor=cursor) for cursor, item in page.items]
    return connection_type(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
