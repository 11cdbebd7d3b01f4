from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import answer, mutate, payload, run_mutation
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.tenants.mutations import SessionPayload
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.graphql.vocabulary import RoleInfo
from branchdesk.second_factor import service
from branchdesk.second_factor.permissions import SECOND_FACTOR_POLICY
from branchdesk.tenants import signin
from branchdesk.tenants.permissions import STAFF_MANAGE

_CHALLENGE = "The enrolment challenge that `signIn` returned (`secondFactor.challenge`); leave it out when signed in."
_CHALLENGE_MAX = 100
_CODE_MAX = 32


@strawberry.input
class BeginTotpEnrolmentInput:
    challenge: str | None = text(_CHALLENGE, max_length=_CHALLENGE_MAX, default=None)


@payload(description="What an authenticator app needs to set up the second factor; shown only now.")
class BeginTotpEnrolmentPayload:
    provisioning_uri: str | None = strawberry.field(
        default=None, description="`otpauth://totp/Branchdesk:<employee number>?secret=…&issuer=Branchdesk`."
    )
    qr_code_svg: str | None = strawberry.field(
        default=None, description="The provisioning URI as a QR code, an SVG document to show to the phone."
    )


@strawberry.input
class ConfirmTotpEnrolmentInput:
    code: str = text("The 6-digit code the authenticator app shows now.", max_length=_CODE_MAX)
    challenge: str | None = text(_CHALLENGE, max_length=_CHALLENGE_MAX, default=None)


@payload(description="The second factor is active: keep the recovery codes somewhere safe, they are shown only now.")
class ConfirmTotpEnrolmentPayload:
    recovery_codes: list[str] | None = strawberry.field(
        default=None, description="Ten single-use codes (`XXXX-XXXX-XXXX`) for when the phone is not at hand."
    )
    access_token: str | None = strawberry.field(
        default=None, description="With a `challenge`: the sign-in is complete, as `signIn` would answer; else null."
    )
    token_type: str = strawberry.field(default="Bearer", description="Always `Bearer`.")
    expires_in: int | None = strawberry.field(default=None, description="Seconds until the access token expires.")
    refresh_token: str | None = strawberry.field(default=None, description="With a `challenge`: the refresh token.")


@strawberry.input
class CompleteSignInInput:
    challenge: str = text("`signIn`'s `secondFactor.challenge`.", max_length=_CHALLENGE_MAX)
    code: str = text(
        "The 6-digit code of the authenticator app, or an unused recovery code (`XXXX-XXXX-XXXX`).",
        max_length=_CODE_MAX,
    )


@strawberry.input
class DisableSecondFactorInput:
    code: str = text("The 6-digit code the authenticator app shows now.", max_length=_CODE_MAX)


@payload
class DisableSecondFactorPayload:
    disabled: bool = strawberry.field(default=False, description="True once the second factor is removed.")


@strawberry.input
class ResetSecondFactorInput:
    staff_id: strawberry.ID = strawberry.field(description="The `StaffMember` whose second factor is removed.")


async def _staff_now(root: ResetSecondFactorPayload, info: Info) -> StaffMember | None:
    return await member_or_none(info, root.staff_id)


@payload
class ResetSecondFactorPayload:
    staff: StaffMember | None = strawberry.field(
        resolver=_staff_now, description="The staff member, as seen from the active branch (null outside it)."
    )
    reset: bool | None = strawberry.field(
        default=None, description="True once their second factor is removed; null when refused."
    )
    staff_id: strawberry.Private[uuid.UUID | None] = None


@strawberry.input
class SetSecondFactorPolicyInput:
    roles: list[str] = text(
        "Every role that must use a second factor (the whole list; empty: none).", max_length=50, each=True
    )


@payload
class SetSecondFactorPolicyPayload:
    roles: list[RoleInfo] | None = strawberry.field(default=None, description="The roles that must use one now.")


def _client(info: Info) -> signin.Client:
    """Where the sign-in comes from, kept with its session (``me.sessions``)."""
    return signin.Client(info.context.connection.client_address, info.context.connection.header("user-agent"))


