"""Batched reads of the CRM, one service call per batch; each returns only clients in the caller's scope."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.crm import service as crm
from branchdesk.graphql.crm.types import Client, ClientAssignmentEntry
from branchdesk.graphql.loaders import loader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("client")
async def clients(ctx: Context, ids: list[uuid.UUID]) -> list[Client | None]:
    found = {c.id: c for c in await ctx.call(crm.clients_by_id, ids)}
    return [Client.of(found[i]) if i in found else None for i in ids]


@loader("client_personal_data")
async def personal_data(ctx: Context, ids: list[uuid.UUID]) -> list[crm.PersonalData | None]:
    found = await ctx.call(crm.personal_data_of, ids)
    return [found.get(i) for i in ids]


@loader("client_assignments")
async def assignments(ctx: Context, ids: list[uuid.UUID]) -> list[list[ClientAssignmentEntry]]:
    found = await ctx.call(crm.assignment_history, ids)
    return [
        [
            ClientAssignmentEntry(
                assigned_at=e.assigned_at,
                reason=e.reason,
                acted_by=e.actor_label,
                from_owner_id=e.from_owner_id,
                to_owner_id=e.to_owner_id,
            )
            for e in found.get(i, [])
        ]
        for i in ids
    ]
