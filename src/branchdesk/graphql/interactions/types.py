"""GraphQL types of the client timeline: an interaction and a page of them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.crm import rules
from branchdesk.crm.interactions.service import InteractionEntry
from branchdesk.graphql.labels import graphql_enum
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection
from branchdesk.graphql.tenants.types import StaffMember, member_or_none

if TYPE_CHECKING:
    from branchdesk.graphql.crm.types import Client

InteractionKind = graphql_enum(rules.InteractionKind, "InteractionKind", "What kind of contact with a client it was.")
InteractionChannel = graphql_enum(rules.InteractionChannel, "InteractionChannel", "How or where the contact happened.")


@strawberry.type(name="Interaction", description="One contact with a client on their timeline (客户接触记录).")
class Interaction(LoadedNode):
    node_loader = "interaction"
    id: relay.NodeID[str]
    kind: InteractionKind = strawberry.field(description="Call, visit, message, meeting or note.")  # type: ignore[valid-type]
    channel: InteractionChannel = strawberry.field(description="How or where it happened.")  # type: ignore[valid-type]
    occurred_at: datetime = strawberry.field(description="When it happened.")
    logged_at: datetime = strawberry.field(description="When it was logged.")
    summary: str = strawberry.field(description="What it was about.")
    outcome: str | None = strawberry.field(description="What came of it.")
    next_step: str | None = strawberry.field(description="What happens next.")
    next_step_on: date | None = strawberry.field(description="When the next step is due, if agreed.")
    products: list[str] = strawberry.field(
        description="Codes of the products discussed (free codes until the product catalogue lands)."
    )
    client_id: strawberry.Private[uuid.UUID]
    logged_by_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, found: InteractionEntry) -> Interaction:
        return cls(
            id=str(found.id),
            kind=rules.InteractionKind(found.kind),
            channel=rules.InteractionChannel(found.channel),
            occurred_at=found.occurred_at,
            logged_at=found.logged_at,
            summary=found.summary,
            outcome=found.outcome,
            next_step=found.next_step,
            next_step_on=found.next_step_on,
            products=list(found.products),
            client_id=found.client_id,
            logged_by_id=found.logged_by_id,
        )

    @strawberry.field(description="The client it is about; null when the client is outside your data scope.")
    async def client(self, info: Info) -> Annotated[Client, strawberry.lazy("branchdesk.graphql.crm.types")] | None:
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found

    @strawberry.field(description="The staff member who logged it; null once they have left the branch.")
    async def logged_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.logged_by_id)


@strawberry.type(name="InteractionConnection", description="A page of a client's interactions.")
class InteractionConnection(CountedConnection[Interaction]):
    pass
