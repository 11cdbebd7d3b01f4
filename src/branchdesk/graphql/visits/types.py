"""GraphQL types of walk-in visits and the queue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.crm.types import Client
from branchdesk.graphql.labels import graphql_enum
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.visits import rules
from branchdesk.visits import service as visits
from branchdesk.visits.models import QueueTicket, Visit

VisitPurpose = graphql_enum(rules.Purpose, "VisitPurpose", "Why a client came to the branch.")
ServiceLine = graphql_enum(
    rules.ServiceLine, "ServiceLine", "A service line of the branch's queue; each has its ticket prefix (A, B, V, S)."
)
TicketState = graphql_enum(
    rules.TicketState, "TicketState", "Where a queue ticket stands; a visit's state is its current ticket's."
)


@strawberry.type(description="A queue ticket: one line a visit waited on, with its number and times.")
class QueueTicketInfo:
    number: str = strawberry.field(description="The ticket number, e.g. `A007`: the line's prefix and sequence.")
    line: ServiceLine = strawberry.field(description="The line it was issued on.")  # type: ignore[valid-type]
    state: TicketState = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    local_day: date = strawberry.field(description="The branch's local day it was issued (numbers restart daily).")
    issued_at: datetime = strawberry.field(description="When it was issued.")
    called_at: datetime | None = strawberry.field(description="When it was called; null while waiting.")
    started_at: datetime | None = strawberry.field(description="When the service started.")
    ended_at: datetime | None = strawberry.field(description="When it was served, marked no-show or transferred.")
    transferred_to: ServiceLine | None = strawberry.field(  # type: ignore[valid-type]
        description="The line it was transferred to, when it was."
    )
    note: str | None = strawberry.field(description="Why it was transferred.")
    visit_id: strawberry.Private[uuid.UUID]
    called_by_id: strawberry.Private[uuid.UUID | None]
    served_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: QueueTicket) -> QueueTicketInfo:
        return cls(
            number=found.number,
            line=rules.ServiceLine(found.line),
            state=rules.TicketState(found.state),
            local_day=found.local_day,
            issued_at=found.issued_at,
            called_at=found.called_at,
            started_at=found.started_at,
            ended_at=found.ended_at,
            transferred_to=rules.ServiceLine(found.transferred_to) if found.transferred_to else None,
            note=found.note,
            visit_id=found.visit_id,
            called_by_id=found.called_by,
            served_by_id=found.served_by,
        )

    @strawberry.field(description="Who called it; null for the system or a former member.")
    async def called_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.called_by_id)

    @strawberry.field(description="Who served it; null until the service started.")
    async def served_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.served_by_id)

    @strawberry.field(description="The visit the ticket belongs to.")
    async def visit(self, info: Info) -> VisitNode | None:
        found: VisitNode | None = await info.context.loaders.visit.load(self.visit_id)
        return found


@strawberry.type(
    name="Visit",
    description="A walk-in visit (到店客户): a known client or an anonymous walk-in, why they came, their tickets "
    "through the queue's lines and, once ended, the outcome.",
)
class VisitNode(LoadedNode):
    node_loader = "visit"
    id: relay.NodeID[str]
    purpose: VisitPurpose = strawberry.field(description="Why the client came.")  # type: ignore[valid-type]
    note: str | None = strawberry.field(description="The lobby manager's note at registration.")
    anonymous: bool = strawberry.field(description="No client is named (a walk-in who was not identified).")
    local_day: date = strawberry.field(description="The branch's local day of the visit.")
    registered_at: datetime = strawberry.field(description="When it was registered.")
    line: ServiceLine = strawberry.field(description="The current ticket's line.")  # type: ignore[valid-type]
    ticket_number: str = strawberry.field(description="The current ticket's number, e.g. `V003`.")
    state: TicketState = strawberry.field(description="The current ticket's state.")  # type: ignore[valid-type]
    ended_at: datetime | None = strawberry.field(description="When the visit ended (served or no-show).")
    services_done: list[str] = strawberry.field(description="Outcome: the services done for the client.")
    products_of_interest: list[str] = strawberry.field(description="Outcome: products the client was interested in.")
    referral_raised: bool | None = strawberry.field(
        description="Outcome: whether a referral to a customer manager was raised; null until the visit ends."
    )
    referral_note: str | None = strawberry.field(description="Outcome: what the client needs, for the referral.")
    survey_sent: bool | None = strawberry.field(
        description="Outcome: whether the satisfaction survey was sent; null until the visit ends."
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")
    client_id: strawberry.Private[uuid.UUID | None]
    registered_by_id: strawberry.Private[uuid.UUID | None]
    ended_by_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: Visit) -> VisitNode:
        return cls(
            id=str(found.id),
            purpose=rules.Purpose(found.purpose),
            note=found.note,
            anonymous=found.client_id is None,
            local_day=found.local_day,
            registered_at=found.registered_at,
            line=rules.ServiceLine(found.line),
            ticket_number=found.ticket_number,
            state=rules.TicketState(found.state),
            ended_at=found.ended_at,
            services_done=list(found.services_done),
            products_of_interest=list(found.products_of_interest),
            referral_raised=found.referral_raised,
            referral_note=found.referral_note,
            survey_sent=found.survey_sent,
            updated_at=found.updated_at,
            client_id=found.client_id,
            registered_by_id=found.registered_by,
            ended_by_id=found.ended_by,
        )

    @strawberry.field(
        description="The client; null when anonymous, or when the client is outside your data scope for "
        "`client:read` (tellers and lobby managers read routing cards instead)."
    )
    async def client(self, info: Info) -> Client | None:
        if self.client_id is None:
            return None
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found

    @strawberry.field(description="The visit's tickets, oldest first: every line it waited on, transfers included.")
    async def tickets(self, info: Info) -> list[QueueTicketInfo]:
        found: list[QueueTicket] = await info.context.loaders.visit_tickets.load(uuid.UUID(self.id))
        return [QueueTicketInfo.of(t) for t in found]

    @strawberry.field(description="Who registered it; null for the system or a former member.")
    async def registered_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.registered_by_id)

    @strawberry.field(description="Who ended it; null while it goes on.")
    async def ended_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.ended_by_id)


@strawberry.type(name="VisitConnection", description="A page of visits.")
class VisitConnection(CountedConnection[VisitNode]):
    pass


@strawberry.enum(description="What a visit list is sorted by.")
class VisitOrderField(Enum):
    REGISTERED_AT = strawberry.enum_value("registered_at", description="When it was registered; ties by id.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed; ties by id.")


@strawberry.input(description="How a visit list is sorted.")
class VisitOrder:
    field: VisitOrderField = VisitOrderField.REGISTERED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Which visits a list shows (all given conditions hold).")
class VisitFilter:
    day: date | None = strawberry.field(default=None, description="Only visits of this local day of the branch.")
    line: ServiceLine | None = strawberry.field(default=None, description="Only visits now on this line.")  # type: ignore[valid-type]
    state: TicketState | None = strawberry.field(default=None, description="Only visits in this state.")  # type: ignore[valid-type]


@strawberry.type(description="A waiting ticket's place in its line.")
class QueuePosition:
    ahead: int = strawberry.field(description="How many wait before it.")
    estimated_wait_minutes: int = strawberry.field(description="Estimated minutes until it is called.")
    ticket: QueueTicketInfo = strawberry.field(description="The ticket.")


@strawberry.type(description="The live board of a service line today.")
class QueueBoard:
    line: ServiceLine = strawberry.field(description="The line.")  # type: ignore[valid-type]
    waiting_count: int = strawberry.field(description="How many wait.")
    waiting: list[QueuePosition] = strawberry.field(description="Who waits, in the order they will be called.")
    being_served: list[QueueTicketInfo] = strawberry.field(description="Tickets called or in service now.")
    staff_serving_today: int = strawberry.field(description="Staff who have served this line today.")
    recent_services: int = strawberry.field(description="How many recent services the average is taken over.")
    average_service_seconds: float | None = strawberry.field(
        description="The average of the line's recent service times (last 20 in 7 days); null before any."
    )
    estimated_wait_minutes: int = strawberry.field(
        description="Estimated wait for a client who takes a ticket now: those waiting × the average service time "
        "(a default per line before any) ÷ the staff serving the line today (at least one)."
    )

    @classmethod
    def of(cls, board: visits.QueueBoard) -> QueueBoard:
        average = board.average_service_time
        return cls(
            line=board.line,
            waiting_count=len(board.waiting),
            waiting=[
                QueuePosition(ahead=i, estimated_wait_minutes=board.wait_for(i), ticket=QueueTicketInfo.of(t))
                for i, t in enumerate(board.waiting)
            ],
            being_served=[QueueTicketInfo.of(t) for t in board.being_served],
            staff_serving_today=board.staff_serving_today,
            recent_services=board.recent_services,
            average_service_seconds=average.total_seconds() if average is not None else None,
            estimated_wait_minutes=board.estimated_wait_minutes,
        )


@strawberry.type(description="A line's queue in one local hour of a day (tickets by the hour they were issued).")
class QueueHourMetrics:
    line: ServiceLine = strawberry.field(description="The line.")  # type: ignore[valid-type]
    hour: int = strawberry.field(description="The local hour the tickets were issued in, 0 to 23.")
    arrivals: int = strawberry.field(description="Tickets issued (a transfer is an arrival on its new line).")
    called: int = strawberry.field(description="Of those, how many were called.")
    average_wait_seconds: float | None = strawberry.field(description="Average wait from issue to call.")
    p90_wait_seconds: float | None = strawberry.field(description="90th percentile of the wait from issue to call.")
    served: int = strawberry.field(description="Of those, how many were served to the end.")
    average_service_seconds: float | None = strawberry.field(description="Average service time (start to end).")
    no_shows: int = strawberry.field(description="Abandoned: marked no-show.")
    abandonment_rate: float = strawberry.field(description="No-shows ÷ arrivals.")

    @classmethod
    def of(cls, found: visits.HourMetrics) -> QueueHourMetrics:
        return cls(
            line=found.line,
            hour=found.hour,
            arrivals=found.arrivals,
            called=found.called,
            average_wait_seconds=found.average_wait_seconds,
            p90_wait_seconds=found.p90_wait_seconds,
            served=found.served,
            average_service_seconds=found.average_service_seconds,
            no_shows=found.no_shows,
            abandonment_rate=found.abandonment_rate,
        )
