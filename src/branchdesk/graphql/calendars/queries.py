from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.calendars import service as calendars
from branchdesk.graphql import permissions as p
from branchdesk.graphql.calendars.types import BranchClosure, Holiday
from branchdesk.graphql.inputs import text_argument


@strawberry.type
class Queries:
    @p.field(
        "calendar:read",
        "The head-office calendar of a year, by date: holidays and make-up working days of every region, or of "
        "one region (and `ALL`).",
    )
    async def holidays(
        self,
        info: Info,
        year: Annotated[int, strawberry.argument(description="The year, 2000 to 2099.")],
        region: Annotated[
            str | None, text_argument("A region such as `CN`; every region when omitted.", max_length=16)
        ] = None,
    ) -> list[Holiday] | None:
        found = await info.context.call(calendars.holidays, year, region)
        return [Holiday.from_model(d) for d in found]

    @p.field(
        "calendar:read",
        "The active branch's closures meeting the dates (all of them without dates), by start date.",
    )
    async def branch_closures(
        self,
        info: Info,
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="Closures ending on or after this day.")
        ] = None,
        to: Annotated[date | None, strawberry.argument(description="Closures starting on or before this day.")] = None,
    ) -> list[BranchClosure] | None:
        found = await info.context.call(calendars.closures, from_, to)
        return [BranchClosure.from_model(c) for c in found]

    @p.field(
        "calendar:read",
        "The active branch's working days from `from` to `to` (both included, at most 366 days): its opening "
        "hours, less head-office holidays and its closures, plus make-up working days.",
    )
    async def working_days(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from", description="First day asked about.")],
        to: Annotated[date, strawberry.argument(description="Last day asked about.")],
    ) -> list[date] | None:
        found: list[date] = await info.context.call(calendars.working_days, from_, to)
        return found

    @p.field(
        "calendar:read",
        "The active branch's next working day after `date` (or `date` itself when it is one and `includeDate`): "
        "where a due date that falls on a day off moves.",
    )
    async def next_working_day(
        self,
        info: Info,
        day: Annotated[date, strawberry.argument(name="date", description="The day to start from.")],
        include_date: Annotated[
            bool, strawberry.argument(description="Answer `date` itself when it is a working day.")
        ] = False,
    ) -> date | None:
        found: date = await info.context.call(calendars.next_working_day, day, include_date)
        return found
