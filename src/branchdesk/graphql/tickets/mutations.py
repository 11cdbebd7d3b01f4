from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.handoffs.mutations import AttachmentInput
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.tickets.queries import incident_uuid
from branchdesk.graphql.tickets.types import (
    IncidentKind,
    IncidentNode,
    SupportTicketNode,
    TicketCategory,
    TicketQueue,
    TicketSeverity,
)
from branchdesk.handoffs import service as handoffs
from branchdesk.tickets import rules
from branchdesk.tickets import service as tickets


@strawberry.input(description="A support ticket to IT support or the back office.")
class OpenTicketInput:
    queue: TicketQueue = strawberry.field(description="Who it goes to.")
    category: TicketCategory = strawberry.field(description="What it is about.")
    severity: TicketSeverity = strawberry.field(
        default=rules.Severity.MEDIUM,
        description="How severe: critical is due in 1 business hour, high in 2, medium by the queue's SLA, low in 16.",
    )
    title: str = text("What is wrong, in a line.", max_length=200)
    description: str = text("The details: what you see, since when, what you tried.", max_length=2000)
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="A client affected, when there is one (one you may see)."
    )
    attachments: list[AttachmentInput] = strawberry.field(
        default_factory=list, description="Screenshots or logs, by reference (at most 10)."
    )


@strawberry.input(description="Put the branch in incident mode.")
class DeclareIncidentInput:
    kind: IncidentKind = strawberry.field(description="What kind of incident.")
    title: str = text("What is happening, in a line.", max_length=200)
    first_update: str | None = text("The first entry of its timeline.", max_length=2000, default=None)
    participant_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Members who work it with you (`StaffMember` ids)."
    )


@strawberry.input(description="An entry for an open incident's timeline.")
class PostIncidentUpdateInput:
    id: strawberry.ID = strawberry.field(description="The incident.")
    body: str = text("What happened, or what was done.", max_length=2000)


@strawberry.input(description="End incident mode, with the review.")
class CloseIncidentInput:
    id: strawberry.ID = strawberry.field(description="The incident.")
    review: str = text("The closing review: cause, impact, lessons.", max_length=4000)


async def _ticket_now(root: TicketPayload, info: Info) -> SupportTicketNode | None:
    if root.ticket_id is None:
        return None
    found: SupportTicketNode | None = await info.context.loaders.ticket.load(root.ticket_id)
    return found


@payload
class TicketPayload:
    ticket: SupportTicketNode | None = strawberry.field(resolver=_ticket_now, description="The ticket as opened.")
    ticket_id: strawberry.Private[uuid.UUID | None] = None


async def _incident_now(root: IncidentPayload, info: Info) -> IncidentNode | None:
    if root.incident_id is None:
        return None
    found: IncidentNode | None = await info.context.loaders.incident.load(root.incident_id)
    return found


@payload
class IncidentPayload:
    incident: IncidentNode | None = strawberry.field(
        resolver=_incident_now, description="The incident after the change."
    )
    incident_id: strawberry.Private[uuid.UUID | None] = None


@strawberry.type
class Mutations:
    @p.mutation(
        "ticket:open",
        "Open a support ticket: a handoff to the queue's role (routed like any handoff), due by its severity's SLA in "
        "the branch's business hours. Work it with the handoff mutations on its `handoff`.",
    )
    async def open_ticket(self, info: Info, input: OpenTicketInput) -> TicketPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft = tickets.TicketDraft(
                queue=rules.TicketQueue(input.queue.value),
                category=rules.TicketCategory(input.category.value),
                severity=rules.Severity(input.severity.value),
                title=input.title,
                description=input.description,
                client_id=client_uuid(input.client_id, "clientId") if input.client_id is not None else None,
                attachments=[handoffs.Attachment(a.name, a.ref) for a in input.attachments],
            )
            return {"ticket_id": (await tickets.open_ticket(session, by, draft)).id}

        return await mutate(info, TicketPayload, run)

    @p.mutation(
        "incident:manage",
        "Declare an incident: the branch enters incident mode for its kind (only one open per kind) and everyone on "
        "duty is notified.",
    )
    async def declare_incident(self, info: Info, input: DeclareIncidentInput) -> IncidentPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            people = [staff_uuid(s, "participantIds") for s in input.participant_ids]
            kind = rules.IncidentKind(input.kind.value)
            found = await tickets.declare_incident(session, by, kind, input.title, input.first_update, people)
            return {"incident_id": found.id}

        return await mutate(info, IncidentPayload, run)

    @p.mutation("incident:read", "Post to an open incident's timeline; you join its participants.")
    async def post_incident_update(self, info: Info, input: PostIncidentUpdateInput) -> IncidentPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"incident_id": (await tickets.post_update(session, by, incident_uuid(input.id), input.body)).id}

        return await mutate(info, IncidentPayload, run)

    @p.mutation("incident:manage", "Close an open incident with its review; its participants are notified.")
    async def close_incident(self, info: Info, input: CloseIncidentInput) -> IncidentPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {
                "incident_id": (await tickets.close_incident(session, by, incident_uuid(input.id), input.review)).id
            }

        return await mutate(info, IncidentPayload, run)
