from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.inputs import text
from branchdesk.graphql.visits.queries import visit_uuid
from branchdesk.graphql.visits.types import ServiceLine, VisitNode, VisitPurpose
from branchdesk.visits import rules
from branchdesk.visits import service as visits


@strawberry.input(description="A walk-in to register: who (or nobody, for an anonymous walk-in), why, and which line.")
class RegisterVisitInput:
    purpose: VisitPurpose = strawberry.field(description="Why the client came.")
    line: ServiceLine = strawberry.field(description="The service line the lobby manager triages them to.")
    client_id: strawberry.ID | None = strawberry.field(default=None, description="A known client, by id.")
    phone: str | None = text("Or: the client's phone, found as the CRM finds it.", max_length=20, default=None)
    id_number: str | None = text("Or: the client's ID document number.", max_length=40, default=None)
    note: str | None = text("A note for those who serve them.", max_length=500, default=None)


@strawberry.input(description="Call the next ticket of a line (or one visit out of turn).")
class CallNextTicketInput:
    line: ServiceLine = strawberry.field(description="The line to call on.")
    visit_id: strawberry.ID | None = strawberry.field(
        default=None, description="Call this waiting visit out of turn (an appointment); it must be on `line`."
    )


@strawberry.input(description="A step on a visit in the queue.")
class VisitStepInput:
    visit_id: strawberry.ID = strawberry.field(description="The visit.")


@strawberry.input(description="Send a visit to another service line.")
class TransferTicketInput:
    visit_id: strawberry.ID = strawberry.field(description="The visit.")
    line: ServiceLine = strawberry.field(description="The line it goes to (it takes that line's next number).")
    note: str | None = text("Why, for the history.", max_length=500, default=None)


@strawberry.input(description="End a visit being served, with its outcome.")
class EndVisitInput:
    visit_id: strawberry.ID = strawberry.field(description="The visit.")
    services_done: list[str] = text("The services done (at most 10).", max_length=100, each=True, default_factory=list)
    products_of_interest: list[str] = text(
        "Products the client was interested in (at most 10).", max_length=100, each=True, default_factory=list
    )
    referral_raised: bool = strawberry.field(
        default=False, description="Whether a referral to a customer manager was raised for the client."
    )
    referral_note: str | None = text("What the client needs (required with a referral).", max_length=500, default=None)
    survey_sent: bool = strawberry.field(default=False, description="Whether the satisfaction survey was sent.")


async def _visit_now(root: VisitPayload, info: Info) -> VisitNode | None:
    if root.visit_id is None:
        return None
    found: VisitNode | None = await info.context.loaders.visit.load(root.visit_id)
    return found


@payload
class VisitPayload:
    visit: VisitNode | None = strawberry.field(
        resolver=_visit_now, description="The visit after the change (null if you may not read it)."
    )
    visit_id: strawberry.Private[uuid.UUID | None] = None


def _line(value: Any) -> rules.ServiceLine:
    return rules.ServiceLine(value.value)


@strawberry.type
class Mutations:
    @p.mutation(
        "visit:register",
        "Register a walk-in: a known client (by id, phone or ID number) or an anonymous walk-in, triaged to a "
        "service line, where it takes the line's next ticket number of the branch's day (A001…).",
    )
    async def register_visit(self, info: Info, input: RegisterVisitInput) -> VisitPayload:
        async def register(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft = visits.VisitDraft(
                purpose=rules.Purpose(input.purpose.value),
                line=_line(input.line),
                client_id=client_uuid(input.client_id, "clientId") if input.client_id is not None else None,
                phone=input.phone,
                id_number=input.id_number,
                note=input.note,
            )
            return {"visit_id": (await visits.register_visit(session, by, draft)).id}

        return await mutate(info, VisitPayload, register)

    @p.mutation(
        "queue:serve",
        "Call the next waiting ticket of a line you serve (two callers at once never get the same one); with "
        "`visitId`, that visit out of turn. `QUEUE_EMPTY` when nobody waits.",
    )
    async def call_next_ticket(self, info: Info, input: CallNextTicketInput) -> VisitPayload:
        async def call(session: AsyncSession, by: Principal) -> dict[str, object]:
            if input.visit_id is not None:
                visit = await visits.call_visit(session, by, visit_uuid(input.visit_id), line=_line(input.line))
            else:
                visit = await visits.call_next(session, by, _line(input.line))
            return {"visit_id": visit.id}

        return await mutate(info, VisitPayload, call)

    @p.mutation("queue:serve", "The client called has come to the desk: start the service.")
    async def start_service(self, info: Info, input: VisitStepInput) -> VisitPayload:
        async def start(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"visit_id": (await visits.start_service(session, by, visit_uuid(input.visit_id))).id}

        return await mutate(info, VisitPayload, start)

    @p.mutation(
        "queue:serve", "The client did not come when called (or left while waiting): the visit ends as abandoned."
    )
    async def mark_no_show(self, info: Info, input: VisitStepInput) -> VisitPayload:
        async def no_show(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"visit_id": (await visits.mark_no_show(session, by, visit_uuid(input.visit_id))).id}

        return await mutate(info, VisitPayload, no_show)

    @p.mutation(
        "queue:transfer",
        "Send a waiting, called or in-service visit to another line: its ticket is kept in the history as "
        "transferred and it takes the new line's next number.",
    )
    async def transfer_ticket(self, info: Info, input: TransferTicketInput) -> VisitPayload:
        async def move(session: AsyncSession, by: Principal) -> dict[str, object]:
            moved = await visits.transfer(session, by, visit_uuid(input.visit_id), _line(input.line), input.note)
            return {"visit_id": moved.id}

        return await mutate(info, VisitPayload, move)

    @p.mutation("queue:serve", "End a visit being served, with its outcome.")
    async def end_visit(self, info: Info, input: EndVisitInput) -> VisitPayload:
        async def end(session: AsyncSession, by: Principal) -> dict[str, object]:
            outcome = visits.Outcome(
                services_done=input.services_done,
                products_of_interest=input.products_of_interest,
                referral_raised=input.referral_raised,
                referral_note=input.referral_note,
                survey_sent=input.survey_sent,
            )
            return {"visit_id": (await visits.end_visit(session, by, visit_uuid(input.visit_id), outcome)).id}

        return await mutate(info, VisitPayload, end)
