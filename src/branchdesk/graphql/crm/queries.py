from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.crm import rules
from branchdesk.crm import service as crm
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.types import Client, ClientConnection, ClientFilter, ClientOrder, ClientRoutingCard
from branchdesk.graphql.ids import node_uuid, staff_uuid
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request, selects
from branchdesk.platform.errors import NotFound, invalid
from branchdesk.segments.scoring import service as scoring


def client_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "Client", NotFound("Client", "客户", field=field))


def filters_of(given: ClientFilter | None) -> crm.ClientFilters:
    if given is None:
        return crm.ClientFilters()
    return crm.ClientFilters(
        owner_id=staff_uuid(given.owner_id, "ownerId") if given.owner_id is not None else None,
        lifecycle=rules.LifecycleStage(given.lifecycle.value) if given.lifecycle else None,
        tag=given.tag,
        kyc_expiring_before=given.kyc_expiring_before,
        birthday_within_days=given.birthday_within_days,
        phone=given.phone,
        id_number=given.id_number,
        name_prefix=given.name_prefix,
    )


@strawberry.type
class Queries:
    @p.field(
        "client:read",
        "Clients of the active branch that your data scope reaches (your own book, your team's or the branch's, "
        "as your grant of `client:read` says), by name unless `orderBy` says otherwise.",
    )
    async def clients(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ClientFilter | None, strawberry.argument(description="Which clients; all conditions hold.")
        ] = None,
        order_by: ClientOrder | None = None,
    ) -> ClientConnection | None:
        ctx = info.context
        order = order_by or ClientOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted = filters_of(filter)
        if filter is not None and filter.tier is not None:
            in_tier = await ctx.call(scoring.clients_in_tiers, [filter.tier], "tier")
            wanted = dataclasses.replace(wanted, within=in_tier)
        page = await ctx.call(crm.list_clients, request, wanted)
        owner, team = selects(info, "edges", "node", "owner"), selects(info, "edges", "node", "team")
        if not (owner or team):
            return connection(page, Client.of, ClientConnection, total=lambda: ctx.call(crm.count_clients, wanted))
        # The page's owners and teams in one batch, read ahead: the nodes then complete as plain values
        ids: set[uuid.UUID] = set()
        for _, found in page.entries:
            ids.update(([found.owner_id] if owner else []) + (found.team_ids if team else []))
        ids_in_order = list(ids)
        members = dict(zip(ids_in_order, await ctx.loaders.member.load_many(ids_in_order), strict=True))

        def to_node(found: crm.ClientProfile) -> Client:
            node = Client.of(found)
            if owner:
                node.read_owner = (members[found.owner_id],)
            if team:
                node.read_team = ([m for i in found.team_ids if (m := members[i]) is not None],)
            return node

        return connection(page, to_node, ClientConnection, total=lambda: ctx.call(crm.count_clients, wanted))

    @p.field("client:read", "One client by id; null when it does not exist or is outside your data scope.")
    async def client(self, info: Info, id: strawberry.ID) -> Client | None:
        found: Client | None = await info.context.loaders.client.load(client_uuid(id))
        return found

    @p.field(
        "client.card:read",
        "A client's routing card (masked name, stage, owner, open work), to guide them: for tellers and lobby "
        "managers, who do not read profiles. Null when there is no such client in the branch.",
    )
    async def client_routing_card(
        self, info: Info, client_id: Annotated[strawberry.ID, strawberry.argument(description="The client.")]
    ) -> ClientRoutingCard | None:
        cards = await info.context.call(crm.routing_cards, [client_uuid(client_id, "clientId")])
        return ClientRoutingCard.of(cards[0]) if cards else None

    @p.field(
        "client.card:read",
        "Routing cards of the clients with exactly this client number, phone or ID number (at most 20).",
    )
    async def find_client_routing_cards(
        self,
        info: Info,
        client_number: Annotated[str | None, text_argument("Exactly this client number.", max_length=40)] = None,
        phone: Annotated[str | None, text_argument("Exactly this phone.", max_length=20)] = None,
        id_number: Annotated[str | None, text_argument("Exactly this ID document number.", max_length=40)] = None,
    ) -> list[ClientRoutingCard] | None:
        if not (client_number or phone or id_number):
            raise invalid("clientNumber", "Give a client number, phone or ID number.", "请提供客户号、手机号或证件号。")
        wanted = crm.ClientFilters(phone=phone, id_number=id_number, client_number=client_number)
        return [ClientRoutingCard.of(c) for c in await info.context.call(crm.routing_cards, None, wanted)]
