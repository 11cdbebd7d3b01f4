from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.availability import service as availability
from branchdesk.graphql import permissions as p
from branchdesk.graphql.availability.queries import absence_uuid
from branchdesk.graphql.availability.types import StaffAbsenceNode
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text


@strawberry.input(description="A staff member away, and who covers.")
class RecordAbsenceInput:
    staff_id: strawberry.ID = strawberry.field(
        description="Who is away (yourself, or anyone with availability:manage)."
    )
    starts_at: datetime = strawberry.field(description="From when.")
    ends_at: datetime = strawberry.field(description="Until when (at most a year later).")
    reason: str = text("Why (annual leave, training…).", max_length=200)
    cover_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Who takes their work: a member of the branch for the whole absence (a colleague of another "
        "branch through a cover membership), not away themselves.",
    )


@strawberry.input(description="Withdraw an absence.")
class CancelAbsenceInput:
    id: strawberry.ID = strawberry.field(description="The absence.")


@payload
class AbsencePayload:
    absence: StaffAbsenceNode | None = strawberry.field(
        default=None, description="The absence as recorded (or as it was, when cancelled)."
    )


@strawberry.type
class Mutations:
    @p.mutation(
        "availability:record_own",
        "Record an absence (your own; anyone's with `availability:manage`) and name the cover who takes the work.",
    )
    async def record_absence(self, info: Info, input: RecordAbsenceInput) -> AbsencePayload:
        async def record(session: AsyncSession, by: Principal) -> dict[str, object]:
            found = await availability.record_absence(
                session,
                by,
                staff_uuid(input.staff_id),
                input.starts_at,
                input.ends_at,
                input.reason,
                staff_uuid(input.cover_id, "coverId") if input.cover_id is not None else None,
            )
            return {"absence": StaffAbsenceNode.of(found)}

        return await mutate(info, AbsencePayload, record)

    @p.mutation(
        "availability:record_own",
        "Withdraw an absence (your own; anyone's with `availability:manage`): work already moved stays.",
    )
    async def cancel_absence(self, info: Info, input: CancelAbsenceInput) -> AbsencePayload:
        async def cancel(session: AsyncSession, by: Principal) -> dict[str, object]:
            found = await availability.cancel_absence(session, by, absence_uuid(input.id))
            return {"absence": StaffAbsenceNode.of(found)}

        return await mutate(info, AbsencePayload, cancel)
