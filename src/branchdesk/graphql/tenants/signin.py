from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import UserError, run_mutation
from branchdesk.tenants import signin


@strawberry.input
class SignInInput:
    employee_number: str
    password: str


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.type(description="Tokens of a signed-in session. Send the access token as `Authorization: Bearer …`.")
class SessionPayload:
    access_token: str | None = None
    token_type: str = "Bearer"
    expires_in: int | None = strawberry.field(default=None, description="Seconds until the access token expires.")
    refresh_token: str | None = strawberry.field(default=None, description="Single use: every refresh returns a new one.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    signed_out: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


def _session_payload(result: signin.Session | None, errors: list[UserError]) -> SessionPayload:
    if result is None:
        return SessionPayload(errors=errors)
    return SessionPayload(access_token=result.access_token, expires_in=result.expires_in, refresh_token=result.refresh_token)


@strawberry.type
class SignInMutations:
    @p.mutation(p.PUBLIC, "Sign in with employee number and password.")
    async def sign_in(self, info: Info, input: SignInInput) -> SessionPayload:
        rt = info.context.runtime
        result, errors = await run_mutation(
            info, lambda s: signin.sign_in(s, rt.keys, rt.settings, rt.queue, input.employee_number, input.password)
        )
        return _session_payload(result, errors)

    @p.mutation(p.PUBLIC, "Exchange a refresh token for new tokens; a reused refresh token ends its whole session.")
    async def refresh_session(self, info: Info, input: RefreshTokenInput) -> SessionPayload:
        rt = info.context.runtime
        result, errors = await run_mutation(info, lambda s: signin.refresh(s, rt.keys, rt.settings, input.refresh_token))
        return _session_payload(result, errors)

    @p.mutation(p.PUBLIC, "End the session that the refresh token belongs to.")
    async def sign_out(self, info: Info, input: RefreshTokenInput) -> SignOutPayload:
        _, errors = await run_mutation(info, lambda s: signin.sign_out(s, input.refresh_token))
        return SignOutPayload(signed_out=not errors, errors=errors)
