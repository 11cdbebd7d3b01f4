from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.holdings.types import (
    Holding,
    HoldingConnection,
    MaturingHoldingOrder,
    Product,
    ProductConnection,
    ProductFilter,
    ProductOrder,
)
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.holdings import catalogue, rules
from branchdesk.holdings import service as holdings


def product_filters(given: ProductFilter | None) -> catalogue.ProductFilters:
    if given is None:
        return catalogue.ProductFilters()
    return catalogue.ProductFilters(
        category=rules.ProductCategory(given.category.value) if given.category else None,
        active=given.active,
        code_prefix=given.code_prefix,
    )


@strawberry.type
class Queries:
    @p.field("product:read", "The head-office product catalogue, by code unless `orderBy` says otherwise.")
    async def products(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ProductFilter | None, strawberry.argument(description="Which products; all conditions hold.")
        ] = None,
        order_by: ProductOrder | None = None,
    ) -> ProductConnection | None:
        ctx = info.context
        order = order_by or ProductOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted = product_filters(filter)
        page = await ctx.call(catalogue.list_products, request, wanted)
        return connection(page, Product.of, ProductConnection, total=lambda: ctx.call(catalogue.count_products, wanted))

    @p.field("product:read", "One product of the catalogue by its code; null when there is none.")
    async def product(
        self, info: Info, code: Annotated[str, text_argument("The product code, e.g. TD3Y.", max_length=40)]
    ) -> Product | None:
        found: Product | None = await info.context.loaders.product.load(code.strip().upper())
        return found

    @p.field(
        "client:read",
        "Active holdings of the branch maturing from today to `withinDays` days ahead (the branch's calendar "
        "days), of the clients your data scope reaches; soonest first unless `orderBy` says otherwise.",
    )
    async def maturing_holdings(
        self,
        info: Info,
        within_days: Annotated[int, strawberry.argument(description="How many days ahead, 0 (today only) to 366.")] = 7,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        order_by: MaturingHoldingOrder | None = None,
    ) -> HoldingConnection | None:
        ctx = info.context
        order = order_by or MaturingHoldingOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(holdings.maturing_holdings, within_days, request)
        return connection(
            page,
            Holding.of,
            HoldingConnection,
            total=lambda: ctx.call(holdings.count_maturing, within_days),
        )
