from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.credentials.types import IssuedActivationCode
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.inputs import text
from branchdesk.graphql.staffing.types import MembershipSummary, ServiceAccountToReassign, StaffIdentity
from branchdesk.staffing import service
from branchdesk.tenants.permissions import STAFF_MANAGE

_REASON = "Why; kept in the membership history and the audit trail."


@strawberry.input
class CreateStaffInput:
    employee_number: str = text("Employee number (工号): 3 to 32 letters or digits, unique.", max_length=32)
    display_name: str = text("Name as shown to colleagues.", max_length=100)
    email: str | None = text("Work email address.", max_length=254, default=None)
    phone: str | None = text("Mobile phone (personal data: shown masked).", max_length=32, default=None)


@strawberry.input(description="A temporary membership, by local dates in the branch's time zone.")
class CoverInput:
    starts_on: date = strawberry.field(description="First day of the cover (today or later), branch-local.")
    ends_on: date = strawberry.field(description="Last day of the cover, included; it ends at midnight after it.")


@strawberry.input
class AddMembershipInput:
    employee_number: str = text("The member of staff.", max_length=32)
    roles: list[str] = text("Roles held in the branch, e.g. `teller`.", max_length=50, each=True)
    branch_code: str | None = text(
        "The branch; by default the active one. Head office may name any branch.", max_length=16, default=None
    )
    cover: CoverInput | None = strawberry.field(
        default=None, description="For a cover: its period. None: a regular membership from now on."
    )
    reason: str | None = text(_REASON, max_length=500, default=None)


@strawberry.input
class TransferStaffInput:
    employee_number: str = text("The member of staff.", max_length=32)
    from_branch_code: str = text("The branch they leave.", max_length=16)
    to_branch_code: str = text("The branch they join.", max_length=16)
    roles: list[str] | None = text(
        "Roles in the new branch; by default those held in the old one.", max_length=50, each=True, default=None
    )
    reason: str | None = text(_REASON, max_length=500, default=None)


@strawberry.input
class RemoveMembershipInput:
    employee_number: str = text("The member of staff.", max_length=32)
    branch_code: str | None = text("The branch; by default the active one.", max_length=16, default=None)
    reason: str | None = text(_REASON, max_length=500, default=None)


@strawberry.input
class StaffStatusInput:
    employee_number: str = text("The member of staff.", max_length=32)
    reason: str | None = text("Why; kept in the audit trail.", max_length=500, default=None)


@payload
class CreateStaffPayload:
    staff: StaffIdentity | None = None
    activation_code: IssuedActivationCode | None = strawberry.field(
        default=None,
        description="The new identity's single-use activation code, shown this once: hand it to the person, "
        "who sets their own password with `activateAccount`.",
    )


@payload
class MembershipPayload:
    membership: MembershipSummary | None = None


@payload
class RemoveMembershipPayload:
    branch_code: str | None = strawberry.field(default=None, description="The branch the membership was ended in.")


@payload
class DeactivateStaffPayload:
    staff: StaffIdentity | None = None
    ended_memberships: list[str] = strawberry.field(
        default_factory=list, description="Codes of the branches whose membership ended."
    )
    service_accounts_to_reassign: list[ServiceAccountToReassign] = strawberry.field(
        default_factory=list, description="Active service accounts they created, in any branch: give them new owners."
    )


@payload
class ReactivateStaffPayload:
    staff: StaffIdentity | None = None


def _summary(placed: service.Placed) -> MembershipSummary:
    membership = placed.membership
    return MembershipSummary(
        branch_code=placed.branch.code,
        staff=StaffIdentity.of(placed.staff),
        kind=membership.kind,
        starts_at=membership.starts_at,
        ends_at=membership.ends_at,
        role_names=sorted(membership.roles),
    )


