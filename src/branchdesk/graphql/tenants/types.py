"""GraphQL types of the tenants domain: Branch, StaffMember and the signed-in caller."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.credentials.types import SignedInSession, my_sessions
from branchdesk.graphql.ids import node_uuids
from branchdesk.graphql.labels import graphql_enum, label
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.second_factor.types import SecondFactorStatus, status_of
from branchdesk.graphql.vocabulary import RoleInfo, Weekday, weekday_label
from branchdesk.platform.errors import NotFound
from branchdesk.platform.masking import mask_address, mask_id_number, mask_phone
from branchdesk.tenants import models
from branchdesk.tenants.service import Member, Overview, Window

BranchLevel = graphql_enum(models.BranchLevel, "BranchLevel", "Where a branch sits in the hierarchy.")
BranchStatus = graphql_enum(models.BranchStatus, "BranchStatus", "Whether staff can act in a branch.")
MembershipKind = graphql_enum(
    models.MembershipKind, "MembershipKind", "A regular membership, or a cover that starts and ends by itself."
)


@strawberry.type(description="Opening period of a branch on one weekday, local time.")
class OpeningPeriod:
    weekday: str = strawberry.field(
        description="Day of the week: `mon` … `sun`.", deprecation_reason="A plain string: use `day`, an enum."
    )
    opens: str = strawberry.field(description="Opening time, local HH:MM.")
    closes: str = strawberry.field(description="Closing time, local HH:MM.")

    @strawberry.field(description="Day of the week.")
    def day(self) -> Weekday:
        return Weekday(self.weekday)

    @strawberry.field(description="Day of the week in the caller's language.")
    def day_label(self, info: Info) -> str:
        return weekday_label(self.weekday, info.context.locale)


@strawberry.type(name="Branch", description="A branch (网点): the tenant every branch-owned object belongs to.")
class Branch(LoadedNode):
    node_loader = "branch"
    id: relay.NodeID[str]
    code: str = strawberry.field(description="Branch code (网点代码), e.g. `0101`: what X-Branch takes.")
    name: str = strawberry.field(description="The branch's name.")
    level: BranchLevel = strawberry.field(description="Where the branch sits in the hierarchy.")  # type: ignore[valid-type]
    status: BranchStatus = strawberry.field(description="Whether staff can act in the branch.")  # type: ignore[valid-type]
    status_reason: str | None = strawberry.field(description="Why the branch was suspended or closed, as given then.")
    timezone: str = strawberry.field(
        description="IANA time zone: the branch's days, schedules and opening hours follow it."
    )
    created_at: datetime = strawberry.field(description="When the branch was onboarded.")
    parent_id: strawberry.Private[uuid.UUID | None]
    hours: strawberry.Private[dict[str, list[list[str]]]]

    @classmethod
    def from_model(cls, branch: models.Branch) -> Branch:
        return cls(
            id=str(branch.id),
            code=branch.code,
            name=branch.name,
            level=branch.level,
            status=branch.status,
            status_reason=branch.status_reason,
            timezone=branch.timezone,
            created_at=branch.created_at,
            parent_id=branch.parent_id,
            hours=branch.business_hours,
        )

    @strawberry.field(description="The level, in the caller's language (Accept-Language).")
    def level_label(self, info: Info) -> str:
        return label(self.level, info.context.locale)

    @strawberry.field(description="The status, in the caller's language (Accept-Language).")
    def status_label(self, info: Info) -> str:
        return label(self.status, info.context.locale)

    @strawberry.field(description="Opening periods by weekday.")
    def business_hours(self) -> list[OpeningPeriod]:
        return [
            OpeningPeriod(weekday=day, opens=o, closes=c) for day, periods in self.hours.items() for o, c in periods
        ]

    @strawberry.field(description="The branch above this one; null when the caller cannot see it.")
    async def parent(self, info: Info) -> Branch | None:
        if self.parent_id is None:
            return None
        parent: Branch | None = await info.context.loaders.branch.load(self.parent_id)
        return parent


_PII_NOTE = "Masked unless it is your own record or you hold `staff.pii:read`; every unmasked read is audited."
_MASKING_PER_BRANCH = (
    "Masked or not by the X-Branch permission under one id, so a client cache mixes branches up: "
    "use `membership {{ {} }}`, whose id includes the branch."
)
MASKS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}


@strawberry.type(name="StaffMember", description="A member of staff as seen from the active branch.")
class StaffMember(LoadedNode):
    node_loader = "member"
    id: relay.NodeID[str]
    employee_number: str = strawberry.field(description="Employee number (工号), unique across the bank.")
    display_name: str = strawberry.field(description="Name as shown to colleagues.")
    email: str | None = strawberry.field(description="Work email address.")
    roles: list[str] = strawberry.field(
        description="Roles held in the active branch.",
        deprecation_reason="Changes with X-Branch under one id, so a client cache mixes branches up: "
        "use `membership { roles { name label } }`, whose id includes the branch.",
    )

    member: strawberry.Private[Member]  # as the active branch's list read it

    @classmethod
    def of(cls, member: Member) -> StaffMember:
        return cls(
            id=str(member.id),
            employee_number=member.employee_number,
            display_name=member.display_name,
            email=member.email,
            roles=member.roles,
            member=member,
        )

    @property
    def window(self) -> Window:
        """When the active branch's membership counts; built when asked for, not for each row of a list."""
        member = self.member
        if member.kind is None:  # a list reads windows whenever its response shows memberships
            raise RuntimeError("this member's window was not read")
        return Window(member.kind, member.starts_at, member.ends_at)

    @strawberry.field(description="This member's membership of the active branch: their roles there.")
    def membership(self, info: Info) -> BranchMembership | None:
        return BranchMembership.of(info.context.principal().branch_id, self)

    async def personal(self, info: Info, name: str) -> str | None:
        """Personal data is read (in one batch per request) only when a response shows it."""
        found = await info.context.loaders.personal_data.load(uuid.UUID(self.id))
        value: str | None = getattr(found, name) if found is not None else None
        if value is None:
            return None
        if not info.context.principal().sees_unmasked("staff", uuid.UUID(self.id)):
            return MASKS[name](value)
        await info.context.loaders.unmasked_read.load(("staff", self.id))
        return value

    @strawberry.field(description=f"Mobile phone. {_PII_NOTE}", deprecation_reason=_MASKING_PER_BRANCH.format("phone"))
    async def phone(self, info: Info) -> str | None:
        return await self.personal(info, "phone")

    @strawberry.field(
        description=f"Resident ID number (身份证号). {_PII_NOTE}",
        deprecation_reason=_MASKING_PER_BRANCH.format("idNumber"),
    )
    async def id_number(self, info: Info) -> str | None:
        return await self.personal(info, "id_number")

    @strawberry.field(
        description=f"Home address. {_PII_NOTE}", deprecation_reason=_MASKING_PER_BRANCH.format("address")
    )
    async def address(self, info: Info) -> str | None:
        return await self.personal(info, "address")


