from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import UserError, run_mutation
from branchdesk.graphql.tenants.types import Branch, BranchLevel
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchStatus


@strawberry.input(description="An opening period on one weekday (mon … sun), local time HH:MM.")
class OpeningPeriodInput:
    weekday: str
    opens: str
    closes: str


@strawberry.input(description="The first branch head of a new branch; created as staff if the employee number is new.")
class BranchHeadInput:
    employee_number: str
    display_name: str
    email: str | None = None


@strawberry.input
class OnboardBranchInput:
    code: str = strawberry.field(description="Unique branch code, e.g. 0101.")
    name: str
    level: BranchLevel  # type: ignore[valid-type]
    parent_code: str | None = strawberry.field(default=None, description="Code of the branch above; not for head office.")
    timezone: str = strawberry.field(default="Asia/Shanghai", description="IANA time zone.")
    business_hours: list[OpeningPeriodInput] = strawberry.field(default_factory=list)
    head: BranchHeadInput


@strawberry.type
class OnboardBranchPayload:
    branch: Branch | None = None
    created: bool = strawberry.field(default=False, description="False when the same branch had been onboarded before.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ChangeBranchStatusInput:
    code: str
    reason: str | None = None


@strawberry.type
class ChangeBranchStatusPayload:
    branch: Branch | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TenantMutations:
    @p.mutation("branch:onboard", "Onboard a branch with its branch head. Idempotent by branch code.")
    async def onboard_branch(self, info: Info, input: OnboardBranchInput) -> OnboardBranchPayload:
        principal = await info.context.principal()
        draft = service.BranchDraft(
            code=input.code.strip(),
            name=input.name,
            level=input.level,
            parent_code=input.parent_code.strip() if input.parent_code else None,
            timezone=input.timezone,
            business_hours=service.hours_from_rows([(h.weekday, h.opens, h.closes) for h in input.business_hours]),
            head=service.StaffDraft(input.head.employee_number.strip(), input.head.display_name, input.head.email),
        )
        result, errors = await run_mutation(info, lambda s: service.onboard_branch(s, principal, draft))
        if result is None:
            return OnboardBranchPayload(errors=errors)
        return OnboardBranchPayload(branch=Branch.from_model(result.branch), created=result.created)

    @p.mutation("branch:suspend", "Suspend a branch: its staff can no longer act in it until it is reactivated.")
    async def suspend_branch(self, info: Info, input: ChangeBranchStatusInput) -> ChangeBranchStatusPayload:
        return await _change_status(info, input, BranchStatus.SUSPENDED)

    @p.mutation("branch:suspend", "Reactivate a suspended branch.")
    async def reactivate_branch(self, info: Info, input: ChangeBranchStatusInput) -> ChangeBranchStatusPayload:
        return await _change_status(info, input, BranchStatus.ACTIVE)


async def _change_status(info: Info, input: ChangeBranchStatusInput, status: BranchStatus) -> ChangeBranchStatusPayload:
    principal = await info.context.principal()
    branch, errors = await run_mutation(
        info, lambda s: service.set_branch_status(s, principal, input.code.strip(), status, input.reason)
    )
    return ChangeBranchStatusPayload(branch=Branch.from_model(branch) if branch else None, errors=errors)
