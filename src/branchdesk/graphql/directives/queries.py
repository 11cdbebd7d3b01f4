from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.directives import service as directives
from branchdesk.directives.permissions import DIRECTIVE_MONITOR, DIRECTIVE_READ
from branchdesk.graphql import permissions as p
from branchdesk.graphql.directives.types import Directive, DirectiveAttestation, DirectiveConnection, DirectiveOrder
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.platform.errors import NotFound, invalid


def directive_uuid(value: strawberry.ID, field: str = "id") -> uuid.UUID:
    return node_uuid(value, "Directive", NotFound("Directive", "总行通知", field=field))


@strawberry.type
class Queries:
    @p.field(
        DIRECTIVE_READ,
        "Head-office directives: in a branch, those reaching it (with the caller's own attestation; `toAttest` "
        "keeps those the caller must still attest); in head office, every one. Newest first unless `orderBy` "
        "says otherwise; superseded versions only with `includeSuperseded`.",
    )
    async def directives(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        order_by: DirectiveOrder | None = None,
        to_attest: Annotated[bool, strawberry.argument(description="Only those the caller must still attest.")] = False,
        include_superseded: Annotated[
            bool, strawberry.argument(description="Also the versions a correction replaced.")
        ] = False,
    ) -> DirectiveConnection | None:
        ctx = info.context
        order = order_by or DirectiveOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        current = not include_superseded
        page = await ctx.call(directives.list_directives, request, current, to_attest)
        return connection(
            page,
            Directive.of,
            DirectiveConnection,
            total=lambda: ctx.call(directives.count_directives, current, to_attest),
        )

    @p.field(
        DIRECTIVE_READ, "One directive (any version) reaching the active branch, or any in head office; null otherwise."
    )
    async def directive(self, info: Info, id: strawberry.ID) -> Directive | None:
        try:
            directive_id = directive_uuid(id)
        except NotFound:
            return None
        found: Directive | None = await info.context.loaders.directive.load(directive_id)
        return found

    @p.field(
        DIRECTIVE_MONITOR,
        "Head office: a directive's attestation rate per branch and required role, and who is missing (read "
        "across branches, audited).",
    )
    async def directive_attestation(
        self,
        info: Info,
        id: strawberry.ID,
        branch_code: Annotated[str | None, text_argument("Only this branch's missing members.", max_length=16)] = None,
        missing_first: Annotated[
            int, strawberry.argument(description="At most this many missing members (1 to 1,000).")
        ] = 200,
    ) -> DirectiveAttestation | None:
        ctx = info.context
        if not 1 <= missing_first <= 1000:
            raise invalid("missingFirst", "Ask for 1 to 1,000.", "取值须为 1 至 1000。")
        directive_id = directive_uuid(id)
        async with ctx.runtime.db.platform_session() as platform:
            found = await ctx.call(
                lambda session, by: directives.attestation(
                    session, by, platform, directive_id, branch_code=branch_code, missing_limit=missing_first
                )
            )
        return DirectiveAttestation.of(found)