@strawberry.type(
    name="BranchMembership",
    description="A member of staff in one branch, with their roles there. Its id is the branch and the "
    "member together, so it never changes meaning with X-Branch: what depends on the branch lives here.",
)
class BranchMembership(LoadedNode):
    node_loader = "membership"
    id: relay.NodeID[str]
    staff: StaffMember = strawberry.field(description="The member of staff.")
    role_names: strawberry.Private[list[str]]
    branch_id: strawberry.Private[uuid.UUID]
    known_branch: strawberry.Private[Branch | None] = None
    window: strawberry.Private[Window | None] = None

    @classmethod
    def of(
        cls,
        branch_id: uuid.UUID,
        staff: StaffMember,
        roles: list[str] | None = None,
        branch: Branch | None = None,
        window: Window | None = None,
    ) -> BranchMembership:
        """``roles`` and ``window`` default to the ones ``staff`` was read with: those of the active branch."""
        return cls(
            id=f"{branch_id}:{staff.id}",
            staff=staff,
            role_names=staff.roles if roles is None else roles,
            branch_id=branch_id,
            known_branch=branch,
            window=staff.window if window is None else window,
        )

    @strawberry.field(description="Regular, or a cover (临时支援) that ends by itself at `endsAt`.")
    def kind(self) -> MembershipKind:  # type: ignore[valid-type]
        return self.window.kind if self.window else models.MembershipKind.REGULAR

    @strawberry.field(description="When the membership starts counting (a cover: midnight of its first day, local).")
    def starts_at(self) -> datetime | None:
        return self.window.starts_at if self.window else None

    @strawberry.field(
        description="When a cover ends by itself (midnight after its last day, local); null: until removed."
    )
    def ends_at(self) -> datetime | None:
        return self.window.ends_at if self.window else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        """Memberships of the active branch only; any other id (another branch's, or malformed) is null."""
        keys: list[uuid.UUID | None] = []
        for node_id in node_ids:
            branch_id, _, staff_id = node_id.partition(":")
            [branch, staff] = node_uuids([branch_id, staff_id])
            active = branch is not None and branch == info.context.principal().branch_id
            keys.append(staff if active else None)
        return await super().resolve_nodes(info=info, node_ids=[str(k) if k else "" for k in keys])

    @strawberry.field(description="The branch.")
    async def branch(self, info: Info) -> Branch:
        found = self.known_branch or await info.context.loaders.branch.load(self.branch_id)
        if found is None:
            raise NotFound("Branch", "网点")
        return found

    @strawberry.field(description="Roles the member holds in this branch, with their labels.")
    def roles(self) -> list[RoleInfo]:
        return [RoleInfo(name=name) for name in self.role_names]

    @strawberry.field(description=f"The member's mobile phone, as this branch shows it to you. {_PII_NOTE}")
    async def phone(self, info: Info) -> str | None:
        return await self.staff.personal(info, "phone")

    @strawberry.field(description=f"The member's resident ID number (身份证号), as this branch shows it. {_PII_NOTE}")
    async def id_number(self, info: Info) -> str | None:
        return await self.staff.personal(info, "id_number")

    @strawberry.field(description=f"The member's home address, as this branch shows it to you. {_PII_NOTE}")
    async def address(self, info: Info) -> str | None:
        return await self.staff.personal(info, "address")


