from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.staffing.types import MembershipPeriod
from branchdesk.staffing import service
from branchdesk.tenants.permissions import STAFF_READ


@strawberry.type
class Queries:
    @p.field(
        STAFF_READ,
        "The active branch's membership history, oldest first: one member's periods (`employeeNumber`), or who "
        "was a member with which roles at a moment (`at`), or both. Needs at least one of them.",
    )
    async def membership_history(
        self,
        info: Info,
        employee_number: Annotated[str | None, text_argument("Only this member's periods.", max_length=32)] = None,
        at: Annotated[
            datetime | None, strawberry.argument(description="Only the periods that counted at this moment.")
        ] = None,
    ) -> list[MembershipPeriod] | None:
        found = await info.context.call(service.membership_history, employee_number, at)
        return [MembershipPeriod.of(period, staff) for period, staff in found]
