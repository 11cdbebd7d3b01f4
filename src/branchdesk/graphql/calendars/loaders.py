"""Batched reads of branch closures."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.calendars import service as calendars
from branchdesk.graphql.calendars.types import BranchClosure
from branchdesk.graphql.loaders import loader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("branch_closure")
async def branch_closures(ctx: Context, ids: list[uuid.UUID]) -> list[BranchClosure | None]:
    found = {c.id: c for c in await ctx.call(calendars.closures_by_id, ids)}
    return [BranchClosure.from_model(found[i]) if i in found else None for i in ids]
