"""GraphQL types of access control: what compliance officers and branch heads look at."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from branchdesk.graphql.labels import localized
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import OrderDirection
from branchdesk.graphql.service_accounts.types import ServiceAccount
from branchdesk.graphql.tenants.types import Branch, StaffMember, member_or_none
from branchdesk.graphql.vocabulary import DataScopeEnum, PermissionInfo, RoleInfo, roles_of
from branchdesk.rbac import views
from branchdesk.rbac.models import PolicyChange


@strawberry.enum(description="Where a cell of the access matrix comes from.")
class PolicySource(Enum):
    BASELINE = strawberry.enum_value("baseline", description="As in the head-office baseline.")
    GRANT = strawberry.enum_value("grant", description="Granted by the branch beyond the baseline.")
    REVOKE = strawberry.enum_value("revoke", description="Taken away by the branch from the baseline.")


@strawberry.type(description="Whether a role holds a permission in the branch.")
class AccessMatrixCell:
    role: str = strawberry.field(description="The role's name.")
    permission: str = strawberry.field(description="The permission, `resource:action`.")
    granted: bool = strawberry.field(description="Whether the role holds the permission in the branch.")
    source: PolicySource = strawberry.field(
        description="Whether it comes from the baseline or from the branch's own grant or revocation."
    )
    data_scope: DataScopeEnum | None = strawberry.field(
        default=None, description="How far the grant reaches, for a granted data-scoped permission; else null."
    )

    @strawberry.field(description="True where the branch departs from the head-office baseline.")
    def differs_from_baseline(self) -> bool:
        return self.source is not PolicySource.BASELINE

    @strawberry.field(description="The role, with its label.")
    def role_info(self) -> RoleInfo:
        return RoleInfo(name=self.role)

    @strawberry.field(description="The permission, typed and labelled.")
    def permission_info(self) -> PermissionInfo:
        return PermissionInfo.of(self.permission)


@strawberry.type(description="Roles × permissions of the active branch.")
class AccessMatrix:
    id: strawberry.ID = strawberry.field(
        description="The branch's matrix, one id per branch: a client cache updates it from a mutation's payload."
    )
    roles: list[RoleInfo] = strawberry.field(
        description="The matrix's rows: every role with a permission in the branch."
    )
    permissions: list[PermissionInfo] = strawberry.field(description="The matrix's columns.")
    cells: list[AccessMatrixCell] = strawberry.field(description="One cell per role and permission.")

    @classmethod
    async def read(cls, info: Info) -> AccessMatrix:
        """The active branch's matrix as it stands in the request's transaction."""
        cells = await info.context.call(views.access_matrix)
        roles = sorted({c.role for c in cells})
        return cls(
            id=strawberry.ID(relay.to_base64("AccessMatrix", info.context.principal().branch_id)),
            roles=[RoleInfo(name=r) for r in roles],
            permissions=[PermissionInfo.of(n) for n in dict.fromkeys(c.permission for c in cells)],
            cells=[
                AccessMatrixCell(
                    role=c.role,
                    permission=c.permission,
                    granted=c.granted,
                    source=PolicySource(c.source),
                    data_scope=DataScopeEnum(c.data_scope) if c.data_scope else None,
                )
                for c in cells
            ],
        )


def _role_names_deprecated(typed: str) -> str:
    return f"Role names as plain strings: use `{typed}` (name and label)."


@strawberry.type(description="A permission someone holds, and the roles it comes through.")
class EffectivePermission:
    permission: PermissionInfo = strawberry.field(description="The permission held.")
    via: list[str] = strawberry.field(
        description="Roles (or `direct`) that grant it.", deprecation_reason=_role_names_deprecated("viaRoles")
    )

    data_scope: DataScopeEnum | None = strawberry.field(
        default=None, description="How far it reaches, for a data-scoped permission (the widest of its grants)."
    )

    @strawberry.field(description="The roles that grant it, with their labels.")
    def via_roles(self) -> list[RoleInfo]:
        return roles_of(self.via)


@strawberry.type(description="A member who holds a permission, and through which roles.")
class PermissionHolder:
    staff_id: strawberry.Private[uuid.UUID]
    via: list[str] = strawberry.field(
        description="Roles (or `direct`) through which the member holds the permission.",
        deprecation_reason=_role_names_deprecated("viaRoles"),
    )

    @strawberry.field(description="The roles through which the member holds the permission, with their labels.")
    def via_roles(self) -> list[RoleInfo]:
        return roles_of(self.via)

    @strawberry.field(description="The member; null once they have left the branch.")
    async def staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.staff_id)


@strawberry.enum(description="What a policy change changed.")
class PolicyChangeKind(Enum):
    PERMISSION = strawberry.enum_value("permission", description="A role's permission in the branch · 角色权限")
    ROLES = strawberry.enum_value("roles", description="A member's roles in the branch · 人员角色")


@strawberry.type(description="Whether a role holds a permission in the branch, and where that comes from.")
class PermissionState:
    granted: bool = strawberry.field(description="Whether the role holds the permission.")
    source: PolicySource = strawberry.field(description="The baseline, or the branch's own grant or revocation.")
    data_scope: DataScopeEnum | None = strawberry.field(
        default=None, description="The grant's data scope, for a granted data-scoped permission."
    )


@strawberry.type(description="The roles a member holds in the branch.")
class RoleSet:
    roles: list[RoleInfo] = strawberry.field(description="The roles, with their labels.")


PolicyState = Annotated[
    PermissionState | RoleSet,
    strawberry.union("PolicyState", description="The state a policy change left or found: by its `category`."),
]
Actor = Annotated[
    StaffMember | ServiceAccount,
    strawberry.union("Actor", description="Who acted: a member of staff or a service account."),
]


def _state(stored: dict[str, Any]) -> PermissionState | RoleSet:
    if "roles" in stored:
        return RoleSet(roles=[RoleInfo(name=r) for r in stored["roles"]])
    scope = stored.get("scope")
    return PermissionState(
        granted=bool(stored.get("granted")),
        source=PolicySource(stored.get("source", "baseline")),
        data_scope=DataScopeEnum(scope) if scope else None,
    )


@strawberry.type(name="PolicyChange", description="One change to the branch's policy or role assignments.")
class PolicyChangeEntry(LoadedNode):
    node_loader = "policy_change"
    id: relay.NodeID[str]
    changed_at: datetime = strawberry.field(description="When the change was made.")
    actor: str = strawberry.field(description="Who made the change, for display (kept after they leave).")
    kind: str = strawberry.field(
        description="`permission` (a role's permission) or `roles` (a member's roles).",
        deprecation_reason="A plain string: use `category`, an enum.",
    )
    role: str | None = strawberry.field(
        description="The role whose permission changed, or that was assigned or taken away."
    )
    permission: str | None = strawberry.field(
        description="The permission granted or revoked (`permission` changes only)."
    )
    before: JSON = strawberry.field(
        description="The state before the change, as stored.", deprecation_reason="Untyped: use `beforeState`."
    )
    after: JSON = strawberry.field(
        description="The state after the change, as stored.", deprecation_reason="Untyped: use `afterState`."
    )
    reason: str | None = strawberry.field(description="Why, as given by whoever made the change.")
    staff_id: strawberry.Private[uuid.UUID | None]
    actor_kind: strawberry.Private[str]
    actor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The role, with its label.")
    def role_info(self) -> RoleInfo | None:
        return RoleInfo(name=self.role) if self.role else None

    @strawberry.field(description="The permission granted or revoked, typed and labelled.")
    def permission_info(self) -> PermissionInfo | None:
        return PermissionInfo.of(self.permission) if self.permission else None

    @strawberry.field(description="What changed: a role's permission, or a member's roles.")
    def category(self) -> PolicyChangeKind:
        return PolicyChangeKind(self.kind)

    @strawberry.field(description="The state before the change.")
    def before_state(self) -> PolicyState:
        return _state(cast(dict[str, Any], self.before))

    @strawberry.field(description="The state after the change.")
    def after_state(self) -> PolicyState:
        return _state(cast(dict[str, Any], self.after))

    @strawberry.field(
        description="Who made the change; null for the system, or for someone this branch cannot see "
        "(head office staff, a member who left): `actor` still names them."
    )
    async def acted_by(self, info: Info) -> Actor | None:
        if self.actor_id is None:
            return None
        if self.actor_kind == "staff":
            staff: StaffMember | None = await member_or_none(info, self.actor_id)
            return staff
        if self.actor_kind == "service":
            account: ServiceAccount | None = await info.context.loaders.service_account.load(self.actor_id)
            return account
        return None

    @strawberry.field(description="The member whose roles changed.")
    async def staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.staff_id)

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
            actor_kind=change.actor_kind,
            actor_id=change.actor_id,
        )


@strawberry.enum(description="What a policy history is sorted by.")
class PolicyChangeOrderField(Enum):
    # ties (one moment) broken by the order the changes were made in
    CHANGED_AT = strawberry.enum_value("changed_at", description="When the change was made.")


@strawberry.input(description="How a policy history is sorted: `{field: CHANGED_AT, direction: DESC}` is newest first.")
class PolicyChangeOrder:
    field: PolicyChangeOrderField = PolicyChangeOrderField.CHANGED_AT
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type(description="A separation-of-duties rule: nobody should hold both permissions.")
class ToxicPairInfo:
    name: str = strawberry.field(description="The rule's name.")
    first: str = strawberry.field(description="One permission of the pair, `resource:action`.")
    second: str = strawberry.field(description="The other permission of the pair.")
    en: strawberry.Private[str]
    zh: strawberry.Private[str]

    @strawberry.field(description="What the rule guards against, in the caller's language.")
    def description(self, info: Info) -> str:
        return localized(self.en, self.zh, info.context.locale)

    @strawberry.field(description="The first permission, typed and labelled.")
    def first_permission(self) -> PermissionInfo:
        return PermissionInfo.of(self.first)

    @strawberry.field(description="The second permission, typed and labelled.")
    def second_permission(self) -> PermissionInfo:
        return PermissionInfo.of(self.second)


@strawberry.type(description="A member who holds both permissions of a toxic pair.")
class SodConflict:
    staff_id: strawberry.Private[uuid.UUID]
    rule: ToxicPairInfo = strawberry.field(description="The separation-of-duties rule broken.")
    first_via: list[str] = strawberry.field(
        description="Roles through which the member holds the rule's first permission.",
        deprecation_reason=_role_names_deprecated("firstViaRoles"),
    )
    second_via: list[str] = strawberry.field(
        description="Roles through which the member holds the rule's second permission.",
        deprecation_reason=_role_names_deprecated("secondViaRoles"),
    )

    @strawberry.field(description="The roles through which the member holds the rule's first permission.")
    def first_via_roles(self) -> list[RoleInfo]:
        return roles_of(self.first_via)

    @strawberry.field(description="The roles through which the member holds the rule's second permission.")
    def second_via_roles(self) -> list[RoleInfo]:
        return roles_of(self.second_via)

    @strawberry.field(description="The member; null once they have left the branch.")
    async def staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.staff_id)


@strawberry.type(description="A branch's departure from the baseline.")
class PolicyOverrideInfo:
    role: str = strawberry.field(description="The role's name.")
    permission: str = strawberry.field(description="The permission, `resource:action`.")
    granted: bool = strawberry.field(
        description="True: the branch grants it beyond the baseline; false: it takes it away."
    )

    @strawberry.field(description="The role, with its label.")
    def role_info(self) -> RoleInfo:
        return RoleInfo(name=self.role)

    @strawberry.field(description="The permission, typed and labelled.")
    def permission_info(self) -> PermissionInfo:
        return PermissionInfo.of(self.permission)


@strawberry.type(description="How far a branch's policy has drifted from the head-office baseline.")
class BranchDrift:
    branch: Branch = strawberry.field(description="The branch.")
    overrides: list[PolicyOverrideInfo] = strawberry.field(description="Each departure from the baseline.")

    @strawberry.field(description="How many departures from the baseline.")
    def drift(self) -> int:
        return len(self.overrides)


@strawberry.type(description="A role's permissions in the head-office baseline.")
class BaselineRole:
    role: RoleInfo = strawberry.field(description="The role.")
    permissions: list[PermissionInfo] = strawberry.field(description="Its permissions in the baseline.")
