from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import UserError, run_mutation
from branchdesk.graphql.rbac.ids import staff_uuid
from branchdesk.graphql.rbac.types import PermissionInfo
from branchdesk.graphql.tenants.types import StaffMember
from branchdesk.rbac import service
from branchdesk.tenants import repository as tenants


@strawberry.input
class RolePermissionInput:
    role: str
    permission: str = strawberry.field(description="`resource:action`, e.g. `client.pii:read`.")
    reason: str | None = strawberry.field(default=None, description="Why; kept in the policy history.")


@strawberry.input
class BaselineChangeInput:
    role: str
    permission: str
    granted: bool


@strawberry.type
class RolePermissionsPayload:
    role: str | None = None
    permissions: list[PermissionInfo] | None = strawberry.field(default=None, description="The role's permissions now.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RoleAssignmentInput:
    staff_id: strawberry.ID
    role: str
    reason: str | None = None


@strawberry.type
class RoleAssignmentPayload:
    staff: StaffMember | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _role_payload(role: str, permissions: set[str] | None, errors: list[UserError]) -> RolePermissionsPayload:
    if permissions is None:
        return RolePermissionsPayload(errors=errors)
    return RolePermissionsPayload(role=role, permissions=[PermissionInfo.of(n) for n in sorted(permissions)])


async def _set_permission(info: Info, input: RolePermissionInput, granted: bool) -> RolePermissionsPayload:
    principal = await info.context.principal()
    permissions, errors = await run_mutation(
        info, lambda s: service.set_permission(s, principal, input.role, input.permission, granted, input.reason)
    )
    return _role_payload(input.role, permissions, errors)


async def _assign(info: Info, input: RoleAssignmentInput, assigned: bool) -> RoleAssignmentPayload:
    principal = await info.context.principal()

    async def change(session):  # noqa: ANN001, ANN202
        staff_id = staff_uuid(input.staff_id)
        membership = await service.assign_role(session, principal, staff_id, input.role, assigned, input.reason)
        staff = await tenants.staff_by_id(session, staff_id)
        return StaffMember.from_model(staff, list(membership.roles))

    staff, errors = await run_mutation(info, change)
    return RoleAssignmentPayload(staff=staff, errors=errors)


@strawberry.type
class RbacMutations:
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
        principal = await info.context.principal()
        permissions, errors = await run_mutation(
            info, lambda s: service.change_baseline(s, principal, input.role, input.permission, input.granted)
        )
        return _role_payload(input.role, permissions, errors)