@strawberry.type
class Mutations:
    @p.mutation(
        p.PUBLIC,
        "Start setting up a second factor (TOTP): a new secret, shown once as a provisioning URI and a QR code, "
        "pending until `confirmTotpEnrolment`; starting again replaces a pending one. Either signed in, or with "
        "the enrolment challenge `signIn` gave someone whose roles require a second factor.",
    )
    async def begin_totp_enrolment(self, info: Info, input: BeginTotpEnrolmentInput) -> BeginTotpEnrolmentPayload:
        ctx = info.context

        async def begin(session: AsyncSession) -> service.Enrolment:
            staff_id = None if input.challenge is not None else ctx.staff_id
            staff = await service.enrolling(session, staff_id, input.challenge)
            return await service.begin_enrolment(session, ctx.settings, staff)

        result, errors = await run_mutation(info, begin)
        if result is None:
            return answer(BeginTotpEnrolmentPayload, errors)
        return answer(
            BeginTotpEnrolmentPayload, [], provisioning_uri=result.provisioning_uri, qr_code_svg=result.qr_code_svg
        )

    @p.mutation(
        p.PUBLIC,
        "Activate the pending second factor with a first valid code; returns ten single-use recovery codes, shown "
        "once. With an enrolment challenge it also completes that sign-in (tokens); otherwise needs a signed-in "
        "staff member.",
    )
    async def confirm_totp_enrolment(self, info: Info, input: ConfirmTotpEnrolmentInput) -> ConfirmTotpEnrolmentPayload:
        ctx, rt = info.context, info.context.runtime

        async def confirm(session: AsyncSession) -> service.Confirmed:
            staff_id = None if input.challenge is not None else ctx.staff_id
            staff = await service.enrolling(session, staff_id, input.challenge)
            return await service.confirm_enrolment(
                session, rt.keys, rt.settings, rt.redis, staff, input.code, input.challenge, _client(info)
            )

        result, errors = await run_mutation(info, confirm)
        if result is None:
            return answer(ConfirmTotpEnrolmentPayload, errors)
        tokens = result.tokens
        return answer(
            ConfirmTotpEnrolmentPayload,
            [],
            recovery_codes=result.recovery_codes,
            access_token=tokens.access_token if tokens else None,
            expires_in=tokens.expires_in if tokens else None,
            refresh_token=tokens.refresh_token if tokens else None,
        )

    @p.mutation(
        p.PUBLIC,
        "The second step of `signIn`: its challenge and a TOTP code (or a recovery code) for the tokens. A wrong "
        "code counts toward the sign-in lockout; a code already used (the same 30-second step) is refused.",
    )
    async def complete_sign_in(self, info: Info, input: CompleteSignInInput) -> SessionPayload:
        rt = info.context.runtime
        result, errors = await run_mutation(
            info,
            lambda s: service.complete_sign_in(
                s, rt.keys, rt.settings, rt.redis, input.challenge, input.code, _client(info)
            ),
        )
        if result is None:
            return answer(SessionPayload, errors)
        return answer(
            SessionPayload,
            [],
            access_token=result.access_token,
            expires_in=result.expires_in,
            refresh_token=result.refresh_token,
        )

    @p.mutation(
        p.SIGNED_IN,
        "Turn your own second factor off with a current code; refused while your roles require one.",
    )
    async def disable_second_factor(self, info: Info, input: DisableSecondFactorInput) -> DisableSecondFactorPayload:
        ctx, rt = info.context, info.context.runtime
        staff_id = ctx.staff_id
        held = await service.roles_anywhere(rt.db, staff_id)
        _, errors = await run_mutation(
            info, lambda s: service.disable_own(s, rt.settings, rt.redis, staff_id, held, input.code)
        )
        return answer(DisableSecondFactorPayload, errors, disabled=not errors)

    @p.mutation(
        STAFF_MANAGE,
        "Remove a staff member's second factor (a lost phone): they set one up again at their next sign-in, and "
        "every session of theirs ends. A member of the active branch only (another branch's is not found; an "
        "operator can reset anyone with `branchdesk staff reset-second-factor`). Audited.",
    )
    async def reset_second_factor(self, info: Info, input: ResetSecondFactorInput) -> ResetSecondFactorPayload:
        async def reset(session: AsyncSession, by: Principal) -> dict[str, object]:
            staff_id = staff_uuid(input.staff_id)
            await service.reset(session, by, staff_id)
            return {"staff_id": staff_id, "reset": True}

        return await mutate(info, ResetSecondFactorPayload, reset)

    @p.mutation(
        SECOND_FACTOR_POLICY,
        "Set which roles must use a second factor at sign-in, in every branch (head office; audited).",
    )
    async def set_second_factor_policy(
        self, info: Info, input: SetSecondFactorPolicyInput
    ) -> SetSecondFactorPolicyPayload:
        async def change(session: AsyncSession, by: Principal) -> dict[str, object]:
            roles = await service.set_required_roles(session, by, input.roles)
            return {"roles": [RoleInfo(name=r) for r in roles]}

        return await mutate(info, SetSecondFactorPolicyPayload, change)
