"""GraphQL types of support tickets and incidents."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.handoffs.types import HandoffNode
from branchdesk.graphql.labels import graphql_enum
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.tickets import rules
from branchdesk.tickets.models import Incident, IncidentParticipant, IncidentUpdate, SupportTicket

TicketQueue = graphql_enum(rules.TicketQueue, "TicketQueue", "Who a support ticket goes to.")
TicketCategory = graphql_enum(rules.TicketCategory, "TicketCategory", "What a support ticket is about.")
TicketSeverity = graphql_enum(rules.Severity, "TicketSeverity", "How severe a ticket is (it sets its SLA).")
IncidentKind = graphql_enum(rules.IncidentKind, "IncidentKind", "What kind of incident the branch is in.")
IncidentState = graphql_enum(rules.IncidentState, "IncidentState", "Whether an incident is still being handled.")


@strawberry.type(
    name="SupportTicket",
    description="A support ticket (技术支持工单) to IT support or the back office. Its `handoff` (same id) carries "
    "the state, the assignee, the SLA and the escalation: work it with the handoff mutations.",
)
class SupportTicketNode(LoadedNode):
    node_loader = "ticket"
    id: relay.NodeID[str]
    queue: TicketQueue = strawberry.field(description="Who it goes to.")  # type: ignore[valid-type]
    category: TicketCategory = strawberry.field(description="What it is about.")  # type: ignore[valid-type]
    severity: TicketSeverity = strawberry.field(description="How severe it is.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="What is wrong, in a line.")
    created_at: datetime = strawberry.field(description="When it was opened.")

    @classmethod
    def of(cls, found: SupportTicket) -> SupportTicketNode:
        return cls(
            id=str(found.id),
            queue=rules.TicketQueue(found.queue),
            category=rules.TicketCategory(found.category),
            severity=rules.Severity(found.severity),
            title=found.title,
            created_at=found.created_at,
        )

    @strawberry.field(description="The handoff that carries its workflow, assignee and SLA.")
    async def handoff(self, info: Info) -> HandoffNode | None:
        found: HandoffNode | None = await info.context.loaders.handoff.load(uuid.UUID(self.id))
        return found


@strawberry.type(name="SupportTicketConnection", description="A page of support tickets.")
class SupportTicketConnection(CountedConnection[SupportTicketNode]):
    pass


@strawberry.type(description="One entry of an incident's timeline.")
class IncidentUpdateEntry:
    body: str = strawberry.field(description="What happened, or what was done.")
    at: datetime = strawberry.field(description="When it was posted.")
    author_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: IncidentUpdate) -> IncidentUpdateEntry:
        return cls(body=found.body, at=found.created_at, author_id=found.author_id)

    @strawberry.field(description="Who posted it; null for a former member.")
    async def author(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.author_id)


@strawberry.type(
    name="Incident",
    description="The branch in incident mode (突发事件): a system outage, a security event or crowding. One open per "
    "kind; everyone on duty was told when it was declared.",
)
class IncidentNode(LoadedNode):
    node_loader = "incident"
    id: relay.NodeID[str]
    kind: IncidentKind = strawberry.field(description="What kind of incident.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="What is happening, in a line.")
    state: IncidentState = strawberry.field(description="Open or closed.")  # type: ignore[valid-type]
    declared_at: datetime = strawberry.field(description="When it was declared.")
    closed_at: datetime | None = strawberry.field(description="When it was closed.")
    review: str | None = strawberry.field(description="The closing review: cause, impact, lessons.")
    declared_by: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: Incident) -> IncidentNode:
        return cls(
            id=str(found.id),
            kind=rules.IncidentKind(found.kind),
            title=found.title,
            state=rules.IncidentState(found.state),
            declared_at=found.created_at,
            closed_at=found.closed_at,
            review=found.review,
            declared_by=found.declared_by,
        )

    @strawberry.field(description="Who declared it; null for a former member.")
    async def declared_by_member(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.declared_by)

    @strawberry.field(description="The timeline, oldest first.")
    async def updates(self, info: Info) -> list[IncidentUpdateEntry]:
        found: list[IncidentUpdate] = await info.context.loaders.incident_updates.load(uuid.UUID(self.id))
        return [IncidentUpdateEntry.of(u) for u in found]

    @strawberry.field(description="Who works it: who declared it, was added, or posted to it.")
    async def participants(self, info: Info) -> list[StaffMember]:
        found: list[IncidentParticipant] = await info.context.loaders.incident_participants.load(uuid.UUID(self.id))
        members: list[StaffMember | None] = await info.context.loaders.member.load_many([p.staff_id for p in found])
        return [m for m in members if m is not None]


@strawberry.type(name="IncidentConnection", description="A page of incidents.")
class IncidentConnection(CountedConnection[IncidentNode]):
    pass
