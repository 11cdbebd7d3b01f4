"""Subscriptions' events (``platform/events.py``), delivered only to whom may still see them.

A subscription's Context is its own operation's: the caller and their standing were checked when it
started, and its transaction ended then. Each event is checked again as it is delivered — the token,
the membership and the branch's status, and the permission under the branch's policy as it is now.

One event wakes every subscriber to its branch in this process at once, so they are checked together:
the subscribers that ask in the same turn of the event loop join one :class:`_Round`, which enters the
branch once for all of them (the binding, one standing statement, the policy from the process's cache)
and runs a ``shared`` read (the same for everyone allowed it) once. An event reaches a thousand
subscribers of a process in a handful of statements, not a thousand entries. A refusal ends that
subscriber's subscription with its code; the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.identity import Identity
from branchdesk.access.principal import Principal
from branchdesk.graphql.context import Connection, Context, identify_once
from branchdesk.platform.database import is_disconnect
from branchdesk.platform.errors import DomainError, Unauthenticated
from branchdesk.platform.events import Event
from branchdesk.runtime import Runtime

T = TypeVar("T")
Read = Callable[[AsyncSession, Principal, Event], Awaitable[Any]]


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
        yield await _checked(ctx, event, permission, None, None)


async def delivered(
    info: Info,
    topics: frozenset[str],
    permission: str,
    read: Callable[[AsyncSession, Principal, Event], Awaitable[T | None]],
    *,
    shared: Callable[[Principal], Hashable] | None = None,
    wanted: Callable[[Event], bool] | None = None,
) -> AsyncIterator[T]:
    """Like :func:`events`, each event read as the subscriber may see it now: ``read(session, by, event)``
    runs in the entry into the branch that re-authorises it, and returns what is delivered (built before
    that transaction ends: its rows expire with it); None (gone, or not the subscriber's to see) is not
    delivered. ``shared``: what ``read`` returns depends only on the branch and on what ``shared(by)``
    says of the subscriber (e.g. whether they oversee every branch), so one read serves every subscriber
    the event wakes with the same answer."""
    ctx: Context = info.context
    branch_id = ctx.principal().branch_id
    async for event in ctx.runtime.events.listen(branch_id, topics):
        if wanted is not None and not wanted(event):
            continue
        found = await _checked(ctx, event, permission, read, shared)
        if found is not None:
            yield found


@dataclass(eq=False)
class _Ask:
    identity: Identity
    permission: str
    read: Read | None
    shared: Callable[[Principal], Hashable] | None
    answer: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class _Round:
    """One event's re-authorisation of the subscribers it woke in one branch of this process."""

    def __init__(self, runtime: Runtime, event: Event, branch_code: str) -> None:
        self.runtime = runtime
        self.event = event
        self.branch_code = branch_code
        self.asks: list[_Ask] = []

    async def run(self) -> None:
        # The subscribers the event woke run before this task's next step: let every one of them join.
        await asyncio.sleep(0)
        del _OPEN[(id(self.event), self.branch_code)]
        try:
            try:
                await self._answer()
            except DBAPIError as exc:
                if not is_disconnect(exc):
                    raise
                await self._answer()  # a pooled connection was dropped (server restart, idle kill): once more
        except BaseException as exc:
            for ask in self.asks:
                _settle(ask.answer, error=exc)
            if not isinstance(exc, Exception):
                raise

    async def _answer(self) -> None:
        session = self.runtime.db.new_session()
        try:
            identities = [a.identity for a in self.asks]
            entered = await self.runtime.gate.enter_each(session, identities, self.branch_code)
            reads: dict[tuple[Read, Hashable], Any] = {}
            for ask, principal in zip(self.asks, entered, strict=True):
                if ask.answer.done():
                    continue  # the subscriber left meanwhile
                if isinstance(principal, DomainError):
                    _settle(ask.answer, error=principal)
                    continue
                try:
                    principal.require(ask.permission)
                    if ask.read is None:
                        found: Any = self.event
                    elif ask.shared is not None:
                        key = (ask.read, ask.shared(principal))
                        if key not in reads:
                            reads[key] = await ask.read(session, principal, self.event)
                        found = reads[key]
                    else:
                        found = await ask.read(session, principal, self.event)
                except DomainError as exc:
                    _settle(ask.answer, error=exc)
                else:
                    _settle(ask.answer, found)
        finally:
            with contextlib.suppress(Exception):  # a dropped connection: its answers are already settled
                await session.rollback()
            await session.close()


def _settle(answer: asyncio.Future[Any], found: Any = None, *, error: BaseException | None = None) -> None:
    """Answer a subscriber unless it has gone (its task cancelled while it waited)."""
    if answer.done():
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(found)


_OPEN: dict[tuple[int, str], _Round] = {}  # (the event object's id, branch code) -> the round it may join
_RUNNING: set[asyncio.Task[None]] = set()


async def _checked(
    ctx: Context, event: Event, permission: str, read: Read | None, shared: Callable[[Principal], Hashable] | None
) -> Any:
    """The event (or what ``read`` found) if the subscriber may have it now; raises why not."""
    identity = await _identity(ctx.connection)
    if identity.staff_id is None or ctx.branch_code is None:
        return await _alone(ctx.connection, event, permission, read)  # a service account: rare, on its own
    key = (id(event), ctx.branch_code)
    joined = _OPEN.get(key)
    if joined is None:
        joined = _OPEN[key] = _Round(ctx.runtime, event, ctx.branch_code)
        task = asyncio.ensure_future(joined.run())
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
    ask = _Ask(identity, permission, read, shared)
    joined.asks.append(ask)
    return await ask.answer


async def _identity(connection: Connection) -> Identity:
    """The subscriber's verified identity, kept on its connection between verifications."""
    token = connection.token
    if token is None:
        raise Unauthenticated()
    kept, now = connection.identified, time.time()
    if kept is not None and kept[0] == token and now < kept[1]:
        return kept[2]
    return await identify_once(connection, token)


async def _alone(connection: Connection, event: Event, permission: str, read: Read | None) -> Any:
    now = Context(connection)
    try:
        await now.start()
        now.principal().require(permission)
        return event if read is None else await now.call(read, event)
    finally:
        await now.finish(commit=False)
