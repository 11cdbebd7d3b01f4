from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.feedback import rules
from branchdesk.feedback import service as feedback
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.feedback.queries import feedback_uuid
from branchdesk.graphql.feedback.types import (
    ComplaintSlaRule,
    FeedbackChannel,
    FeedbackKind,
    FeedbackNode,
    Severity,
)
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text


@strawberry.input(description="Client feedback as it reached the branch.")
class SubmitFeedbackInput:
    kind: FeedbackKind = strawberry.field(description="Praise, suggestion or complaint.")
    channel: FeedbackChannel = strawberry.field(description="How it reached the branch.")
    category: str = text("A category code of the head-office list (`feedbackCategories`).", max_length=40)
    severity: Severity = strawberry.field(
        default=rules.Severity.MEDIUM, description="How serious; with the category it sets a complaint's SLA."
    )
    summary: str = text("What it is about, in a line.", max_length=200)
    details: str | None = text("The client's words, or the opinion-box note.", max_length=4000, default=None)
    client_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The client, when known (leave out for anonymous feedback); must be one you may see, else "
        "not found.",
    )
    received_at: datetime | None = strawberry.field(
        default=None,
        description="When the branch received it (an opinion box opened later); now when omitted, at most 30 "
        "days back. A complaint's SLA counts from here.",
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="For a complaint: who works it (a member of the branch)."
    )


@strawberry.input(description="A step of a complaint's workflow.")
class ComplaintStepInput:
    id: strawberry.ID = strawberry.field(description="The complaint (a `Feedback` id).")
    note: str | None = text("A note for the complaint's history.", max_length=2000, default=None)


@strawberry.input(description="Resolve a complaint: say what the client was told.")
class ResolveComplaintInput:
    id: strawberry.ID = strawberry.field(description="The complaint (a `Feedback` id).")
    resolution: str = text("What the client was told (required).", max_length=2000)
    note: str | None = text("An internal note for the history.", max_length=2000, default=None)


@strawberry.input(description="Give a complaint to a member of the branch to work.")
class AssignComplaintInput:
    id: strawberry.ID = strawberry.field(description="The complaint (a `Feedback` id).")
    assignee_id: strawberry.ID = strawberry.field(description="Who works it (a `StaffMember` id of this branch).")
    note: str | None = text("Why, for the history.", max_length=2000, default=None)


@strawberry.input(description="Head office's promise for a category (or `*`) and severity.")
class SetComplaintSlaInput:
    category: str = text("A category code, or `*` for every category without a rule of its own.", max_length=40)
    severity: Severity = strawberry.field(description="The severity.")
    acknowledge_hours: int = strawberry.field(description="Business hours to acknowledge (1 to 200).")
    resolve_days: int = strawberry.field(description="Business days to resolve (1 to 120).")


async def _feedback_now(root: FeedbackPayload, info: Info) -> FeedbackNode | None:
    if root.feedback_id is None:
        return None
    found: FeedbackNode | None = await info.context.loaders.feedback.load(root.feedback_id)
    return found


@payload
class FeedbackPayload:
    feedback: FeedbackNode | None = strawberry.field(
        resolver=_feedback_now, description="The feedback or complaint after the change (null if you may not read it)."
    )
    feedback_id: strawberry.Private[uuid.UUID | None] = None


@payload
class ComplaintSlaPayload:
    sla: ComplaintSlaRule | None = strawberry.field(default=None, description="The rule as it is now.")


def _step(action: rules.ComplaintAction, input: Any) -> Any:
    async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
        resolution = getattr(input, "resolution", None)
        changed = await feedback.transition(
            session, by, feedback_uuid(input.id), action, note=input.note, resolution=resolution
        )
        return {"feedback_id": changed.id}

    return run


@strawberry.type
class Mutations:
    @p.mutation(
        "feedback:submit",
        "Record client feedback. A complaint starts `RECEIVED` with SLA deadlines counted in the branch's business "
        "hours; leave the client out for anonymous feedback.",
    )
    async def submit_feedback(self, info: Info, input: SubmitFeedbackInput) -> FeedbackPayload:
        async def submit(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft = feedback.FeedbackDraft(
                kind=rules.FeedbackKind(input.kind.value),
                channel=rules.Channel(input.channel.value),
                category=input.category,
                severity=rules.Severity(input.severity.value),
                summary=input.summary,
                details=input.details,
                client_id=client_uuid(input.client_id, "clientId") if input.client_id is not None else None,
                received_at=input.received_at,
                assignee_id=staff_uuid(input.assignee_id, "assigneeId") if input.assignee_id is not None else None,
            )
            return {"feedback_id": (await feedback.submit_feedback(session, by, draft)).id}

        return await mutate(info, FeedbackPayload, submit)

    @p.mutation("complaint:handle", "Acknowledge a `RECEIVED` complaint (the client hears it is being handled).")
    async def acknowledge_complaint(self, info: Info, input: ComplaintStepInput) -> FeedbackPayload:
        return await mutate(info, FeedbackPayload, _step(rules.ComplaintAction.ACKNOWLEDGE, input))

    @p.mutation("complaint:handle", "Start investigating an `ACKNOWLEDGED` complaint.")
    async def start_investigation(self, info: Info, input: ComplaintStepInput) -> FeedbackPayload:
        return await mutate(info, FeedbackPayload, _step(rules.ComplaintAction.START_INVESTIGATION, input))

    @p.mutation("complaint:handle", "Resolve an `INVESTIGATING` complaint, saying what the client was told.")
    async def resolve_complaint(self, info: Info, input: ResolveComplaintInput) -> FeedbackPayload:
        return await mutate(info, FeedbackPayload, _step(rules.ComplaintAction.RESOLVE, input))

    @p.mutation("complaint:handle", "Close a `RESOLVED` complaint.")
    async def close_complaint(self, info: Info, input: ComplaintStepInput) -> FeedbackPayload:
        return await mutate(info, FeedbackPayload, _step(rules.ComplaintAction.CLOSE, input))

    @p.mutation("complaint:handle", "Reopen a `RESOLVED` or `CLOSED` complaint: it goes back to `INVESTIGATING`.")
    async def reopen_complaint(self, info: Info, input: ComplaintStepInput) -> FeedbackPayload:
        return await mutate(info, FeedbackPayload, _step(rules.ComplaintAction.REOPEN, input))

    @p.mutation("complaint:handle", "Give a complaint to a member of the branch to work.")
    async def assign_complaint(self, info: Info, input: AssignComplaintInput) -> FeedbackPayload:
        async def assign(session: AsyncSession, by: Principal) -> dict[str, object]:
            changed = await feedback.assign(
                session, by, feedback_uuid(input.id), staff_uuid(input.assignee_id, "assigneeId"), input.note
            )
            return {"feedback_id": changed.id}

        return await mutate(info, FeedbackPayload, assign)

    @p.mutation(
        "complaint:manage_sla",
        "Set head office's complaint SLA for a category (or `*`) and severity. Complaints already received keep "
        "their deadlines.",
    )
    async def set_complaint_sla(self, info: Info, input: SetComplaintSlaInput) -> ComplaintSlaPayload:
        async def set_sla(session: AsyncSession, by: Principal) -> dict[str, object]:
            severity = rules.Severity(input.severity.value)
            found = await feedback.set_sla(
                session, by, input.category, severity, input.acknowledge_hours, input.resolve_days
            )
            return {"sla": ComplaintSlaRule.of(found)}

        return await mutate(info, ComplaintSlaPayload, set_sla)
