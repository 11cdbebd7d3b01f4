"""DataLoaders, created per request from what each domain declares in its ``loaders.py``.

A domain declares a batch function with :func:`loader`; ``ctx.loaders.<name>`` is that function's
DataLoader for the current request (created on first use). Batch functions call services through
``ctx.call``, so a batch is one service call and the service decides what the caller may see.
"""

from __future__ import annotations

import weakref
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
    """A request's DataLoaders. They hold its Context weakly: the Context holds them (``ctx.loaders``), and
    that cycle kept each request that used a loader (its Context, principal, request, loaders and what
    they loaded: ~50 objects) alive after it ended, until a collection found it."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = weakref.ref(ctx)

    def __getattr__(self, name: str) -> DataLoader[Any, Any]:
        batch = LOADERS.get(name)
        if batch is None:
            raise AttributeError(f"no loader {name!r}")
        ctx = self._ctx()
        loop = ctx.runtime.loop if ctx is not None else None  # see Runtime.loop
        created: DataLoader[Any, Any] = DataLoader(partial(_in_request, self._ctx, batch), loop=loop)
        setattr(self, name, created)  # one per request
        return created

    async def one(self, name: str, key: Any) -> Any:
        """``loaders.<name>.load(key)`` for a read of one key on its own (``node(id:)``): the batch function
        is called at once, without the DataLoader's batch and its dispatch task (3 % of ``node(id:)``'s
        instructions, bench/api.py). Its future is the loader's for that key, so other loads of the same
        key in the request share the read; only another key of the same loader in the same tick would
        have shared the statement."""
        loader = getattr(self, name)
        kept = loader.cache_map.get(key)
        if kept is not None and not kept.cancelled():  # as ``load`` decides
            return await kept
        kept = loader.loop.create_future()
        loader.cache_map.set(key, kept)
        try:
            (found,) = await _in_request(self._ctx, LOADERS[name], [key])
        except Exception as error:
            kept.set_exception(error)  # as a failed batch leaves it for the same key
            kept.exception()  # retrieved: a key nobody else awaits is not logged as never retrieved
            raise
        except BaseException:
            kept.cancel()
            raise
        kept.set_result(found)
        return found


async def _in_request(ctx: weakref.ref[Context], batch: BatchFunction, keys: list[Any]) -> Sequence[Any]:
    context = ctx()
    if context is None:  # not while its operation runs: the operation's execution holds its Context
        raise RuntimeError("a DataLoader outlived its request")
    return await batch(context, keys)
