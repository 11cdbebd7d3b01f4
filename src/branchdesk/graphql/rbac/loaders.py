"""Batched reads of the policy domain."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.loaders import loader
from branchdesk.graphql.rbac.types import PolicyChangeEntry
from branchdesk.rbac import views

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("policy_change")
async def policy_changes(ctx: Context, ids: list[uuid.UUID]) -> list[PolicyChangeEntry | None]:
    found = {c.id: c for c in await ctx.call(views.changes_by_id, ids)}
    return [PolicyChangeEntry.from_model(found[i]) if i in found else None for i in ids]
