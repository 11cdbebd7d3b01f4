from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.crm import rules
from branchdesk.crm.interactions import service as interactions
from branchdesk.crm.interactions.service import NEXT_STEP_MAX, OUTCOME_MAX, PRODUCT_MAX, SUMMARY_MAX
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.crm.types import Client
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.inputs import text
from branchdesk.graphql.interactions.types import Interaction, InteractionChannel, InteractionKind


@strawberry.input(description="A contact with a client that has happened, for their timeline.")
class LogInteractionInput:
    client_id: strawberry.ID = strawberry.field(description="The client (in your data scope).")
    kind: InteractionKind = strawberry.field(description="Call, visit, message, meeting or note.")
    channel: InteractionChannel = strawberry.field(description="How or where it happened.")
    occurred_at: datetime = strawberry.field(description="When it happened (not in the future).")
    summary: str = text("What it was about.", max_length=SUMMARY_MAX)
    outcome: str | None = text("What came of it.", max_length=OUTCOME_MAX, default=None)
    next_step: str | None = text("What happens next.", max_length=NEXT_STEP_MAX, default=None)
    next_step_on: date | None = strawberry.field(default=None, description="When the next step is due.")
    products: list[str] = text(
        "Codes of the products discussed (free codes until the product catalogue lands).",
        max_length=PRODUCT_MAX,
        each=True,
        default_factory=list,
    )


async def _interaction(root: LogInteractionPayload, info: Info) -> Interaction | None:
    return Interaction.of(root.entry) if root.entry is not None else None


async def _client(root: LogInteractionPayload, info: Info) -> Client | None:
    if root.entry is None:
        return None
    found: Client | None = await info.context.loaders.client.load(root.entry.client_id)
    return found


@payload
class LogInteractionPayload:
    interaction: Interaction | None = strawberry.field(resolver=_interaction, description="The logged interaction.")
    client: Client | None = strawberry.field(
        resolver=_client, description="The client, with the interaction on their timeline."
    )
    entry: strawberry.Private[interactions.InteractionEntry | None] = None


@strawberry.type
class Mutations:
    @p.mutation(
        "interaction:log",
        "Log a call, visit, message, meeting or note on a client's timeline, as yourself. A client outside your "
        "data scope is not found.",
    )
    async def log_interaction(self, info: Info, input: LogInteractionInput) -> LogInteractionPayload:
        async def log(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft = interactions.InteractionDraft(
                client_id=client_uuid(input.client_id, "clientId"),
                kind=rules.InteractionKind(input.kind.value if hasattr(input.kind, "value") else input.kind),
                channel=rules.InteractionChannel(
                    input.channel.value if hasattr(input.channel, "value") else input.channel
                ),
                occurred_at=input.occurred_at,
                summary=input.summary,
                outcome=input.outcome,
                next_step=input.next_step,
                next_step_on=input.next_step_on,
                products=list(input.products),
            )
            return {"entry": await interactions.log_interaction(session, by, draft)}

        return await mutate(info, LogInteractionPayload, log)
