from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.calendars import service as calendars
from branchdesk.graphql import permissions as p
from branchdesk.graphql.calendars.types import BranchClosure, Holiday, HolidayKind
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.inputs import text
from branchdesk.platform.errors import NotFound


@strawberry.input
class SetHolidayInput:
    date: date = strawberry.field(description="The day.")
    kind: HolidayKind = strawberry.field(description="Holiday or make-up working day.")  # type: ignore[valid-type]
    region: str = text(
        "`CN` (mainland), `HK`, `GB`, a subdivision such as `CN-XZ`, or `ALL` for every branch.", max_length=16
    )
    name_zh: str = text("Name in Chinese, e.g. 春节.", max_length=100)
    name_en: str = text("Name in English, e.g. Spring Festival.", max_length=100)


@strawberry.input
class RemoveHolidayInput:
    date: date = strawberry.field(description="The day.")
    region: str = text("The region whose entry to remove (`CN`, `ALL`…).", max_length=16)


@strawberry.input
class AddBranchClosureInput:
    starts_on: date = strawberry.field(description="First closed day (local date, after today).")
    ends_on: date = strawberry.field(description="Last closed day (at most 366 days after the first).")
    reason: str = text("Why, e.g. renovation or a local holiday.", max_length=200)


@strawberry.input
class RemoveBranchClosureInput:
    id: strawberry.ID = strawberry.field(description="The closure; only one that has not begun can be removed.")


@payload
class HolidayPayload:
    holiday: Holiday | None = None


@payload
class BranchClosurePayload:
    branch_closure: BranchClosure | None = None


@strawberry.type
class Mutations:
    @p.mutation(
        "calendar:manage",
        "Create or replace the head-office calendar entry of a day and region (idempotent). Every branch of the "
        "region follows it from the next calendar it loads.",
    )
    async def set_holiday(self, info: Info, input: SetHolidayInput) -> HolidayPayload:
        async def set_(session: AsyncSession, by: Principal) -> dict[str, object]:
            entry = calendars.HolidayEntry(input.date, input.kind, input.name_zh, input.name_en, input.region)
            return {"holiday": Holiday.from_model(await calendars.set_holiday(session, by, entry))}

        return await mutate(info, HolidayPayload, set_)

    @p.mutation(
        "calendar:manage", "Remove the head-office calendar entry of a day and region; returns the entry removed."
    )
    async def remove_holiday(self, info: Info, input: RemoveHolidayInput) -> HolidayPayload:
        async def remove(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {
                "holiday": Holiday.from_model(await calendars.remove_holiday(session, by, input.date, input.region))
            }

        return await mutate(info, HolidayPayload, remove)

    @p.mutation(
        "branch:manage_calendar",
        "Close the active branch for some days (renovation, a local holiday); refused for days that have begun "
        "and for days already closed.",
    )
    async def add_branch_closure(self, info: Info, input: AddBranchClosureInput) -> BranchClosurePayload:
        async def add(session: AsyncSession, by: Principal) -> dict[str, object]:
            closure = await calendars.add_closure(session, by, input.starts_on, input.ends_on, input.reason)
            return {"branch_closure": BranchClosure.from_model(closure)}

        return await mutate(info, BranchClosurePayload, add)

    @p.mutation(
        "branch:manage_calendar", "Withdraw a closure of the active branch that has not begun; returns it as it was."
    )
    async def remove_branch_closure(self, info: Info, input: RemoveBranchClosureInput) -> BranchClosurePayload:
        async def remove(session: AsyncSession, by: Principal) -> dict[str, object]:
            closure_id = node_uuid(input.id, "BranchClosure", NotFound("Branch closure", "停业安排", field="id"))
            return {"branch_closure": BranchClosure.from_model(await calendars.remove_closure(session, by, closure_id))}

        return await mutate(info, BranchClosurePayload, remove)
