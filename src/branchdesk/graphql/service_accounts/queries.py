from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.relay import Cursor, connection, page_request
from branchdesk.graphql.service_accounts.types import ServiceAccount
from branchdesk.service_accounts import service as accounts
from branchdesk.service_accounts.service import MANAGE


@strawberry.type
class Queries:
    @p.field(MANAGE, "The active branch's service accounts, ordered by client id. Secrets are never shown.")
    async def service_accounts(
        self, info: Info, first: int | None = None, after: Cursor = None
    ) -> relay.Connection[ServiceAccount] | None:
        ctx = info.context
        page = await ctx.call(accounts.list_accounts, page_request(ctx.settings, first, after))
        return connection(page, ServiceAccount.from_model, relay.Connection[ServiceAccount])
