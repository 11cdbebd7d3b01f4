"""GraphQL types of client feedback and complaints."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.feedback import rules
from branchdesk.feedback import service as feedback
from branchdesk.feedback.models import (
    ComplaintEscalation,
    ComplaintSla,
    ComplaintTransition,
    Feedback,
    FeedbackCategory,
)
from branchdesk.graphql.crm.types import Client
from branchdesk.graphql.inputs import text
from branchdesk.graphql.labels import graphql_enum, localized
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.platform.clock import utcnow

FeedbackKind = graphql_enum(rules.FeedbackKind, "FeedbackKind", "Praise, a suggestion or a complaint.")
FeedbackChannel = graphql_enum(rules.Channel, "FeedbackChannel", "How the feedback reached the branch.")
Severity = graphql_enum(rules.Severity, "FeedbackSeverity", "How serious the feedback is (it sets a complaint's SLA).")
ComplaintState = graphql_enum(rules.ComplaintState, "ComplaintState", "Where a complaint stands in its workflow.")
ComplaintBreach = graphql_enum(rules.Breach, "ComplaintBreach", "Which SLA promise a complaint broke.")


@strawberry.type(description="A category of the head-office list of feedback categories.")
class FeedbackCategoryInfo:
    code: str = strawberry.field(description="Stable code, e.g. `waiting_time`; what inputs and filters take.")
    name_zh: str = strawberry.field(description="Name in Chinese.")
    name_en: str = strawberry.field(description="Name in English.")
    name: str = strawberry.field(description="The name in the caller's language (Accept-Language).")

    @classmethod
    def of(cls, found: FeedbackCategory, locale: str) -> FeedbackCategoryInfo:
        name = localized(found.name_en, found.name_zh, locale)
        return cls(code=found.code, name_zh=found.name_zh, name_en=found.name_en, name=name)


@strawberry.type(description="Head office's promise for complaints of a category (or every category) and severity.")
class ComplaintSlaRule:
    category: str = strawberry.field(description="A category code, or `*` for every category without its own rule.")
    severity: Severity = strawberry.field(description="The severity it applies to.")  # type: ignore[valid-type]
    acknowledge_hours: int = strawberry.field(description="Acknowledge within this many business hours.")
    resolve_days: int = strawberry.field(description="Resolve by closing time of this many business days later.")

    @classmethod
    def of(cls, found: ComplaintSla) -> ComplaintSlaRule:
        return cls(
            category=found.category_code,
            severity=rules.Severity(found.severity),
            acknowledge_hours=found.acknowledge_hours,
            resolve_days=found.resolve_days,
        )


@strawberry.type(description="One step of a complaint's history: received, a transition, or a change of assignee.")
class ComplaintHistoryEntry:
    action: str = strawberry.field(
        description="`receive`, `assign`, or the workflow action: `acknowledge`, `start_investigation`, `resolve`, "
        "`close`, `reopen`."
    )
    from_state: ComplaintState | None = strawberry.field(description="The state before; null when received.")  # type: ignore[valid-type]
    to_state: ComplaintState = strawberry.field(description="The state after.")  # type: ignore[valid-type]
    at: datetime = strawberry.field(description="When.")
    acted_by: str = strawberry.field(description="Who (employee number and name, or the system).")
    note: str | None = strawberry.field(description="What they noted.")

    @classmethod
    def of(cls, step: ComplaintTransition) -> ComplaintHistoryEntry:
        return cls(
            action=step.action,
            from_state=rules.ComplaintState(step.from_state) if step.from_state else None,
            to_state=rules.ComplaintState(step.to_state),
            at=step.at,
            acted_by=step.actor_label,
            note=step.note,
        )


@strawberry.type(description="A breach of a complaint's SLA, escalated to the branch head (once per kind of breach).")
class ComplaintEscalationEntry:
    breach: ComplaintBreach = strawberry.field(description="Which promise was broken.")  # type: ignore[valid-type]
    due_at: datetime = strawberry.field(description="The deadline that passed.")
    escalated_at: datetime = strawberry.field(description="When the SLA watch escalated it.")
    notified_at: datetime | None = strawberry.field(description="When the branch was told; null until then.")

    @classmethod
    def of(cls, found: ComplaintEscalation) -> ComplaintEscalationEntry:
        return cls(
            breach=rules.Breach(found.breach),
            due_at=found.due_at,
            escalated_at=found.escalated_at,
            notified_at=found.notified_at,
        )


@strawberry.type(
    name="Feedback",
    description="Client feedback (客户反馈): praise, a suggestion or a complaint. A complaint also has a workflow "
    "state, an assignee, SLA deadlines in the branch's business hours, its history and escalations.",
)
class FeedbackNode(LoadedNode):
    node_loader = "feedback"
    id: relay.NodeID[str]
    kind: FeedbackKind = strawberry.field(description="Praise, suggestion or complaint.")  # type: ignore[valid-type]
    channel: FeedbackChannel = strawberry.field(description="How it reached the branch.")  # type: ignore[valid-type]
    severity: Severity = strawberry.field(description="How serious it is.")  # type: ignore[valid-type]
    summary: str = strawberry.field(description="What it is about, in a line.")
    details: str | None = strawberry.field(description="The client's words, or the note from the opinion box.")
    received_at: datetime = strawberry.field(description="When the branch received it.")
    anonymous: bool = strawberry.field(description="No client is named (an opinion-box note, say).")
    state: ComplaintState | None = strawberry.field(description="A complaint's state; null for praise and suggestions.")  # type: ignore[valid-type]
    resolution: str | None = strawberry.field(description="What the client was told when the complaint was resolved.")
    acknowledge_due_at: datetime | None = strawberry.field(
        description="A complaint's deadline to acknowledge (SLA business hours from receipt, in the branch's hours)."
    )
    resolve_due_at: datetime | None = strawberry.field(
        description="A complaint's deadline to resolve (closing time of the SLA's last business day)."
    )
    acknowledged_at: datetime | None = strawberry.field(description="When it was acknowledged.")
    resolved_at: datetime | None = strawberry.field(description="When it was last resolved.")
    closed_at: datetime | None = strawberry.field(description="When it was closed (null once reopened).")
    breached: bool = strawberry.field(
        description="A complaint past a deadline it still owes (not acknowledged, or not resolved, in time)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")
    category_id: strawberry.Private[uuid.UUID]
    client_id: strawberry.Private[uuid.UUID | None]
    assignee_id: strawberry.Private[uuid.UUID | None]
    submitted_by: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: Feedback) -> FeedbackNode:
        return cls(
            id=str(found.id),
            kind=rules.FeedbackKind(found.kind),
            channel=rules.Channel(found.channel),
            severity=rules.Severity(found.severity),
            summary=found.summary,
            details=found.details,
            received_at=found.received_at,
            anonymous=found.client_id is None,
            state=rules.ComplaintState(found.state) if found.state else None,
            resolution=found.resolution,
            acknowledge_due_at=found.acknowledge_due_at,
            resolve_due_at=found.resolve_due_at,
            acknowledged_at=found.acknowledged_at,
            resolved_at=found.resolved_at,
            closed_at=found.closed_at,
            breached=feedback.is_breached(found, utcnow()),
            updated_at=found.updated_at,
            category_id=found.category_id,
            client_id=found.client_id,
            assignee_id=found.assignee_id,
            submitted_by=found.submitted_by,
        )

    @strawberry.field(description="The category (head-office list).")
    async def category(self, info: Info) -> FeedbackCategoryInfo:
        found: FeedbackCategory = await info.context.loaders.feedback_category.load(self.category_id)
        return FeedbackCategoryInfo.of(found, info.context.locale)

    @strawberry.field(
        description="The client; null when anonymous, or when the client is outside your data scope for "
        "`client:read` (the feedback is still the branch's)."
    )
    async def client(self, info: Info) -> Client | None:
        if self.client_id is None:
            return None
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found

    @strawberry.field(description="Who works the complaint; null when nobody yet (or they left the branch).")
    async def assignee(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.assignee_id)

    @strawberry.field(description="Who recorded it; null for the system or a former member.")
    async def submitted_by_member(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.submitted_by)

    @strawberry.field(description="A complaint's history, oldest first: receipt, transitions, assignments.")
    async def history(self, info: Info) -> list[ComplaintHistoryEntry]:
        steps: list[ComplaintTransition] = await info.context.loaders.complaint_history.load(uuid.UUID(self.id))
        return [ComplaintHistoryEntry.of(step) for step in steps]

    @strawberry.field(description="SLA breaches escalated to the branch head, oldest first.")
    async def escalations(self, info: Info) -> list[ComplaintEscalationEntry]:
        found: list[ComplaintEscalation] = await info.context.loaders.complaint_escalations.load(uuid.UUID(self.id))
        return [ComplaintEscalationEntry.of(e) for e in found]


@strawberry.type(name="FeedbackConnection", description="A page of feedback.")
class FeedbackConnection(CountedConnection[FeedbackNode]):
    pass


@strawberry.enum(description="What a feedback list is sorted by.")
class FeedbackOrderField(Enum):
    RECEIVED_AT = strawberry.enum_value("received_at", description="When it was received; ties by id.")
    CREATED_AT = strawberry.enum_value("created_at", description="When it was recorded; ties by id.")


@strawberry.input(description="How a feedback list is sorted.")
class FeedbackOrder:
    field: FeedbackOrderField = FeedbackOrderField.RECEIVED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Which feedback a list shows (all given conditions hold).")
class FeedbackFilter:
    kind: FeedbackKind | None = strawberry.field(default=None, description="Only this kind.")  # type: ignore[valid-type]
    state: ComplaintState | None = strawberry.field(default=None, description="Only complaints in this state.")  # type: ignore[valid-type]
    category: str | None = text("Only this category (its code).", max_length=40, default=None)
    breached: bool | None = strawberry.field(
        default=None, description="True: only complaints past an SLA deadline they still owe; false: all others."
    )
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="Only those assigned to them.")
    client_id: strawberry.ID | None = strawberry.field(default=None, description="Only this client's feedback.")
