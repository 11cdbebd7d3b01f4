from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.handoffs.queries import handoff_uuid, subject_uuid
from branchdesk.graphql.handoffs.types import CommentNode, CommentSubject, HandoffNode, HandoffOrigin, HandoffPriority
from branchdesk.graphql.ids import node_uuid, staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.handoffs import comments, rules
from branchdesk.handoffs import service as handoffs
from branchdesk.platform.errors import NotFound


@strawberry.input(description="A document attached by reference.")
class AttachmentInput:
    name: str = text("What it is, e.g. 收入证明.pdf.", max_length=200)
    ref: str = text("Where it is: a URL or the document store's key.", max_length=500)


@strawberry.input(description="What a handoff came from.")
class HandoffOriginInput:
    type: HandoffOrigin = strawberry.field(description="The kind of origin.")
    id: strawberry.ID = strawberry.field(description="The origin's id (a visit, a meeting, a ticket or a handoff).")


@strawberry.input(description="Hand work to a person or a role.")
class RaiseHandoffInput:
    type: str = text("A handoff type's code (`handoffTypes`), e.g. `referral`, `it_help`.", max_length=40)
    description: str = text("What is asked.", max_length=2000)
    priority: HandoffPriority = strawberry.field(default=rules.Priority.NORMAL, description="How urgent it is.")
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="The client it is about; must be one you may see (a routing card is enough)."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="To this member (their cover when they are away); else routed through the role."
    )
    target_role: str | None = text(
        "Route through this role instead of the type's (e.g. `risk_officer`).", max_length=50, default=None
    )
    attachments: list[AttachmentInput] = strawberry.field(
        default_factory=list, description="Documents, by reference (at most 10)."
    )
    origin: HandoffOriginInput | None = strawberry.field(default=None, description="What it came from.")
    due_at: datetime | None = strawberry.field(
        default=None, description="Due at this time instead of the type's SLA (in the future, within a year)."
    )


@strawberry.input(description="A step of a handoff's workflow.")
class HandoffStepInput:
    id: strawberry.ID = strawberry.field(description="The handoff.")


@strawberry.input(description="Finish a handoff in progress; a referral says whether it converted.")
class CompleteHandoffInput:
    id: strawberry.ID = strawberry.field(description="The handoff.")
    outcome: str | None = text("What came of it.", max_length=2000, default=None)
    converted: bool | None = strawberry.field(
        default=None, description="A referral: whether the client took a product (required for a referral)."
    )
    product_code: str | None = text("A converted referral: the product's code.", max_length=40, default=None)
    amount: Decimal | None = strawberry.field(default=None, description="A converted referral: the amount in CNY.")


@strawberry.input(description="Decline or cancel a handoff, saying why.")
class HandoffReasonInput:
    id: strawberry.ID = strawberry.field(description="The handoff.")
    reason: str = text("Why (1 to 1000 characters).", max_length=1000)


@strawberry.input(description="Hand an open handoff to someone else.")
class ReassignHandoffInput:
    handoff_id: strawberry.ID = strawberry.field(description="The handoff.")
    assignee_id: strawberry.ID = strawberry.field(description="The member who takes it (their cover when away).")
    note: str | None = text("Why, for the audit trail.", max_length=500, default=None)


@strawberry.input(description="A comment on a handoff, a client or a ticket.")
class AddCommentInput:
    subject_type: CommentSubject = strawberry.field(description="What it is about.")
    subject_id: strawberry.ID = strawberry.field(description="The handoff, client or ticket.")
    body: str = text("The text; `@E0101002` mentions (and notifies) that member of the branch.", max_length=4000)
    mention_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Members to mention by id as well (`StaffMember` ids)."
    )


async def _handoff_now(root: HandoffPayload, info: Info) -> HandoffNode | None:
    if root.handoff_id is None:
        return None
    found: HandoffNode | None = await info.context.loaders.handoff.load(root.handoff_id)
    return found


@payload
class HandoffPayload:
    handoff: HandoffNode | None = strawberry.field(
        resolver=_handoff_now, description="The handoff after the change (null if you may no longer see it)."
    )
    handoff_id: strawberry.Private[uuid.UUID | None] = None


async def _comment_now(root: CommentPayload, info: Info) -> CommentNode | None:
    if root.comment_id is None:
        return None
    found: CommentNode | None = await info.context.loaders.comment.load(root.comment_id)
    return found


async def _parent_now(root: CommentPayload, info: Info) -> HandoffNode | None:
    if root.handoff_id is None:
        return None
    found: HandoffNode | None = await info.context.loaders.handoff.load(root.handoff_id)
    return found


@payload
class CommentPayload:
    comment: CommentNode | None = strawberry.field(resolver=_comment_now, description="The comment written.")
    handoff: HandoffNode | None = strawberry.field(
        resolver=_parent_now, description="The handoff (or ticket's handoff) commented on; null for a client."
    )
    comment_id: strawberry.Private[uuid.UUID | None] = None
    handoff_id: strawberry.Private[uuid.UUID | None] = None


