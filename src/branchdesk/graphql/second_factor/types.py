"""GraphQL types of the second factor (TOTP at sign-in)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.graphql.vocabulary import RoleInfo
from branchdesk.second_factor import service
from branchdesk.tenants.signin import PendingSignIn


@strawberry.type(description="Your second factor (an authenticator app's TOTP codes) as `me` sees it.")
class SecondFactorStatus:
    enrolled: bool = strawberry.field(description="True once a second factor is set up and confirmed.")
    required: bool = strawberry.field(
        description="True when a role you hold in any branch must use a second factor (head office's rule)."
    )
    recovery_codes_left: int = strawberry.field(description="Unused recovery codes; 0 when none is set up.")


async def status_of(info: Info, held: set[str]) -> SecondFactorStatus:
    """The signed-in staff member's status; ``held``: the roles they hold in any branch."""
    ctx = info.context
    staff_id = ctx.staff_id
    found = await ctx.run(lambda session: service.status(session, ctx.settings, staff_id, held))
    return SecondFactorStatus(
        enrolled=found.enrolled, required=found.required, recovery_codes_left=found.recovery_codes_left
    )


@strawberry.type(
    description="The second step of a sign-in: no tokens yet. Send `challenge` to `completeSignIn` with a code "
    "or, when `enrolmentRequired`, to `beginTotpEnrolment` and then `confirmTotpEnrolment`."
)
class SecondFactorChallenge:
    challenge: str = strawberry.field(description="Opaque and single use; bound to the staff member signing in.")
    expires_in: int = strawberry.field(description="Seconds until the challenge expires (then sign in again).")
    enrolment_required: bool = strawberry.field(
        description="True: your roles require a second factor and none is set up; the challenge is good only for "
        "enrolment, whose confirmation completes the sign-in."
    )

    @classmethod
    def of(cls, pending: PendingSignIn) -> SecondFactorChallenge:
        return cls(
            challenge=pending.challenge, expires_in=pending.expires_in, enrolment_required=pending.enrolment_required
        )


@strawberry.type(description="Head office's rule: which roles must use a second factor at sign-in.")
class SecondFactorPolicy:
    roles: list[RoleInfo] = strawberry.field(description="A member holding any of these roles, in any branch.")
    enforced: bool = strawberry.field(
        description="False only in a development deployment that relaxed it (`BRANCHDESK_SECOND_FACTOR_ENFORCED`)."
    )
