from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.rbac.types import (
    AccessMatrix,
    AccessMatrixCell,
    BaselineRole,
    BranchDrift,
    EffectivePermission,
    PermissionHolder,
    PermissionInfo,
    PolicyChangeEntry,
    PolicyOverrideInfo,
    PolicySource,
    SodConflict,
    ToxicPairInfo,
)
from branchdesk.graphql.relay import Cursor, connection, page_request
from branchdesk.graphql.tenants.types import Branch
from branchdesk.graphql.vocabulary import RoleInfo
from branchdesk.rbac import views


def _effective(held: dict[str, list[str]]) -> list[EffectivePermission]:
    return [EffectivePermission(permission=PermissionInfo.of(name), via=via) for name, via in held.items()]


@strawberry.type
class Queries:
    @p.field("branch:read", "Your own permissions in the active branch, and the roles they come through.")
    async def my_permissions(self, info: Info) -> list[EffectivePermission]:
        principal = info.context.principal()
        return _effective(await info.context.call(views.effective_permissions_of, principal.staff_id))

    @p.field("policy:audit", "The access matrix of the active branch: roles × permissions, baseline departures marked.")
    async def access_matrix(self, info: Info) -> AccessMatrix:
        cells = await info.context.call(views.access_matrix)
        roles = sorted({c.role for c in cells})
        return AccessMatrix(
            roles=[RoleInfo(name=r) for r in roles],
            permissions=[PermissionInfo.of(n) for n in dict.fromkeys(c.permission for c in cells)],
            cells=[
                AccessMatrixCell(role=c.role, permission=c.permission, granted=c.granted, source=PolicySource(c.source))
                for c in cells
            ],
        )

    @p.field("policy:audit", "A member's effective permissions in the active branch and, for each, why.")
    async def effective_permissions(self, info: Info, staff_id: strawberry.ID) -> list[EffectivePermission]:
        return _effective(await info.context.call(views.effective_permissions_of, staff_uuid(staff_id)))

    @p.field(
        "policy:audit",
        "Who in the active branch can do a permission now, or could on a past date (`at`), reconstructed from history.",
    )
    async def who_can(
        self,
        info: Info,
        permission: Annotated[str, text_argument("`resource:action`, e.g. `cash:approve`.", max_length=80)],
        at: datetime | None = None,
    ) -> list[PermissionHolder]:
        holders = await info.context.call(views.who_can, permission, at)
        return [PermissionHolder(staff_id=h.staff_id, via=h.via) for h in holders]

    @p.field("policy:audit", "Changes to the active branch's policy and role assignments, oldest first.")
    async def policy_changes(
        self, info: Info, first: int | None = None, after: Cursor = None
    ) -> relay.Connection[PolicyChangeEntry]:
        ctx = info.context
        page = await ctx.call(views.list_changes, page_request(ctx.settings, first, after))
        return connection(page, PolicyChangeEntry.from_model, relay.Connection[PolicyChangeEntry])

    @p.field("policy:audit", "Members of the active branch who hold both permissions of a separation-of-duties pair.")
    async def separation_of_duties_conflicts(self, info: Info) -> list[SodConflict]:
        conflicts = await info.context.call(views.sod_conflicts)
        pairs = await info.context.call(views.toxic_pairs)
        return [
            SodConflict(
                staff_id=c.staff_id,
                rule=ToxicPairInfo(
                    name=c.pair,
                    first=pairs[c.pair].first,
                    second=pairs[c.pair].second,
                    en=pairs[c.pair].en,
                    zh=pairs[c.pair].zh,
                ),
                first_via=c.first_via,
                second_via=c.second_via,
            )
            for c in conflicts
        ]

    @p.field("baseline:read", "The head-office baseline: each role's permissions in every branch.")
    async def baseline(self, info: Info) -> list[BaselineRole]:
        baseline = await info.context.call(views.baseline)
        return [
            BaselineRole(role=RoleInfo(name=role), permissions=[PermissionInfo.of(n) for n in sorted(perms)])
            for role, perms in sorted(baseline.items())
        ]

    @p.field("baseline:read", "Every branch's departures from the baseline (head office).")
    async def policy_drift(self, info: Info) -> list[BranchDrift]:
        async with info.context.runtime.db.platform_session() as platform:
            rows = await info.context.call(views.drift, platform)
        return [
            BranchDrift(
                branch=Branch.from_model(branch),
                overrides=[
                    PolicyOverrideInfo(role=o.role, permission=o.permission, granted=o.granted) for o in overrides
                ],
            )
            for branch, overrides in rows
        ]
