from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.graphql.service_accounts.types import ServiceAccount, ServiceAccountConnection, ServiceAccountOrder
from branchdesk.service_accounts import service as accounts
from branchdesk.service_accounts.service import MANAGE


@strawberry.type
class Queries:
    @p.field(
        MANAGE,
        "The active branch's service accounts, ordered by client id unless `orderBy` says otherwise. "
        "Secrets are never shown.",
    )
    async def service_accounts(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        order_by: ServiceAccountOrder | None = None,
    ) -> ServiceAccountConnection | None:
        ctx = info.context
        order = order_by or ServiceAccountOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(accounts.list_accounts, request)
        return connection(
            page, ServiceAccount.from_model, ServiceAccountConnection, total=lambda: ctx.call(accounts.count_accounts)
        )
