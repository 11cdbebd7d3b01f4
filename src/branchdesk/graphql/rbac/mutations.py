from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.access.registry import DataScope
from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.rbac.types import AccessMatrix
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.graphql.vocabulary import DataScopeEnum, PermissionInfo, RoleInfo
from branchdesk.rbac import service


@strawberry.input
class RolePermissionInput:
    role: str = text(max_length=50)
    permission: str = text("`resource:action`, e.g. `client.pii:read`.", max_length=80)
    reason: str | None = text("Why; kept in the policy history.", max_length=500, default=None)
    data_scope: DataScopeEnum | None = strawberry.field(
        default=None,
        description="For a data-scoped permission (e.g. `client:read`), how far the grant reaches; granting "
        "again with another scope changes it. Default: the scope the role holds it with, else the baseline's, "
        "else OWN. Ignored when revoking.",
    )


@strawberry.input
class BaselineChangeInput:
    role: str = text(max_length=50)
    permission: str = text(max_length=80)
    granted: bool = strawberry.field(description="True: every branch's role gets the permission; false: it loses it.")


def _role_info(root: RolePermissionsPayload) -> RoleInfo | None:
    return RoleInfo(name=root.role) if root.role is not None else None


async def _matrix_now(root: RolePermissionsPayload, info: Info) -> AccessMatrix | None:
    return await AccessMatrix.read(info) if root.role is not None else None


@payload
class RolePermissionsPayload:
    role: str | None = strawberry.field(
        default=None,
        description="The role changed; null when refused.",
        deprecation_reason="A plain string: use `roleInfo` (name and label).",
    )
    permissions: list[PermissionInfo] | None = strawberry.field(default=None, description="The role's permissions now.")
    role_info: RoleInfo | None = strawberry.field(
        resolver=_role_info, description="The role changed, with its label; null when refused."
    )
    access_matrix: AccessMatrix | None = strawberry.field(
        resolver=_matrix_now,
        description="The active branch's access matrix after the change (same `id` as the `accessMatrix` query's), "
        "read only when asked for. Requires permission `policy:audit`.",
    )


@strawberry.input
class RoleAssignmentInput:
    staff_id: strawberry.ID
    role: str = text(max_length=50)
    reason: str | None = text("Why; kept in the policy history.", max_length=500, default=None)


async def _member_now(root: RoleAssignmentPayload, info: Info) -> StaffMember | None:
    """Read after the change (outside the mutation's own service call), with the roles it left."""
    return await member_or_none(info, root.staff_id)


@payload
class RoleAssignmentPayload:
    staff: StaffMember | None = strawberry.field(resolver=_member_now)
    staff_id: strawberry.Private[uuid.UUID | None] = None


def _role_fields(role: str, permissions: set[str]) -> dict[str, object]:
    return {"role": role, "permissions": [PermissionInfo.of(n) for n in sorted(permissions)]}


async def _set_permission(info: Info, input: RolePermissionInput, granted: bool) -> RolePermissionsPayload:
    async def change(session: AsyncSession, by: Principal) -> dict[str, object]:
        scope = DataScope(input.data_scope.value) if granted and input.data_scope else None
        permissions = await service.set_permission(
            session, by, input.role, input.permission, granted, input.reason, scope
        )
        return _role_fields(input.role, permissions)

    return await mutate(info, RolePermissionsPayload, change)


async def _assign(info: Info, input: RoleAssignmentInput, assigned: bool) -> RoleAssignmentPayload:
    async def change(session: AsyncSession, by: Principal) -> dict[str, object]:
        staff_id = staff_uuid(input.staff_id)
        await service.assign_role(session, by, staff_id, input.role, assigned, input.reason)
        return {"staff_id": staff_id}

    return await mutate(info, RoleAssignmentPayload, change)


@strawberry.type
class Mutations:
    @p.mutation("policy:manage", "Grant a permission to a role in the active branch (recorded and audited).")
    async def grant_role_permission(self, info: Info, input: RolePermissionInput) -> RolePermissionsPayload:
        return await _set_permission(info, input, True)

    @p.mutation("policy:manage", "Revoke a permission from a role in the active branch (recorded and audited).")
    async def revoke_role_permission(self, info: Info, input: RolePermissionInput) -> RolePermissionsPayload:
        return await _set_permission(info, input, False)

    @p.mutation("policy:manage", "Give a member of the active branch a role.")
    async def assign_role(self, info: Info, input: RoleAssignmentInput) -> RoleAssignmentPayload:
        return await _assign(info, input, True)

    @p.mutation("policy:manage", "Take a role away from a member of the active branch.")
    async def unassign_role(self, info: Info, input: RoleAssignmentInput) -> RoleAssignmentPayload:
        return await _assign(info, input, False)

    @p.mutation("baseline:manage", "Change the head-office baseline of a role, for every branch.")
    async def change_baseline(self, info: Info, input: BaselineChangeInput) -> RolePermissionsPayload:
        async def change(session: AsyncSession, by: Principal) -> dict[str, object]:
            permissions = await service.change_baseline(session, by, input.role, input.permission, input.granted)
            return _role_fields(input.role, permissions)

        return await mutate(info, RolePermissionsPayload, change)
