"""GraphQL types of the staff lifecycle."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from branchdesk.graphql.labels import label
from branchdesk.graphql.tenants.types import MembershipKind
from branchdesk.graphql.vocabulary import RoleInfo
from branchdesk.tenants import models


@strawberry.type(description="A staff identity, bank-wide: who, not where.")
class StaffIdentity:
    employee_number: str = strawberry.field(description="Employee number (工号), unique across the bank.")
    display_name: str = strawberry.field(description="Name as shown to colleagues.")
    active: bool = strawberry.field(description="False once they have left the bank (deactivated).")

    @classmethod
    def of(cls, staff: models.Staff) -> StaffIdentity:
        return cls(
            employee_number=staff.employee_number,
            display_name=staff.display_name,
            active=staff.status is models.StaffStatus.ACTIVE,
        )


@strawberry.type(
    description="One period of a membership of the active branch with the same roles: who, with which roles, "
    "from when until when, and who started and ended it and why."
)
class MembershipPeriod:
    staff: StaffIdentity = strawberry.field(description="The member of staff.")
    kind: MembershipKind = strawberry.field(description="Regular, or a cover.")
    starts_at: datetime = strawberry.field(description="When the period started (or starts).")
    ends_at: datetime | None = strawberry.field(description="When it ended (or ends, for a cover); null: still open.")
    started_by: str = strawberry.field(description="Who started it, as the audit trail names them.")
    start_reason: str | None = strawberry.field(description="Why it started, as given then.")
    ended_by: str | None = strawberry.field(description="Who ended it; null while open or for a cover that ran out.")
    end_reason: str | None = strawberry.field(description="Why it ended, as given then.")
    role_names: strawberry.Private[list[str]]

    @classmethod
    def of(cls, period: models.MembershipPeriod, staff: models.Staff) -> MembershipPeriod:
        return cls(
            staff=StaffIdentity.of(staff),
            kind=period.kind,
            starts_at=period.starts_at,
            ends_at=period.ends_at,
            started_by=period.started_by,
            start_reason=period.start_reason,
            ended_by=period.ended_by,
            end_reason=period.end_reason,
            role_names=list(period.roles),
        )

    @strawberry.field(description="The roles held during the period, with their labels.")
    def roles(self) -> list[RoleInfo]:
        return [RoleInfo(name=name) for name in self.role_names]

    @strawberry.field(description="The kind, in the caller's language (Accept-Language).")
    def kind_label(self, info: Info) -> str:
        return label(self.kind, info.context.locale)


@strawberry.type(description="A membership as a lifecycle change left it.")
class MembershipSummary:
    branch_code: str = strawberry.field(description="The branch's code.")
    staff: StaffIdentity = strawberry.field(description="The member of staff.")
    kind: MembershipKind = strawberry.field(description="Regular, or a cover.")
    starts_at: datetime = strawberry.field(description="When the membership starts counting.")
    ends_at: datetime | None = strawberry.field(description="When a cover ends by itself; null: until removed.")
    role_names: strawberry.Private[list[str]]

    @strawberry.field(description="The roles held there, with their labels.")
    def roles(self) -> list[RoleInfo]:
        return [RoleInfo(name=name) for name in self.role_names]


@strawberry.type(description="An active service account created by someone who left: to be given a new owner.")
class ServiceAccountToReassign:
    branch_code: str = strawberry.field(description="The code of the branch the account belongs to.")
    client_id: str = strawberry.field(description="The account's client id.")
    name: str = strawberry.field(description="What the client is.")
