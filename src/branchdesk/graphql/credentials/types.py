from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from branchdesk.credentials import self_service
from branchdesk.credentials.service import Activation, CodeStatus, Issued


@strawberry.type(description="An activation code just issued: shown this once, never again (only its hash is kept).")
class IssuedActivationCode:
    code: str = strawberry.field(description="Give it to the person (e.g. `K7QM-X3PA-9TWE`); single use.")
    expires_at: datetime = strawberry.field(description="After this it can no longer be redeemed.")

    @classmethod
    def of(cls, issued: Issued | None) -> IssuedActivationCode | None:
        return cls(code=issued.code, expires_at=issued.expires_at) if issued else None


@strawberry.enum(description="Where a person's latest activation code stands.")
class ActivationCodeStatus(Enum):
    NONE = strawberry.enum_value(CodeStatus.NONE.value, description="No code was ever issued.")
    PENDING = strawberry.enum_value(CodeStatus.PENDING.value, description="Can be redeemed until it expires.")
    USED = strawberry.enum_value(CodeStatus.USED.value, description="Redeemed: the person set their password.")
    EXPIRED = strawberry.enum_value(CodeStatus.EXPIRED.value, description="Expired unused: issue a new one.")
    SUPERSEDED = strawberry.enum_value(
        CodeStatus.SUPERSEDED.value, description="Replaced by a newer code, or a password was set another way."
    )


@strawberry.type(description="A person's latest activation code as an administrator sees it (never the code).")
class ActivationState:
    status: ActivationCodeStatus = strawberry.field(description="Where the latest code stands.")
    issued_at: datetime | None = strawberry.field(description="When the latest code was issued.")
    expires_at: datetime | None = strawberry.field(description="When it expires (or expired).")
    used_at: datetime | None = strawberry.field(description="When it was redeemed.")
    issued_by: str | None = strawberry.field(description="Who issued it, as the audit trail names them.")
    has_password: bool = strawberry.field(description="Whether the person has a password now.")

    @classmethod
    def of(cls, found: Activation) -> ActivationState:
        return cls(
            status=ActivationCodeStatus(found.status.value),
            issued_at=found.issued_at,
            expires_at=found.expires_at,
            used_at=found.used_at,
            issued_by=found.issued_by,
            has_password=found.has_password,
        )


@strawberry.type(description="One of your sessions: a sign-in, kept alive by refreshing its tokens.")
class SignedInSession:
    id: strawberry.ID = strawberry.field(description="The session's id, for `endSession`.")
    created_at: datetime = strawberry.field(description="When you signed in.")
    last_used_at: datetime = strawberry.field(description="The latest sign-in or token refresh of the session.")
    expires_at: datetime = strawberry.field(description="When it ends however often it is refreshed.")
    user_agent: str | None = strawberry.field(description="The browser or app that last used it, as it said.")
    address: str | None = strawberry.field(description="The network address that last used it.")
    current: bool = strawberry.field(description="True for the session this request's access token belongs to.")

    @classmethod
    def of(cls, found: self_service.SignedInSession) -> SignedInSession:
        return cls(
            id=strawberry.ID(str(found.id)),
            created_at=found.created_at,
            last_used_at=found.last_used_at,
            expires_at=found.expires_at,
            user_agent=found.user_agent,
            address=found.address,
            current=found.current,
        )


def caller(info: Info) -> self_service.Caller:
    ctx = info.context
    return self_service.Caller(ctx.staff_id, ctx.identity().session_id)


async def my_sessions(info: Info) -> list[SignedInSession]:
    """``Me.sessions``: read on the request's transaction (sessions belong to no branch)."""
    me = caller(info)
    found = await info.context.run(lambda session: self_service.my_sessions(session, me))
    return [SignedInSession.of(s) for s in found]