@strawberry.type(description="A branch the signed-in staff member belongs to, with their roles there.")
class MyMembership:
    branch: Branch = strawberry.field(description="The branch; its `code` is what X-Branch takes.")
    roles: list[str] = strawberry.field(description="Names of the roles held there.")


@strawberry.type(description="The signed-in staff member.")
class Me:
    id: strawberry.ID = strawberry.field(
        description="The staff member's raw UUID.",
        deprecation_reason="Not a global id: arguments such as `effectivePermissions(staffId:)` refuse it. "
        "Use `staff.id`.",
    )
    employee_number: str = strawberry.field(description="Employee number (工号), used to sign in.")
    display_name: str = strawberry.field(description="Name as shown to colleagues.")
    # Where the caller belongs, read (once, across branches) only when a field below asks for it.
    overview: strawberry.Private[Callable[[], Awaitable[Overview]]]
    branch_code: strawberry.Private[str | None]

    async def _you(self) -> tuple[Overview, StaffMember]:
        found = await self.overview()
        active = [(roles, b.id) for roles, b in found.memberships if b.code == self.branch_code]
        member = Member(
            found.id, found.employee_number, found.display_name, found.email, active[0][0] if active else []
        )
        window = found.windows.get(active[0][1]) if active else None
        if window is not None:
            member = member._replace(kind=window.kind, starts_at=window.starts_at, ends_at=window.ends_at)
        return found, StaffMember.of(member)  # as seen from the active branch, like every StaffMember

    @strawberry.field(description="You, as the `StaffMember` node with its global id.")
    async def staff(self) -> StaffMember:
        return (await self._you())[1]

    @strawberry.field(
        description="The branches you belong to, with role names.",
        deprecation_reason="Use `branchMemberships`: nodes keyed by branch and member, with role labels.",
    )
    async def memberships(self) -> list[MyMembership]:
        found = await self.overview()
        return [MyMembership(branch=Branch.from_model(b), roles=roles) for roles, b in found.memberships]

    @strawberry.field(
        description="Your membership of each branch you belong to, with your roles there (and their labels)."
    )
    async def branch_memberships(self) -> list[BranchMembership]:
        found, you = await self._you()
        return [
            BranchMembership.of(b.id, you, roles, Branch.from_model(b), found.windows.get(b.id))
            for roles, b in found.memberships
        ]

    @strawberry.field(description="Your active sessions, the most recently used first; `current` marks this one.")
    async def sessions(self, info: Info) -> list[SignedInSession]:
        return await my_sessions(info)  # a method like the fields above, so the schema keeps their order

    @strawberry.field(description="Your second factor: whether it is set up, and whether your roles require it.")
    async def second_factor(self, info: Info) -> SecondFactorStatus:
        found = await self.overview()
        return await status_of(info, {role for roles, _branch in found.memberships for role in roles})


@strawberry.type(name="BranchConnection", description="A page of branches.")
class BranchConnection(CountedConnection[Branch]):
    pass


@strawberry.type(name="StaffMemberConnection", description="A page of a branch's staff.")
class StaffMemberConnection(CountedConnection[StaffMember]):
    pass


@strawberry.enum(description="What a staff list is sorted by.")
class StaffOrderField(Enum):
    EMPLOYEE_NUMBER = strawberry.enum_value("employee_number", description="Employee number.")
    DISPLAY_NAME = strawberry.enum_value(
        "display_name", description="Name as shown to colleagues; ties broken by employee number."
    )


@strawberry.input(description="How a staff list is sorted.")
class StaffOrder:
    field: StaffOrderField = StaffOrderField.EMPLOYEE_NUMBER
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="What a list of branches is sorted by.")
class BranchOrderField(Enum):
    CODE = strawberry.enum_value("code", description="Branch code.")
    NAME = strawberry.enum_value("name", description="Name; ties broken by code.")
    CREATED_AT = strawberry.enum_value("created_at", description="When the branch was onboarded.")


@strawberry.input(
    description="How a list of branches is sorted: `{field: CREATED_AT, direction: DESC}` is newest first."
)
class BranchOrder:
    field: BranchOrderField = BranchOrderField.CODE
    direction: OrderDirection = OrderDirection.ASC


async def member_or_none(info: Info, staff_id: uuid.UUID | None) -> StaffMember | None:
    """A member of the active branch by id, through the request's loader; null for nobody or a stranger."""
    return await info.context.loaders.member.load(staff_id) if staff_id else None
