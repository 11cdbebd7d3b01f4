from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.credentials.types import IssuedActivationCode
from branchdesk.graphql.errors import UserError, answer, mutate, payload, run_mutation
from branchdesk.graphql.inputs import text
from branchdesk.graphql.tenants.types import Branch, BranchLevel
from branchdesk.onboarding import service as onboarding
from branchdesk.tenants import service, signin
from branchdesk.tenants.errors import INVALID_TIMEZONE
from branchdesk.tenants.models import BranchStatus


@strawberry.input(description="An opening period on one weekday (mon … sun), local time HH:MM.")
class OpeningPeriodInput:
    weekday: str = text(max_length=16)
    opens: str = text(max_length=16)
    closes: str = text(max_length=16)


@strawberry.input(description="The first branch head of a new branch; created as staff if the employee number is new.")
class BranchHeadInput:
    employee_number: str = text(max_length=32)
    display_name: str = text(max_length=100)
    email: str | None = text(max_length=254, default=None)


@strawberry.input
class OnboardBranchInput:
    code: str = text("Unique branch code, e.g. 0101.", max_length=16)
    name: str = text(max_length=200)
    level: BranchLevel = strawberry.field(description="Where the new branch sits in the hierarchy.")
    parent_code: str | None = text("Code of the branch above; not for head office.", max_length=16, default=None)
    timezone: str = text("IANA time zone.", max_length=64, too_long=INVALID_TIMEZONE, default="Asia/Shanghai")
    business_hours: list[OpeningPeriodInput] = strawberry.field(
        default_factory=list, description="Opening periods by weekday; none given: none recorded."
    )
    head: BranchHeadInput = strawberry.field(description="The branch's first branch head.")


@payload
class OnboardBranchPayload:
    branch: Branch | None = None
    created: bool = strawberry.field(default=False, description="False when the same branch had been onboarded before.")
    activation_code: IssuedActivationCode | None = strawberry.field(
        default=None,
        description="The new branch head's activation code, shown this once (null on a replay, or when the head "
        "has a password already); a lost one is replaced with `issueActivationCode`.",
    )


@strawberry.input
class ChangeBranchStatusInput:
    code: str = text(max_length=16)
    reason: str | None = text("Why; kept with the branch and in the audit trail.", max_length=500, default=None)


@payload
class ChangeBranchStatusPayload:
    branch: Branch | None = None


@strawberry.input
class SignInInput:
    employee_number: str = text(max_length=32)
    password: str = text(max_length=200)


@strawberry.input
class RefreshTokenInput:
    refresh_token: str = text(max_length=200)


@payload(description="Tokens of a signed-in session. Send the access token as `Authorization: Bearer …`.")
class SessionPayload:
    access_token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer …`; null when sign-in was refused."
    )
    token_type: str = strawberry.field(default="Bearer", description="Always `Bearer`.")
    expires_in: int | None = strawberry.field(default=None, description="Seconds until the access token expires.")
    refresh_token: str | None = strawberry.field(
        default=None, description="Single use: every refresh returns a new one."
    )


@payload
class SignOutPayload:
    signed_out: bool = strawberry.field(default=False, description="True once the refresh token's session is ended.")


def _session_payload(result: signin.Tokens | None, errors: list[UserError]) -> SessionPayload:
    if result is None:
        return answer(SessionPayload, errors)
    return answer(
        SessionPayload,
        [],
        access_token=result.access_token,
        expires_in=result.expires_in,
        refresh_token=result.refresh_token,
    )


@strawberry.type
class Mutations:
    @p.mutation(p.PUBLIC, "Sign in with employee number and password.")
    async def sign_in(self, info: Info, input: SignInInput) -> SessionPayload:
        rt = info.context.runtime
        source = info.context.connection.client_address
        result, errors = await run_mutation(
            info,
            lambda s: signin.sign_in(
                s, rt.keys, rt.settings, rt.redis, input.employee_number, input.password, source, _user_agent(info)
            ),
        )
        return _session_payload(result, errors)

    @p.mutation(p.PUBLIC, "Exchange a refresh token for new tokens; a reused refresh token ends its whole session.")
    async def refresh_session(self, info: Info, input: RefreshTokenInput) -> SessionPayload:
        rt = info.context.runtime
        result, errors = await run_mutation(
            info, lambda s: signin.refresh(s, rt.keys, rt.settings, input.refresh_token, _client(info))
        )
        return _session_payload(result, errors)

    @p.mutation(p.PUBLIC, "End the session that the refresh token belongs to.")
    async def sign_out(self, info: Info, input: RefreshTokenInput) -> SignOutPayload:
        _, errors = await run_mutation(info, lambda s: signin.sign_out(s, input.refresh_token))
        return answer(SignOutPayload, errors, signed_out=not errors)

    @p.mutation("branch:onboard", "Onboard a branch with its branch head. Idempotent by branch code.")
    async def onboard_branch(self, info: Info, input: OnboardBranchInput) -> OnboardBranchPayload:
        draft = service.BranchDraft(
            code=input.code.strip(),
            name=input.name,
            level=input.level,
            parent_code=input.parent_code.strip() if input.parent_code else None,
            timezone=input.timezone,
            business_hours=service.hours_from_rows([(h.weekday, h.opens, h.closes) for h in input.business_hours]),
            head=service.StaffDraft(input.head.employee_number.strip(), input.head.display_name, input.head.email),
        )

        async def onboard(session: AsyncSession, by: Principal) -> dict[str, object]:
            ttl = info.context.settings.activation_code_ttl_seconds
            result = await onboarding.onboard_branch(session, by, draft, ttl)
            return {
                "branch": Branch.from_model(result.branch),
                "created": result.created,
                "activation_code": IssuedActivationCode.of(result.activation),
            }

        return await mutate(info, OnboardBranchPayload, onboard)

    @p.mutation("branch:suspend", "Suspend a branch: its staff can no longer act in it until it is reactivated.")
    async def suspend_branch(self, info: Info, input: ChangeBranchStatusInput) -> ChangeBranchStatusPayload:
        return await _change_status(info, input, BranchStatus.SUSPENDED)

    @p.mutation("branch:suspend", "Reactivate a suspended branch.")
    async def reactivate_branch(self, info: Info, input: ChangeBranchStatusInput) -> ChangeBranchStatusPayload:
        return await _change_status(info, input, BranchStatus.ACTIVE)


async def _change_status(info: Info, input: ChangeBranchStatusInput, status: BranchStatus) -> ChangeBranchStatusPayload:
    async def change(session: AsyncSession, by: Principal) -> dict[str, object]:
        branch = await service.set_branch_status(session, by, input.code.strip(), status, input.reason)
        return {"branch": Branch.from_model(branch)}

    return await mutate(info, ChangeBranchStatusPayload, change)


def _user_agent(info: Info) -> str | None:
    agent: str | None = info.context.connection.header("user-agent")
    return agent


def _client(info: Info) -> signin.Client:
    """Where a sign-in or refresh comes from, shown to the person in ``me.sessions``."""
    return signin.Client(info.context.connection.client_address, _user_agent(info))