@strawberry.type
class Mutations:
    @p.mutation(
        STAFF_MANAGE,
        "Create a staff identity (no password yet: activation follows). EMPLOYEE_NUMBER_TAKEN when the number is used.",
    )
    async def create_staff(self, info: Info, input: CreateStaffInput) -> CreateStaffPayload:
        new = service.NewStaff(input.employee_number, input.display_name, input.email, input.phone)

        async def create(session: AsyncSession, by: Principal) -> dict[str, object]:
            hired = await service.hire(session, by, new, info.context.settings.activation_code_ttl_seconds)
            return {
                "staff": StaffIdentity.of(hired.staff),
                "activation_code": IssuedActivationCode.of(hired.activation),
            }

        return await mutate(info, CreateStaffPayload, create)

    @p.mutation(
        STAFF_MANAGE,
        "Make a member of staff a member of a branch with roles: from now on, or as a cover for a period "
        "(it starts and ends by itself on its dates, in the branch's time zone).",
    )
    async def add_membership(self, info: Info, input: AddMembershipInput) -> MembershipPayload:
        cover = service.Cover(input.cover.starts_on, input.cover.ends_on) if input.cover else None

        async def add(session: AsyncSession, by: Principal) -> dict[str, object]:
            placed = await service.add_membership(
                session,
                by,
                input.employee_number,
                input.roles,
                branch_code=input.branch_code,
                cover=cover,
                reason=input.reason,
            )
            return {"membership": _summary(placed)}

        return await mutate(info, MembershipPayload, add)

    @p.mutation(
        STAFF_MANAGE,
        "Move a member of staff from one branch to another in one operation: the old membership ends, the new one "
        "starts, both stay in the history. Head office only (another branch is not found for a branch head).",
    )
    async def transfer_staff(self, info: Info, input: TransferStaffInput) -> MembershipPayload:
        async def move(session: AsyncSession, by: Principal) -> dict[str, object]:
            placed = await service.transfer(
                session,
                by,
                input.employee_number,
                input.from_branch_code,
                input.to_branch_code,
                roles=input.roles,
                reason=input.reason,
            )
            return {"membership": _summary(placed)}

        return await mutate(info, MembershipPayload, move)

    @p.mutation(
        STAFF_MANAGE,
        "End a member's membership of a branch now (a cover too, early); the last branch head cannot leave "
        "without a successor.",
    )
    async def remove_membership(self, info: Info, input: RemoveMembershipInput) -> RemoveMembershipPayload:
        async def remove(session: AsyncSession, by: Principal) -> dict[str, object]:
            branch = await service.remove_membership(
                session, by, input.employee_number, branch_code=input.branch_code, reason=input.reason
            )
            return {"branch_code": branch.code}

        return await mutate(info, RemoveMembershipPayload, remove)

    @p.mutation(
        STAFF_MANAGE,
        "A member of staff leaves the bank: every session and refresh token ends at once (open WebSockets are "
        "closed), every membership ends, and the service accounts they created are listed for reassignment.",
    )
    async def deactivate_staff(self, info: Info, input: StaffStatusInput) -> DeactivateStaffPayload:
        async with info.context.runtime.db.platform_session() as platform:

            async def deactivate(session: AsyncSession, by: Principal) -> dict[str, object]:
                done = await service.deactivate(session, by, platform, input.employee_number, input.reason)
                return {
                    "staff": StaffIdentity.of(done.staff),
                    "ended_memberships": [branch.code for branch in done.branches],
                    "service_accounts_to_reassign": [
                        ServiceAccountToReassign(branch_code=code, client_id=account.client_id, name=account.name)
                        for code, account in done.service_accounts
                    ],
                }

            return await mutate(info, DeactivateStaffPayload, deactivate)

    @p.mutation(
        STAFF_MANAGE, "A member of staff who left comes back: active again, with no membership until one is added."
    )
    async def reactivate_staff(self, info: Info, input: StaffStatusInput) -> ReactivateStaffPayload:
        async def reactivate(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {
                "staff": StaffIdentity.of(await service.reactivate(session, by, input.employee_number, input.reason))
            }

        return await mutate(info, ReactivateStaffPayload, reactivate)
