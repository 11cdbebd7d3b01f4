"""GraphQL types of the tenants domain: Branch, StaffMember and the signed-in caller."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.labels import graphql_enum, label
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.platform.masking import mask_address, mask_id_number, mask_phone
from branchdesk.tenants import models
from branchdesk.tenants.service import Member

BranchLevel = graphql_enum(models.BranchLevel, "BranchLevel", "Where a branch sits in the hierarchy.")
BranchStatus = graphql_enum(models.BranchStatus, "BranchStatus", "Whether staff can act in a branch.")


@strawberry.type(description="Opening period of a branch on one weekday, local time.")
class OpeningPeriod:
    weekday: str
    opens: str
    closes: str


@strawberry.type(name="Branch", description="A branch (网点): the tenant every branch-owned object belongs to.")
class Branch(LoadedNode):
    node_loader = "branch"
    id: relay.NodeID[str]
    code: str
    name: str
    level: BranchLevel  # type: ignore[valid-type]
    status: BranchStatus  # type: ignore[valid-type]
    status_reason: str | None
    timezone: str
    created_at: datetime
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
MASKS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}


@strawberry.type(name="StaffMember", description="A member of staff as seen from the active branch.")
class StaffMember(LoadedNode):
    node_loader = "member"
    id: relay.NodeID[str]
    employee_number: str
    display_name: str
    email: str | None
    roles: list[str] = strawberry.field(description="Roles held in the active branch.")

    @classmethod
    def of(cls, member: Member) -> StaffMember:
        return cls(
            id=str(member.id),
            employee_number=member.employee_number,
            display_name=member.display_name,
            email=member.email,
            roles=member.roles,
        )

    async def _personal(self, info: Info, name: str) -> str | None:
        """Personal data is read (in one batch per request) only when a response shows it."""
        found = await info.context.loaders.personal_data.load(uuid.UUID(self.id))
        value: str | None = getattr(found, name) if found is not None else None
        if value is None:
            return None
        if not info.context.principal().sees_unmasked("staff", uuid.UUID(self.id)):
            return MASKS[name](value)
        await info.context.loaders.unmasked_read.load(("staff", self.id))
        return value

    @strawberry.field(description=f"Mobile phone. {_PII_NOTE}")
    async def phone(self, info: Info) -> str | None:
        return await self._personal(info, "phone")

    @strawberry.field(description=f"Resident ID number (身份证号). {_PII_NOTE}")
    async def id_number(self, info: Info) -> str | None:
        return await self._personal(info, "id_number")

    @strawberry.field(description=f"Home address. {_PII_NOTE}")
    async def address(self, info: Info) -> str | None:
        return await self._personal(info, "address")


@strawberry.type(description="A branch the signed-in staff member belongs to, with their roles there.")
class MyMembership:
    branch: Branch
    roles: list[str]


@strawberry.type(description="The signed-in staff member.")
class Me:
    id: strawberry.ID
    employee_number: str
    display_name: str
    memberships: list[MyMembership]


@strawberry.type(name="BranchConnection", description="A page of branches.")
class BranchConnection(CountedConnection[Branch]):
    pass


@strawberry.type(name="StaffMemberConnection", description="A page of a branch's staff.")
class StaffMemberConnection(CountedConnection[StaffMember]):
    pass


@strawberry.enum(description="What a staff list is sorted by.")
class StaffOrderField(Enum):
    EMPLOYEE_NUMBER = "employee_number"
    DISPLAY_NAME = "display_name"  # ties broken by employee number


@strawberry.input(description="How a staff list is sorted.")
class StaffOrder:
    field: StaffOrderField = StaffOrderField.EMPLOYEE_NUMBER
    direction: OrderDirection = OrderDirection.ASC
