"""DataLoaders, created per request from what each domain declares in its ``loaders.py``.

A domain declares a batch function with :func:`loader`; ``ctx.loaders.<name>`` is that function's
DataLoader for the current request (created on first use). Batch functions call services through
``ctx.call``, so a batch is one service call and the service decides what the caller may see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context

BatchFunction = Callable[["Context", list[Any]], Awaitable[Sequence[Any]]]
LOADERS: dict[str, BatchFunction] = {}


def loader(name: str) -> Callable[[BatchFunction], BatchFunction]:
    def register(batch: BatchFunction) -> BatchFunction:
        if name in LOADERS:
            raise ValueError(f"loader {name!r} is declared twice")
        LOADERS[name] = batch
        return batch

    return register


class Loaders:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def __getattr__(self, name: str) -> DataLoader[Any, Any]:
        batch = LOADERS.get(name)
        if batch is None:
            raise AttributeError(f"no loader {name!r}")
        created: DataLoader[Any, Any] = DataLoader(partial(batch, self._ctx))
        setattr(self, name, created)  # one per request
        return created
