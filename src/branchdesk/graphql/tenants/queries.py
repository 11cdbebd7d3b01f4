from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info
from strawberry.utils.await_maybe import await_maybe

from branchdesk.access.principal import StaffCard
from branchdesk.graphql import permissions as p
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request, selects
from branchdesk.graphql.tenants.types import (
    Branch,
    BranchConnection,
    BranchOrder,
    BranchStatus,
    Me,
    StaffMember,
    StaffMemberConnection,
    StaffOrder,
)
from branchdesk.platform.errors import PAGE_SIZE, DomainError
from branchdesk.tenants import service

T = TypeVar("T")


@strawberry.type
class Queries:
    @p.field(p.SIGNED_IN, "The signed-in staff member and the branches they can act in (use a code as X-Branch).")
    async def me(self, info: Info) -> Me | None:
        ctx = info.context
        staff_id = ctx.staff_id
        overview = once(lambda: _overview(ctx, staff_id))
        card = ctx.entered_card()
        if card is None:  # no branch entered: who you are comes from the one cross-branch read
            found = await overview()
            card = StaffCard(found.employee_number, found.display_name)
        return Me(
            id=strawberry.ID(str(staff_id)),
            employee_number=card.employee_number,
            display_name=card.display_name,
            overview=overview,
            branch_code=ctx.branch_code,
        )

    @p.field("branch:list", "All branches (head office), ordered by code unless `orderBy` says otherwise.")
    async def branches(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        status: BranchStatus | None = None,
        last: Last = None,
        before: Before = None,
        order_by: BranchOrder | None = None,
    ) -> BranchConnection | None:
        ctx = info.context
        order = order_by or BranchOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(service.list_branches, request, status)
        return connection(
            page, Branch.from_model, BranchConnection, total=lambda: ctx.call(service.count_branches, status)
        )

    @p.field("branch:read", "One branch by its code: any branch from head office, otherwise only the active one.")
    async def branch(self, info: Info, code: Annotated[str, text_argument(max_length=16)]) -> Branch | None:
        found = await info.context.call(service.branch_named, code)
        return Branch.from_model(found) if found else None

    @p.field(
        "staff:read", "Staff members of the active branch, ordered by employee number unless `orderBy` says otherwise."
    )
    async def staff(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        search: Annotated[
            str | None,
            text_argument(
                "Only members whose employee number starts with this or whose name contains it (either case).",
                max_length=100,
            ),
        ] = None,
        order_by: StaffOrder | None = None,
    ) -> StaffMemberConnection | None:
        ctx = info.context
        order = order_by or StaffOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        window = selects(info, "edges", "node", "membership")  # memberships' kind, start and end
        page = await ctx.call(partial(service.list_members, window=window), request, search)
        return connection(
            page, StaffMember.of, StaffMemberConnection, total=lambda: ctx.call(service.count_members, search)
        )

    @p.field("branch:read", "Fetch any object by its global id; objects of other branches are not found.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await resolve_nodes(info, [id]))[0]

    @p.field(
        "branch:read",
        "Fetch objects by their global ids, in the order given; those of other branches are not found (null). "
        "Objects of one type are read together.",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None] | None:
        limit = info.context.settings.page_size_max
        if len(ids) > limit:
            raise DomainError(PAGE_SIZE, field="ids", limit=limit)
        return await resolve_nodes(info, ids)


async def _overview(ctx: Any, staff_id: uuid.UUID) -> service.Overview:
    """Across branches (platform scope), one statement; Unauthenticated for a disabled staff member."""
    async with ctx.runtime.db.platform_session() as session:
        return await service.staff_overview(session, staff_id)


def once(load: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    """``load()`` run at most once, however many resolvers await it (concurrently or not)."""
    started: asyncio.Future[T] | None = None

    async def shared() -> T:
        nonlocal started
        if started is None:
            started = asyncio.ensure_future(load())
        return await asyncio.shield(started)

    return shared


async def resolve_nodes(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    """Objects by global id, in order, each type read in one batch. An id of no type of ours (`Node`
    itself included), or no id at all (not base64, no type name, not UTF-8), is not found: the arguments
    are plain IDs, not GlobalID, so that a malformed one is null here rather than a coercion error."""
    positions: dict[type[relay.Node], list[tuple[int, str]]] = {}
    for position, global_id in enumerate(ids):
        try:
            gid = relay.GlobalID.from_id(global_id)
            node_type = gid.resolve_type(info)
        except (ValueError, KeyError, TypeError):
            continue
        if issubclass(node_type, LoadedNode):
            positions.setdefault(node_type, []).append((position, gid.node_id))
    found: list[relay.Node | None] = [None] * len(ids)
    for node_type, wanted in positions.items():
        at = [position for position, _ in wanted]
        nodes = await await_maybe(
            node_type.resolve_nodes(info=info, node_ids=[node_id for _, node_id in wanted], required=False)
        )
        for position, node in zip(at, nodes, strict=True):
            found[position] = node
    return found
