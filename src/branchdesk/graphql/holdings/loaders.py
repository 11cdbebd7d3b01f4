"""Batched reads of products and holdings, one service call per batch; holdings only of clients in the
caller's data scope."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.holdings.types import Holding, Product
from branchdesk.graphql.loaders import loader
from branchdesk.holdings import catalogue
from branchdesk.holdings import service as holdings
from branchdesk.platform.pagination import Page, PageRequest

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("holding")
async def by_id(ctx: Context, ids: list[uuid.UUID]) -> list[Holding | None]:
    found = {h.id: h for h in await ctx.call(holdings.holdings_by_id, ids)}
    return [Holding.of(found[i]) if i in found else None for i in ids]


@loader("product")
async def products(ctx: Context, codes: list[str]) -> list[Product | None]:
    found = {p.code: p for p in await ctx.call(catalogue.products_by_code, codes)}
    return [Product.of(found[c]) if c in found else None for c in codes]


@loader("client_holdings")
async def client_holdings(ctx: Context, keys: list[tuple[uuid.UUID, PageRequest]]) -> list[Page[holdings.HoldingEntry]]:
    """Keys are (client, page): one statement per distinct page asked for (a list asks for one)."""
    pages: dict[tuple[uuid.UUID, PageRequest], Page[holdings.HoldingEntry]] = {}
    for request in dict.fromkeys(r for _, r in keys):
        clients = [c for c, r in keys if r == request]
        found = await ctx.call(holdings.holdings_of, clients, request)
        empty = Page[holdings.HoldingEntry].empty(request)
        pages |= {(c, request): found.get(c, empty) for c in clients}
        if request.after is None and request.before is None:  # a first page counted the whole list
            for c in clients:
                ctx.loaders.client_holding_count.prime(c, (found[c].total or 0) if c in found else 0)
    return [pages[key] for key in keys]


@loader("client_holding_count")
async def counts(ctx: Context, ids: list[uuid.UUID]) -> list[int]:
    found = await ctx.call(holdings.holding_counts, ids)
    return [found.get(i, 0) for i in ids]
