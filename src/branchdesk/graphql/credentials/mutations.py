from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.credentials import self_service, service
from branchdesk.graphql import permissions as p
from branchdesk.graphql.credentials.types import IssuedActivationCode, caller
from branchdesk.graphql.errors import answer, mutate, payload, run_mutation
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.platform.errors import NotFound, invalid


@strawberry.input
class ActivateAccountInput:
    employee_number: str = text(max_length=32)
    code: str = text("The activation code you were given (hyphens and spaces are ignored).", max_length=32)
    new_password: str = text(
        "Your password: at least 12 characters, not a common password, without your employee number or name.",
        max_length=200,
    )


@payload
class ActivateAccountPayload:
    activated: bool = strawberry.field(default=False, description="True once your password is set: sign in with it.")


@strawberry.input(
    description="Whom to issue a code for: `staffId` (a member of the active branch) or `employeeNumber`."
)
class IssueActivationCodeInput:
    staff_id: strawberry.ID | None = strawberry.field(default=None, description="A member of the active branch.")
    employee_number: str | None = text(
        "Anyone's employee number from head office; a member's from a branch.", max_length=32, default=None
    )


async def _member_now(root: IssueActivationCodePayload, info: Info) -> StaffMember | None:
    return await member_or_none(info, root.staff_id)


@payload
class IssueActivationCodePayload:
    activation_code: IssuedActivationCode | None = strawberry.field(
        default=None, description="The new code, shown this once; hand it to the person."
    )
    staff: StaffMember | None = strawberry.field(
        resolver=_member_now, description="The person, as a member of the active branch (null if they are not one)."
    )
    staff_id: strawberry.Private[uuid.UUID | None] = None


@strawberry.input
class ChangePasswordInput:
    current_password: str = text(max_length=200)
    new_password: str = text(
        "At least 12 characters, not a common password, without your employee number or name.", max_length=200
    )


@payload
class ChangePasswordPayload:
    changed: bool = strawberry.field(default=False, description="True once the new password is set.")
    sessions_ended: int = strawberry.field(default=0, description="How many of your other sessions were ended.")


@strawberry.input
class EndSessionInput:
    id: strawberry.ID = strawberry.field(description="A session of yours (`me.sessions`).")


@payload
class EndSessionsPayload:
    sessions_ended: int = strawberry.field(default=0, description="How many sessions were ended.")


@strawberry.input(description="Your own contact details: a field left out stays as it is; an empty string removes it.")
class UpdateMyContactInput:
    email: str | None = text("An email address.", max_length=254, default=None)
    phone: str | None = text(
        "An 11-digit mainland mobile number (13812345678) or an E.164 number (+85291234567).",
        max_length=32,
        default=None,
    )


@payload
class UpdateMyContactPayload:
    email: str | None = strawberry.field(default=None, description="Your email now.")
    phone: str | None = strawberry.field(default=None, description="Your phone now (yours: never masked to you).")


def _session_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound("Session", "会话", field="id") from exc


@strawberry.type
class Mutations:
    @p.mutation(
        p.PUBLIC,
        "Set your own password with the activation code you were given. Throttled like `signIn`; every failure "
        "(unknown employee number, wrong, expired or used code) is the same `ACTIVATION_FAILED`.",
    )
    async def activate_account(self, info: Info, input: ActivateAccountInput) -> ActivateAccountPayload:
        rt = info.context.runtime
        source = info.context.connection.client_address
        result, errors = await run_mutation(
            info,
            lambda s: service.activate(
                s, rt.redis, rt.settings, input.employee_number, input.code, input.new_password, source
            ),
        )
        return answer(ActivateAccountPayload, errors, activated=result is not None)

    @p.mutation(
        "staff:manage",
        "Reset a person's credentials: a new activation code (shown once), their password cleared and every "
        "session of theirs ended. A branch resets its own members (not head-office staff); head office anyone.",
    )
    async def issue_activation_code(self, info: Info, input: IssueActivationCodeInput) -> IssueActivationCodePayload:
        ttl = info.context.settings.activation_code_ttl_seconds

        async def issue(session: AsyncSession, by: Principal) -> dict[str, object]:
            if input.staff_id is not None:
                issued = await service.issue_activation_code(session, by, staff_uuid(input.staff_id), ttl)
            elif input.employee_number:
                issued = await service.issue_for_employee(session, by, input.employee_number, ttl)
            else:
                raise invalid(
                    "staffId", "Name the person: staffId or employeeNumber.", "请指定员工：staffId 或 employeeNumber。"
                )
            return {"activation_code": IssuedActivationCode.of(issued), "staff_id": issued.staff.id}

        return await mutate(info, IssueActivationCodePayload, issue)

    @p.mutation(
        p.SIGNED_IN,
        "Change your password: the current one is needed. Your other sessions end; this one goes on.",
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> ChangePasswordPayload:
        rt, me = info.context.runtime, caller(info)
        ended, errors = await run_mutation(
            info,
            lambda s: self_service.change_password(
                s, rt.redis, rt.settings, me, input.current_password, input.new_password
            ),
        )
        return answer(ChangePasswordPayload, errors, changed=ended is not None, sessions_ended=ended or 0)

    @p.mutation(p.SIGNED_IN, "End one of your sessions (`me.sessions`); ending the current one signs you out.")
    async def end_session(self, info: Info, input: EndSessionInput) -> EndSessionsPayload:
        me = caller(info)

        async def end(session: AsyncSession) -> int:
            await self_service.end_session(session, me, _session_id(input.id))
            return 1

        ended, errors = await run_mutation(info, end)
        return answer(EndSessionsPayload, errors, sessions_ended=ended or 0)

    @p.mutation(p.SIGNED_IN, "End every session of yours but this one (a lost phone, a shared computer).")
    async def end_other_sessions(self, info: Info) -> EndSessionsPayload:
        me = caller(info)
        ended, errors = await run_mutation(info, lambda s: self_service.end_other_sessions(s, me))
        return answer(EndSessionsPayload, errors, sessions_ended=ended or 0)

    @p.mutation(p.SIGNED_IN, "Update your own email and phone (audited).")
    async def update_my_contact(self, info: Info, input: UpdateMyContactInput) -> UpdateMyContactPayload:
        me = caller(info)
        staff, errors = await run_mutation(
            info, lambda s: self_service.update_my_contact(s, me, input.email, input.phone)
        )
        if staff is None:
            return answer(UpdateMyContactPayload, errors)
        return answer(UpdateMyContactPayload, [], email=staff.email, phone=staff.phone)
