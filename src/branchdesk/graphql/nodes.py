"""Relay nodes: each type names its loader once, and ``node``/``nodes`` read through it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.ids import node_uuids


class LoadedNode(relay.Node):
    """A Node whose objects are read by the loader named ``loader``: in one batch, and only those the
    caller may see (the loader's service decides); anything else is null, like an id of nothing.
    Subclasses set ``node_loader`` (a plain class attribute: not a GraphQL field)."""

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = node_uuids(node_ids)
        wanted = [i for i in ids if i is not None]
        loaders, name = info.context.loaders, cls.node_loader  # type: ignore[attr-defined]
        if len(wanted) == 1:  # node(id:), the usual case: read at once
            loaded = [await loaders.one(name, wanted[0])]
        else:  # several, in one batch
            loaded = await getattr(loaders, name).load_many(wanted)
        found: dict[uuid.UUID, Any] = dict(zip(wanted, loaded, strict=True))
        return [found.get(i) if i is not None else None for i in ids]
