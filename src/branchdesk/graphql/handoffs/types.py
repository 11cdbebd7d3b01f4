"""GraphQL types of handoffs, handoff types and comments."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.inputs import text
from branchdesk.graphql.labels import graphql_enum, localized
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.handoffs import routing, rules
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.models import Comment, Handoff, HandoffEscalation, HandoffType
from branchdesk.platform.clock import utcnow

if TYPE_CHECKING:
    from branchdesk.graphql.crm.types import Client

HandoffState = graphql_enum(rules.HandoffState, "HandoffState", "Where a handoff stands in its workflow.")
HandoffPriority = graphql_enum(rules.Priority, "HandoffPriority", "How urgent a handoff is.")
HandoffOrigin = graphql_enum(rules.OriginType, "HandoffOriginType", "Where a handoff came from.")
CommentSubject = graphql_enum(rules.SubjectType, "CommentSubjectType", "What a comment is about.")
HandoffRouting = graphql_enum(routing.RoutedBy, "HandoffRouting", "How a handoff's assignee was chosen.")


@strawberry.type(description="A handoff type of the head-office list, with its default SLA and target role.")
class HandoffTypeInfo:
    code: str = strawberry.field(description="Stable code, e.g. `referral`; what inputs and filters take.")
    name_zh: str = strawberry.field(description="Name in Chinese.")
    name_en: str = strawberry.field(description="Name in English.")
    name: str = strawberry.field(description="The name in the caller's language (Accept-Language).")
    target_role: str = strawberry.field(description="The role a handoff of this type goes to by default.")
    sla_hours: int = strawberry.field(description="Business hours to finish it (its due time).")
    expire_hours: int | None = strawberry.field(
        description="Business hours after which an unfinished one expires; null: it never expires."
    )
    routes_to_client_owner: bool = strawberry.field(description="Goes to the client's owner when on duty.")
    referral: bool = strawberry.field(description="A referral: completing it says whether it converted.")

    @classmethod
    def of(cls, found: HandoffType, locale: str) -> HandoffTypeInfo:
        return cls(
            code=found.code,
            name_zh=found.name_zh,
            name_en=found.name_en,
            name=localized(found.name_en, found.name_zh, locale),
            target_role=found.target_role,
            sla_hours=found.sla_hours,
            expire_hours=found.expire_hours,
            routes_to_client_owner=found.route_to_client_owner,
            referral=found.is_referral,
        )


@strawberry.type(description="A document attached to a handoff by reference.")
class HandoffAttachment:
    name: str = strawberry.field(description="What it is, e.g. 收入证明.pdf.")
    ref: str = strawberry.field(description="Where it is: a URL or the document store's key.")


@strawberry.type(description="What a handoff came from (a visit, a meeting, a ticket, another handoff).")
class HandoffOriginRef:
    type: HandoffOrigin = strawberry.field(description="The kind of origin.")  # type: ignore[valid-type]
    id: strawberry.ID = strawberry.field(description="The origin's id.")


@strawberry.type(description="The escalation of a handoff past its due time to the branch head (once).")
class HandoffEscalationEntry:
    due_at: datetime = strawberry.field(description="The due time that passed.")
    escalated_at: datetime = strawberry.field(description="When the SLA watch escalated it.")

    @classmethod
    def of(cls, found: HandoffEscalation) -> HandoffEscalationEntry:
        return cls(due_at=found.due_at, escalated_at=found.escalated_at)


@strawberry.type(
    name="Handoff",
    description="A work item handed from one member of the branch to a person or a role (协作事项): a referral "
    "(商机转介), a request for IT help, a risk review, a meeting's action item. Routed when raised, due in the "
    "branch's business hours, escalated to the branch head once when late.",
)
class HandoffNode(LoadedNode):
    node_loader = "handoff"
    id: relay.NodeID[str]
    state: HandoffState = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    priority: HandoffPriority = strawberry.field(description="How urgent it is.")  # type: ignore[valid-type]
    description: str = strawberry.field(description="What is asked.")
    attachments: list[HandoffAttachment] = strawberry.field(description="Documents, by reference.")
    origin: HandoffOriginRef | None = strawberry.field(description="What it came from; null when raised directly.")
    target_role: str = strawberry.field(description="The role it was routed through.")
    routed_by: HandoffRouting = strawberry.field(description="How the assignee was chosen.")  # type: ignore[valid-type]
    due_at: datetime = strawberry.field(description="When it is due (the type's SLA in business hours).")
    expires_at: datetime | None = strawberry.field(description="When it expires unfinished; null: never.")
    overdue: bool = strawberry.field(description="Still open past its due time.")
    accepted_at: datetime | None = strawberry.field(description="When the assignee accepted it.")
    started_at: datetime | None = strawberry.field(description="When work on it started.")
    finished_at: datetime | None = strawberry.field(description="When it was done, declined, cancelled or expired.")
    outcome: str | None = strawberry.field(description="What came of it (or why it was cancelled).")
    converted: bool | None = strawberry.field(description="A referral: whether the client took a product.")
    product_code: str | None = strawberry.field(description="A converted referral: the product.")
    amount: Decimal | None = strawberry.field(description="A converted referral: the amount, in CNY.")
    decline_reason: str | None = strawberry.field(description="Why it was declined.")
    created_at: datetime = strawberry.field(description="When it was raised.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    type_id: strawberry.Private[uuid.UUID]
    client_id: strawberry.Private[uuid.UUID | None]
    assignee_id: strawberry.Private[uuid.UUID | None]
    raised_by: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: Handoff) -> HandoffNode:
        origin = None
        if found.origin_type and found.origin_id:
            origin = HandoffOriginRef(type=rules.OriginType(found.origin_type), id=strawberry.ID(str(found.origin_id)))
        return cls(
            id=str(found.id),
            state=rules.HandoffState(found.state),
            priority=rules.Priority(found.priority),
            description=found.description,
            attachments=[HandoffAttachment(name=a["name"], ref=a["ref"]) for a in found.attachments],
            origin=origin,
            target_role=found.target_role,
            routed_by=routing.RoutedBy(found.routed_by),
            due_at=found.due_at,
            expires_at=found.expires_at,
            overdue=handoffs.is_overdue(found, utcnow()),
            accepted_at=found.accepted_at,
            started_at=found.started_at,
            finished_at=found.finished_at,
            outcome=found.outcome,
            converted=found.converted,
            product_code=found.product_code,
            amount=found.amount,
            decline_reason=found.decline_reason,
            created_at=found.created_at,
            updated_at=found.updated_at,
            type_id=found.type_id,
            client_id=found.client_id,
            assignee_id=found.assignee_id,
            raised_by=found.raised_by,
        )

    @strawberry.field(description="Its type (head-office list).")
    async def type(self, info: Info) -> HandoffTypeInfo:
        found: HandoffType = await info.context.loaders.handoff_type.load(self.type_id)
        return HandoffTypeInfo.of(found, info.context.locale)

    @strawberry.field(
        description="The client it is about; null when none, or when the client is outside your data scope for "
        "`client:read` (a cover from another branch sees the handoff, not the client book)."
    )
    async def client(self, info: Info) -> Annotated[Client, strawberry.lazy("branchdesk.graphql.crm.types")] | None:
        if self.client_id is None:
            return None
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found

    @strawberry.field(description="Who it is assigned to; null when nobody (or they left the branch).")
    async def assignee(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.assignee_id)

    @strawberry.field(description="Who raised it; null for the system or a former member.")
    async def raised_by_member(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.raised_by)

    @strawberry.field(description="Its escalation to the branch head; null until it is late.")
    async def escalation(self, info: Info) -> HandoffEscalationEntry | None:
        found: HandoffEscalation | None = await info.context.loaders.handoff_escalation.load(uuid.UUID(self.id))
        return HandoffEscalationEntry.of(found) if found else None


@strawberry.type(name="HandoffConnection", description="A page of handoffs.")
class HandoffConnection(CountedConnection[HandoffNode]):
    pass


@strawberry.enum(description="What a handoff list is sorted by.")
class HandoffOrderField(Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When it was raised; ties by id.")
    DUE_AT = strawberry.enum_value("due_at", description="When it is due; ties by id.")


@strawberry.input(description="How a handoff list is sorted.")
class HandoffOrder:
    field: HandoffOrderField = strawberry.field(default=HandoffOrderField.CREATED_AT, description="What to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.DESC, description="Which way.")


@strawberry.input(description="Which handoffs a list shows (all given conditions hold).")
class HandoffFilter:
    mine: bool = strawberry.field(default=False, description="Only those assigned to me.")
    raised_by_me: bool = strawberry.field(default=False, description="Only those I raised.")
    role_queue: bool = strawberry.field(default=False, description="Only those routed through one of my roles.")
    state: HandoffState | None = strawberry.field(default=None, description="Only in this state.")  # type: ignore[valid-type]
    type: str | None = text("Only of this type (its code).", max_length=40, default=None)
    overdue: bool = strawberry.field(default=False, description="Only open ones past their due time.")
    open: bool = strawberry.field(default=False, description="Only open ones (submitted, accepted, in progress).")
    client_id: strawberry.ID | None = strawberry.field(default=None, description="Only about this client.")


@strawberry.type(name="Comment", description="A comment on a handoff, a client or a ticket; @mentions notify.")
class CommentNode(LoadedNode):
    node_loader = "comment"
    id: relay.NodeID[str]
    subject_type: CommentSubject = strawberry.field(description="What it is about.")  # type: ignore[valid-type]
    subject_id: strawberry.ID = strawberry.field(description="The global id of what it is about.")
    body: str = strawberry.field(description="The text, with its @mentions.")
    created_at: datetime = strawberry.field(description="When it was written.")
    author_id: strawberry.Private[uuid.UUID | None]
    mention_ids: strawberry.Private[list[uuid.UUID]]

    @classmethod
    def of(cls, found: Comment) -> CommentNode:
        kind = rules.SubjectType(found.subject_type)
        return cls(
            id=str(found.id),
            subject_type=kind,
            subject_id=strawberry.ID(relay.to_base64(SUBJECT_TYPES[kind], str(found.subject_id))),
            body=found.body,
            created_at=found.created_at,
            author_id=found.author_id,
            mention_ids=[uuid.UUID(str(m)) for m in found.mentions],
        )

    @strawberry.field(description="Who wrote it; null for a former member.")
    async def author(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.author_id)

    @strawberry.field(description="The members it mentioned (each was notified once).")
    async def mentions(self, info: Info) -> list[StaffMember]:
        found: list[StaffMember | None] = await info.context.loaders.member.load_many(self.mention_ids)
        return [m for m in found if m is not None]


SUBJECT_TYPES = {
    rules.SubjectType.HANDOFF: "Handoff",
    rules.SubjectType.CLIENT: "Client",
    rules.SubjectType.TICKET: "SupportTicket",
}


@strawberry.type(name="CommentConnection", description="A page of comments.")
class CommentConnection(CountedConnection[CommentNode]):
    pass


@strawberry.type(description="A handoff assigned to you, as it commits (the live feed of your inbox's handoffs).")
class HandoffAssignedEvent:
    handoff_id: strawberry.ID = strawberry.field(description="The handoff (read it with `handoff(id:)`).")
    type: str = strawberry.field(description="Its type's code.")
    assigned_at: datetime = strawberry.field(description="When it was assigned to you.")
