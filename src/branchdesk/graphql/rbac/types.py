"""GraphQL types of access control: what compliance officers and branch heads look at."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from branchdesk.access.registry import PERMISSIONS
from branchdesk.graphql.labels import localized, permission_label
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.tenants.types import Branch, StaffMember
from branchdesk.graphql.vocabulary import RoleInfo
from branchdesk.rbac.models import PolicyChange


@strawberry.type(description="A permission: `resource:action`.")
class PermissionInfo:
    name: str
    scope: str = strawberry.field(description="head_office: only counts in the head office; branch: anywhere.")

    @strawberry.field(description="Label in the caller's language.")
    def label(self, info: Info) -> str:
        return permission_label(self.name, info.context.locale)

    @classmethod
    def of(cls, name: str) -> PermissionInfo:
        declared = PERMISSIONS.get(name)
        return cls(name=name, scope=declared.scope.value if declared else "branch")


@strawberry.enum(description="Where a cell of the access matrix comes from.")
class PolicySource(Enum):
    BASELINE = "baseline"
    GRANT = "grant"
    REVOKE = "revoke"


@strawberry.type(description="Whether a role holds a permission in the branch.")
class AccessMatrixCell:
    role: str
    permission: str
    granted: bool
    source: PolicySource

    @strawberry.field(description="True where the branch departs from the head-office baseline.")
    def differs_from_baseline(self) -> bool:
        return self.source is not PolicySource.BASELINE


@strawberry.type(description="Roles × permissions of the active branch.")
class AccessMatrix:
    roles: list[RoleInfo]
    permissions: list[PermissionInfo]
    cells: list[AccessMatrixCell]


async def _staff(info: Info, staff_id: uuid.UUID | None) -> StaffMember | None:
    return await info.context.loaders.member.load(staff_id) if staff_id else None


@strawberry.type(description="A permission someone holds, and the roles it comes through.")
class EffectivePermission:
    permission: PermissionInfo
    via: list[str] = strawberry.field(description="Roles (or `direct`) that grant it.")


@strawberry.type(description="A member who holds a permission, and through which roles.")
class PermissionHolder:
    staff_id: strawberry.Private[uuid.UUID]
    via: list[str]

    @strawberry.field
    async def staff(self, info: Info) -> StaffMember | None:
        return await _staff(info, self.staff_id)


@strawberry.type(name="PolicyChange", description="One change to the branch's policy or role assignments.")
class PolicyChangeEntry(LoadedNode):
    node_loader = "policy_change"
    id: relay.NodeID[str]
    changed_at: datetime
    actor: str = strawberry.field(description="Who made the change.")
    kind: str = strawberry.field(description="`permission` (a role's permission) or `roles` (a member's roles).")
    role: str | None
    permission: str | None
    before: JSON
    after: JSON
    reason: str | None
    staff_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The member whose roles changed.")
    async def staff(self, info: Info) -> StaffMember | None:
        return await _staff(info, self.staff_id)

    @classmethod
    def from_model(cls, change: PolicyChange) -> PolicyChangeEntry:
        return cls(
            id=str(change.id),
            changed_at=change.changed_at,
            actor=change.actor_label,
            kind=change.kind,
            role=change.role,
            permission=change.permission,
            before=cast(JSON, change.before),
            after=cast(JSON, change.after),
            reason=change.reason,
            staff_id=change.staff_id,
        )


@strawberry.type(description="A separation-of-duties rule: nobody should hold both permissions.")
class ToxicPairInfo:
    name: str
    first: str
    second: str
    en: strawberry.Private[str]
    zh: strawberry.Private[str]

    @strawberry.field
    def description(self, info: Info) -> str:
        return localized(self.en, self.zh, info.context.locale)


@strawberry.type(description="A member who holds both permissions of a toxic pair.")
class SodConflict:
    staff_id: strawberry.Private[uuid.UUID]
    rule: ToxicPairInfo
    first_via: list[str]
    second_via: list[str]

    @strawberry.field
    async def staff(self, info: Info) -> StaffMember | None:
        return await _staff(info, self.staff_id)


@strawberry.type(description="A branch's departure from the baseline.")
class PolicyOverrideInfo:
    role: str
    permission: str
    granted: bool


@strawberry.type(description="How far a branch's policy has drifted from the head-office baseline.")
class BranchDrift:
    branch: Branch
    overrides: list[PolicyOverrideInfo]

    @strawberry.field
    def drift(self) -> int:
        return len(self.overrides)


@strawberry.type(description="A role's permissions in the head-office baseline.")
class BaselineRole:
    role: RoleInfo
    permissions: list[PermissionInfo]