ORIGIN_TYPES = {
    rules.OriginType.VISIT: "Visit",
    rules.OriginType.MEETING: "Meeting",
    rules.OriginType.TICKET: "SupportTicket",
    rules.OriginType.HANDOFF: "Handoff",
}


def _origin(given: HandoffOriginInput | None) -> tuple[rules.OriginType, uuid.UUID] | None:
    """What a handoff came from: a global id of the kind named; anything else is not found."""
    if given is None:
        return None
    kind = rules.OriginType(given.type.value)
    return kind, node_uuid(given.id, ORIGIN_TYPES[kind], NotFound("Origin", "来源", field="origin.id"))


def _step(action: rules.HandoffAction, input: Any, **extra: Any) -> Any:
    async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
        changed = await handoffs.transition(session, by, handoff_uuid(input.id), action, **extra)
        return {"handoff_id": changed.id}

    return run


@strawberry.type
class Mutations:
    @p.mutation(
        "handoff:raise",
        "Hand work to a person or a role: routed to the named member, else the client's owner (for types that go "
        "to the owner), else the least-loaded member of the role on duty, else the branch head; whoever is away "
        "is replaced by their cover. Due by the type's SLA in the branch's business hours; the assignee is notified.",
    )
    async def raise_handoff(self, info: Info, input: RaiseHandoffInput) -> HandoffPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft = handoffs.HandoffDraft(
                type=input.type,
                description=input.description,
                priority=rules.Priority(input.priority.value),
                client_id=client_uuid(input.client_id, "clientId") if input.client_id is not None else None,
                assignee_id=staff_uuid(input.assignee_id, "assigneeId") if input.assignee_id is not None else None,
                target_role=input.target_role,
                attachments=[handoffs.Attachment(a.name, a.ref) for a in input.attachments],
                origin=_origin(input.origin),
                due_at=input.due_at,
            )
            return {"handoff_id": (await handoffs.raise_handoff(session, by, draft)).id}

        return await mutate(info, HandoffPayload, run)

    @p.mutation("handoff:raise", "Accept a `SUBMITTED` handoff assigned to you.")
    async def accept_handoff(self, info: Info, input: HandoffStepInput) -> HandoffPayload:
        return await mutate(info, HandoffPayload, _step(rules.HandoffAction.ACCEPT, input))

    @p.mutation("handoff:raise", "Start work on an `ACCEPTED` handoff assigned to you.")
    async def start_handoff(self, info: Info, input: HandoffStepInput) -> HandoffPayload:
        return await mutate(info, HandoffPayload, _step(rules.HandoffAction.START, input))

    @p.mutation(
        "handoff:raise",
        "Complete an `IN_PROGRESS` handoff assigned to you, with its outcome; a referral says whether it converted "
        "(and into which product, for how much).",
    )
    async def complete_handoff(self, info: Info, input: CompleteHandoffInput) -> HandoffPayload:
        outcome = handoffs.Outcome(input.outcome, input.converted, input.product_code, input.amount)
        return await mutate(info, HandoffPayload, _step(rules.HandoffAction.COMPLETE, input, outcome=outcome))

    @p.mutation("handoff:raise", "Decline a `SUBMITTED` or `ACCEPTED` handoff assigned to you, saying why.")
    async def decline_handoff(self, info: Info, input: HandoffReasonInput) -> HandoffPayload:
        return await mutate(info, HandoffPayload, _step(rules.HandoffAction.DECLINE, input, reason=input.reason))

    @p.mutation("handoff:raise", "Cancel an open handoff you raised (the branch head: any), saying why.")
    async def cancel_handoff(self, info: Info, input: HandoffReasonInput) -> HandoffPayload:
        return await mutate(info, HandoffPayload, _step(rules.HandoffAction.CANCEL, input, reason=input.reason))

    @p.mutation(
        "handoff:raise",
        "Hand an open handoff assigned to you (the branch head: any) to another member: it is `SUBMITTED` again, "
        "for them (their cover when they are away) to accept.",
    )
    async def reassign_handoff(self, info: Info, input: ReassignHandoffInput) -> HandoffPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            changed = await handoffs.reassign(
                session,
                by,
                handoff_uuid(input.handoff_id, "handoffId"),
                staff_uuid(input.assignee_id, "assigneeId"),
                input.note,
            )
            return {"handoff_id": changed.id}

        return await mutate(info, HandoffPayload, run)

    @p.mutation(
        "comment:write",
        "Comment on a handoff, a client (in your data scope) or a ticket you may see; each member mentioned "
        "(`@E0101002` in the text, or by id) is notified once.",
    )
    async def add_comment(self, info: Info, input: AddCommentInput) -> CommentPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            kind = rules.SubjectType(input.subject_type.value)
            subject = subject_uuid(kind, input.subject_id)
            mentions = [staff_uuid(m, "mentionIds") for m in input.mention_ids]
            written = await comments.add_comment(session, by, kind, subject, input.body, mentions)
            parent = subject if kind is not rules.SubjectType.CLIENT else None
            return {"comment_id": written.id, "handoff_id": parent}

        return await mutate(info, CommentPayload, run)
