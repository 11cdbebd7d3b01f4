from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.access.policy import staff_subject
from branchdesk.graphql import permissions as p
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.rbac.types import (
    AccessMatrix,
    BaselineRole,
    BranchDrift,
    EffectivePermission,
    PermissionHolder,
    PolicyChangeEntry,
    PolicyChangeOrder,
    PolicyOverrideInfo,
    SodConflict,
    ToxicPairInfo,
)
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.graphql.tenants.types import Branch
from branchdesk.graphql.vocabulary import DataScopeEnum, PermissionInfo, RoleInfo
from branchdesk.rbac import views


def _effective(info: Info, staff_id: uuid.UUID, held: dict[str, list[str]]) -> list[EffectivePermission]:
    """``held`` as the view returned it (authorised); each data-scoped one with the scope it reaches."""
    scopes = info.context.principal().branch_policy.data_scopes_of(staff_subject(staff_id))
    return [
        EffectivePermission(
            permission=PermissionInfo.of(name),
            via=via,
            data_scope=DataScopeEnum(scopes[name]) if name in scopes else None,
        )
        for name, via in held.items()
    ]


@strawberry.type
class Queries:
    @p.field("branch:read", "Your own permissions in the active branch, and the roles they come through.")
    async def my_permissions(self, info: Info) -> list[EffectivePermission] | None:
        principal = info.context.principal()
        held = await info.context.call(views.effective_permissions_of, principal.staff_id)
        return _effective(info, principal.staff_id, held) if principal.staff_id else []

    @p.field("policy:audit", "The access matrix of the active branch: roles × permissions, baseline departures marked.")
    async def access_matrix(self, info: Info) -> AccessMatrix | None:
        return await AccessMatrix.read(info)

    @p.field("policy:audit", "A member's effective permissions in the active branch and, for each, why.")
    async def effective_permissions(self, info: Info, staff_id: strawberry.ID) -> list[EffectivePermission] | None:
        member = staff_uuid(staff_id)
        return _effective(info, member, await info.context.call(views.effective_permissions_of, member))

    @p.field(
        "policy:audit",
        "Who in the active branch can do a permission now, or could on a past date (`at`), reconstructed from history.",
    )
    async def who_can(
        self,
        info: Info,
        permission: Annotated[str, text_argument("`resource:action`, e.g. `cash:approve`.", max_length=80)],
        at: datetime | None = None,
    ) -> list[PermissionHolder] | None:
        holders = await info.context.call(views.who_can, permission, at)
        return [PermissionHolder(staff_id=h.staff_id, via=h.via) for h in holders]

    @p.field(
        "policy:audit",
        "Changes to the active branch's policy and role assignments, oldest first unless `orderBy` says "
        "otherwise. Not counted (no `totalCount`): a history only grows, and counting it reads all of it.",
    )
    async def policy_changes(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        order_by: PolicyChangeOrder | None = None,
    ) -> relay.Connection[PolicyChangeEntry] | None:
        ctx = info.context
        order = order_by or PolicyChangeOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(views.list_changes, request)
        return connection(page, PolicyChangeEntry.from_model, relay.Connection[PolicyChangeEntry])

    @p.field("policy:audit", "Members of the active branch who hold both permissions of a separation-of-duties pair.")
    async def separation_of_duties_conflicts(self, info: Info) -> list[SodConflict] | None:
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
    async def baseline(self, info: Info) -> list[BaselineRole] | None:
        baseline = await info.context.call(views.baseline)
        return [
            BaselineRole(role=RoleInfo(name=role), permissions=[PermissionInfo.of(n) for n in sorted(perms)])
            for role, perms in sorted(baseline.items())
        ]

    @p.field("baseline:read", "Every branch's departures from the baseline (head office).")
    async def policy_drift(self, info: Info) -> list[BranchDrift] | None:
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
