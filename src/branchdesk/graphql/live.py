"""Subscriptions' events (``platform/events.py``), delivered only to whom may still see them.

A subscription's Context is its own operation's: the caller and their standing were checked when it
started, and its transaction ended then. Each event is checked again as it is delivered — the token,
the membership and the branch's status, and the permission under the branch's policy as it is now —
through a fresh entry into the branch (two statements); a refusal ends the subscription with its code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql.context import Connection, Context
from branchdesk.platform.events import Event

T = TypeVar("T")


async def events(
    info: Info,
    topics: frozenset[str],
    permission: str,
    *,
    policy: bool = False,
    wanted: Callable[[Event], bool] | None = None,
) -> AsyncIterator[Event]:
    """The active branch's events of ``topics``, each one re-authorised for ``permission``. ``policy``:
    the events announce policy changes, so the branch's policy is read afresh before each check (the
    event can reach this process before the cache's own invalidation does). ``wanted``: only the events
    it accepts (e.g. the subscriber's own), decided before any statement runs."""
    ctx: Context = info.context
    branch_id = ctx.principal().branch_id
    async for event in ctx.runtime.events.listen(branch_id, topics):
        if wanted is not None and not wanted(event):
            continue
        if policy:
            ctx.runtime.policies.invalidate([event.branch_id])
        await _authorise(ctx.connection, permission)
        yield event


async def _authorise(connection: Connection, permission: str) -> None:
    now = Context(connection)
    try:
        await now.start()
        now.principal().require(permission)
    finally:
        await now.finish(commit=False)


async def delivered(
    info: Info,
    topics: frozenset[str],
    permission: str,
    read: Callable[[AsyncSession, Principal, Event], Awaitable[T | None]],
    *,
    wanted: Callable[[Event], bool] | None = None,
) -> AsyncIterator[T]:
    """Like :func:`events`, each event read as the subscriber may see it now: ``read(session, by, event)``
    runs in the same fresh entry into the branch that re-authorises it, and returns what is delivered
    (built before that transaction ends: its rows expire with it); None (gone, or not the subscriber's
    to see) is not delivered."""
    ctx: Context = info.context
    branch_id = ctx.principal().branch_id
    async for event in ctx.runtime.events.listen(branch_id, topics):
        if wanted is not None and not wanted(event):
            continue
        now = Context(ctx.connection)
        found: Any = None
        try:
            await now.start()
            now.principal().require(permission)
            found = await now.call(read, event)
        finally:
            await now.finish(commit=False)
        if found is not None:
            yield found
