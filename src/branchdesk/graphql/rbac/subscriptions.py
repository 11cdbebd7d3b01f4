from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql import live
from branchdesk.graphql import permissions as p
from branchdesk.rbac import events
from branchdesk.rbac.permissions import POLICY_AUDIT


@strawberry.enum(description="What a policy change touched.")
class PolicyChangedKind(Enum):
    PERMISSION = strawberry.enum_value("permission", description="A role's permission in the branch.")
    ROLES = strawberry.enum_value("roles", description="A member's roles in the branch.")
    BASELINE = strawberry.enum_value("baseline", description="The head-office baseline, which every branch builds on.")
    SERVICE_ACCOUNT = strawberry.enum_value("service_account", description="A service account's grants.")


@strawberry.type(description="A change to the active branch's policy or role assignments, once it has committed.")
class PolicyChangedEvent:
    branch_code: str = strawberry.field(description="The branch whose policy changed: the subscription's.")
    kind: PolicyChangedKind = strawberry.field(description="What the change touched.")
    change_id: strawberry.ID | None = strawberry.field(
        description="The `PolicyChange` recorded (read it with `node(id:)`); null for baseline and "
        "service-account changes, which are recorded elsewhere."
    )
    changed_at: datetime = strawberry.field(description="When the change committed.")


@strawberry.type
class Subscriptions:
    @p.subscription(
        POLICY_AUDIT,
        "Each change to the active branch's policy or role assignments, as it commits, whichever API "
        "process it was made through. Every event is checked against the branch's policy as it is then: "
        "the subscription ends with `FORBIDDEN` once the permission is gone.",
    )
    async def policy_changed(self, info: Info) -> AsyncGenerator[PolicyChangedEvent, None]:
        branch_code = info.context.principal().branch.code
        topics = frozenset({events.POLICY_CHANGED})
        async for event in live.events(info, topics, POLICY_AUDIT, policy=True):
            change = event.data.get("change")
            yield PolicyChangedEvent(
                branch_code=branch_code,
                kind=PolicyChangedKind(event.data["kind"]),
                change_id=strawberry.ID(relay.to_base64("PolicyChange", change)) if change else None,
                changed_at=event.at,
            )
