"""Batched reads of service accounts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.loaders import loader
from branchdesk.graphql.service_accounts.types import ServiceAccount
from branchdesk.service_accounts import service as accounts

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("service_account")
async def service_accounts(ctx: Context, ids: list[uuid.UUID]) -> list[ServiceAccount | None]:
    found = {a.id: a for a in await ctx.call(accounts.accounts_by_id, ids)}
    return [ServiceAccount.from_model(found[i]) if i in found else None for i in ids]
