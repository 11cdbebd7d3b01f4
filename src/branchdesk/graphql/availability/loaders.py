"""Batched reads of absences, one service call per batch."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.availability import service as availability
from branchdesk.graphql.availability.types import StaffAbsenceNode
from branchdesk.graphql.loaders import loader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("staff_absence")
async def absences(ctx: Context, ids: list[uuid.UUID]) -> list[StaffAbsenceNode | None]:
    found = {a.id: a for a in await ctx.call(availability.absences_by_id, ids)}
    return [StaffAbsenceNode.of(found[i]) if i in found else None for i in ids]
