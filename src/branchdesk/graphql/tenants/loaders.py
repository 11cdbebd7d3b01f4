"""Batched reads of the tenants domain, one service call per batch."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.graphql.loaders import loader
from branchdesk.graphql.tenants.types import Branch, BranchMembership, StaffMember
from branchdesk.platform import audit
from branchdesk.tenants import service

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("branch")
async def branches(ctx: Context, ids: list[uuid.UUID]) -> list[Branch | None]:
    found = {b.id: b for b in await ctx.call(service.visible_branches, ids)}
    return [Branch.from_model(found[i]) if i in found else None for i in ids]


@loader("member")
async def members(ctx: Context, ids: list[uuid.UUID]) -> list[StaffMember | None]:
    found = {member.id: member for member in await ctx.call(service.members_by_id, ids)}
    return [StaffMember.of(found[i]) if i in found else None for i in ids]


@loader("membership")
async def memberships(ctx: Context, staff_ids: list[uuid.UUID]) -> list[BranchMembership | None]:
    """Memberships of the active branch, by member (``BranchMembership.resolve_nodes`` keeps only those)."""
    branch_id = ctx.principal().branch_id
    found = {member.id: member for member in await ctx.call(service.members_by_id, staff_ids)}
    return [BranchMembership.of(branch_id, StaffMember.of(found[i])) if i in found else None for i in staff_ids]


@loader("personal_data")
async def personal_data(ctx: Context, ids: list[uuid.UUID]) -> list[service.PersonalData | None]:
    found = await ctx.call(service.personal_data_of, ids)
    return [found.get(i) for i in ids]


@loader("unmasked_read")
async def unmasked_reads(ctx: Context, keys: list[tuple[str, str]]) -> list[bool]:
    """Keys are (resource, id); each batch of unmasked reads becomes one audit record per resource."""
    by_resource: dict[str, list[str]] = {}
    for resource, object_id in keys:
        by_resource.setdefault(resource, []).append(object_id)

    async def record(session: AsyncSession, by: Principal) -> None:
        for resource, object_ids in by_resource.items():
            await audit.record(
                session,
                by.branch_id,
                by.author,
                f"{resource}.pii_unmasked",
                resource,
                None,
                {"ids": sorted(object_ids)},
            )

    await ctx.call(record)
    return [True] * len(keys)
