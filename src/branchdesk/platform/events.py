"""Live events for subscriptions, fanned out across processes through Redis pub/sub.

A service announces an event with :func:`publish_after_commit`: it is published once the transaction
that caused it commits (never if it rolls back), on the branch's channel, so that whichever API process
holds a subscriber's WebSocket delivers it. An event for every branch (a head-office baseline change)
goes on the shared channel, which every subscriber also listens to. Events carry ids, not data: the
subscriber reads what it may see, as itself, when it delivers one.

A process listens through one Redis connection, whatever its number of subscribers (:class:`EventBus`):
a channel is subscribed while at least one subscriber in the process wants it, and each message is
handed to that channel's subscribers. A subscriber holds at most ``queue_size`` undelivered events; one
that falls further behind is dropped, not coalesced: its subscription ends with SUBSCRIBER_TOO_SLOW, and
the client subscribes again and refetches what it shows (events carry ids, so a client that missed some
must refetch anyway, whatever the topic). When the connection drops, the listener reconnects (backing off
up to 5 s) and subscribes again to every channel in use; subscribers stay, but events published while
it was away are lost, as with any Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform import metrics
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import after_commit
from branchdesk.platform.errors import DomainError, ErrorCode

log = structlog.get_logger(__name__)

EVENTS = "events"  # session.info key: the process's EventBus (the runtime puts it there)
PREFIX = "branchdesk:events:"
EVERY_BRANCH = "all"
SESSIONS_ENDED = PREFIX + "sessions-ended"  # a staff member's sessions were ended: close their sockets

SUBSCRIBER_TOO_SLOW = ErrorCode(
    "SUBSCRIBER_TOO_SLOW",
    "Events arrived faster than this subscription took them, so it was ended: subscribe again and refetch "
    "what you show.",
    "事件到达的速度超过了本订阅的接收速度，订阅已结束：请重新订阅并刷新所显示的数据。",
)


def channel(branch_id: uuid.UUID | None) -> str:
    return PREFIX + (str(branch_id) if branch_id is not None else EVERY_BRANCH)


@dataclass(frozen=True)
class Event:
    topic: str  # "<domain>.<what happened>", e.g. "policy.changed"
    branch_id: uuid.UUID | None  # None: every branch
    data: dict[str, Any] = field(default_factory=dict)  # small and JSON-ready: ids, kinds
    at: datetime = field(default_factory=utcnow)

    def encode(self) -> str:
        branch = str(self.branch_id) if self.branch_id is not None else None
        return json.dumps({"topic": self.topic, "branch": branch, "data": self.data, "at": self.at.isoformat()})

    @classmethod
    def decode(cls, raw: str | bytes) -> Event:
        body = json.loads(raw)
        branch = uuid.UUID(body["branch"]) if body["branch"] is not None else None
        return cls(body["topic"], branch, body["data"], datetime.fromisoformat(body["at"]))


class Subscriber:
    """One listener in this process: the branch and topics it wants, and its bounded queue of events."""

    def __init__(self, branch_id: uuid.UUID, topics: frozenset[str], queue_size: int) -> None:
        self.branch_id = branch_id
        self.topics = topics
        self.channels = (channel(branch_id), channel(None))
        self.queue_size = queue_size
        self.joined = False
        self.listening = False  # its channels are subscribed in Redis
        self.dropped = False
        self._queue: deque[Event] = deque()
        self._arrived = asyncio.Event()

    def offer(self, event: Event) -> bool:
        """Queue ``event`` if the subscriber wants it; False when it is too far behind (it is dropped)."""
        if event.topic not in self.topics or event.branch_id not in (self.branch_id, None):
            return True
        if len(self._queue) >= self.queue_size:
            self.dropped = True
            self._queue.clear()
            self._arrived.set()
            return False
        self._queue.append(event)
        self._arrived.set()
        return True

    async def next(self) -> Event:
        while True:
            if self.dropped:
                raise DomainError(SUBSCRIBER_TOO_SLOW)
            if self._queue:
                return self._queue.popleft()
            self._arrived.clear()
            await self._arrived.wait()


class EventBus:
    """Publishing on Redis, and the process's one listener fanning events out to its subscribers.

    The listener is a task that alone owns its pub/sub connection: subscribers joining or leaving only
    change which channels are wanted and wake it; it sends SUBSCRIBE and UNSUBSCRIBE, reads messages,
    pings a quiet connection and reconnects a broken one. ``listener`` is the client it connects with
    (the runtime names its connections, so an operator can find them in ``CLIENT LIST``).
    """

    def __init__(
        self,
        redis: Redis,
        listener: Redis | None = None,
        *,
        queue_size: int = 100,
        confirm_seconds: float = 5.0,
        ping_after_seconds: float = 15.0,
    ) -> None:
        self.redis = redis
        self.listener = listener or redis
        self.queue_size = queue_size
        self.confirm_seconds = confirm_seconds
        self.ping_after_seconds = ping_after_seconds
        self.reconnects = 0
        self._wanted: dict[str, set[Subscriber]] = {}  # channel → its subscribers in this process
        self._sent: set[str] = set()  # channels subscribed on the current connection (or about to be)
        self._unconfirmed: Counter[str] = Counter()  # SUBSCRIBE commands Redis has not confirmed yet
        self._live: dict[str, asyncio.Event] = {}  # set once a wanted channel is confirmed subscribed
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def publish(self, event: Event) -> None:
        await self.redis.publish(channel(event.branch_id), event.encode())

    async def listen(self, branch_id: uuid.UUID, topics: frozenset[str]) -> AsyncIterator[Event]:
        """The branch's events of these topics (and every-branch ones), from now until the caller stops;
        raises SUBSCRIBER_TOO_SLOW if the caller falls ``queue_size`` events behind."""
        subscriber = Subscriber(branch_id, topics, self.queue_size)
        try:
            await self._join(subscriber)
            while True:
                yield await subscriber.next()
        finally:
            self._leave(subscriber)

    @property
    def listener_name(self) -> str | None:
        """The name the listener's connection has in Redis (``CLIENT LIST``), when it was given one."""
        name = self.listener.connection_pool.connection_kwargs.get("client_name")
        return name if isinstance(name, str) else None

    def listening(self, branch_id: uuid.UUID) -> int:
        """How many subscribers in this process listen to the branch now (their channels confirmed)."""
        return sum(1 for s in self._wanted.get(channel(branch_id), ()) if s.listening)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.listener is not self.redis:
            await self.listener.aclose()

    # --- subscribers ----------------------------------------------------------------------------

    async def _join(self, subscriber: Subscriber) -> None:
        for name in subscriber.channels:
            self._wanted.setdefault(name, set()).add(subscriber)
        subscriber.joined = True
        metrics.subscribers.inc()
        if self._task is None:
            self._task = asyncio.create_task(self._listen())
        self._changed.set()
        waits = [self._live.setdefault(name, asyncio.Event()).wait() for name in subscriber.channels]
        try:
            # not wait_for: on Python 3.11 it loses a cancellation that lands as the channels are confirmed,
            # and a subscription ended by its client would then wait for events forever
            async with asyncio.timeout(self.confirm_seconds):
                await asyncio.gather(*waits)
        except TimeoutError:  # Redis is away: the listener subscribes when it is back
            log.warning("event channels not confirmed; listening once Redis answers", branch=str(subscriber.branch_id))
        subscriber.listening = True

    def _leave(self, subscriber: Subscriber) -> None:
        """Forget the subscriber (once: a dropped subscriber leaves when dropped and when its caller stops)."""
        if not subscriber.joined:
            return
        subscriber.joined = subscriber.listening = False
        for name in subscriber.channels:
            members = self._wanted[name]
            members.discard(subscriber)
            if not members:
                del self._wanted[name]  # the listener unsubscribes
        metrics.subscribers.dec()
        self._changed.set()

    # --- the listener ---------------------------------------------------------------------------

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            pubsub = self.listener.pubsub()
            try:
                await pubsub.connect()  # type: ignore[no-untyped-call]
                backoff = 0.5
                await self._serve(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.reconnects += 1
                metrics.event_listener_reconnects.inc()
                log.warning("event listener lost its Redis connection; reconnecting", exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                # nothing is subscribed on the next connection yet: joiners wait for it to confirm
                self._sent.clear()
                self._unconfirmed.clear()
                self._live = {name: live for name, live in self._live.items() if name in self._wanted}
                for live in self._live.values():
                    live.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _serve(self, pubsub: PubSub) -> None:
        heard = time.monotonic()  # the last time Redis said anything
        pinged = False
        while True:
            await self._apply_changes(pubsub)
            message = await self._next_message(pubsub)
            now = time.monotonic()
            if message is not None:
                heard, pinged = now, False
                self._handle(message)
            elif now - heard > self.ping_after_seconds:
                if pinged:  # no answer to a ping: a half-open connection
                    raise ConnectionError("Redis did not answer a ping")
                await pubsub.ping()
                heard, pinged = now, True

    async def _apply_changes(self, pubsub: PubSub) -> None:
        """Subscribe to the channels newly wanted, unsubscribe from those no longer wanted. The state is
        settled before the commands go out, so a subscriber joining meanwhile waits for a fresh ack."""
        self._changed.clear()
        wanted = set(self._wanted)
        added, gone = sorted(wanted - self._sent), sorted(self._sent - wanted)
        for name in gone:
            self._sent.discard(name)
            if (live := self._live.get(name)) is not None:
                live.clear()
        self._sent.update(added)
        self._unconfirmed.update(added)
        for name in [name for name in self._live if name not in self._wanted and name not in self._sent]:
            del self._live[name]  # gone, or left before it was subscribed
        if added:
            await pubsub.subscribe(*added)
        if gone:
            await pubsub.unsubscribe(*gone)

    async def _next_message(self, pubsub: PubSub) -> dict[str, Any] | None:
        """The next message, or None after a second of quiet or when subscribers changed."""
        if self._changed.is_set():
            return None
        read = asyncio.ensure_future(pubsub.get_message(timeout=1.0))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({read, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            if not read.done():
                read.cancel()  # the reader keeps what it had read of a message for the next read
            await asyncio.gather(read, changed, return_exceptions=True)
        if read.cancelled():
            return None
        message: dict[str, Any] | None = read.result()
        return message

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        name = message.get("channel")
        if isinstance(name, bytes):
            name = name.decode()
        if kind == "subscribe" and isinstance(name, str):
            self._unconfirmed[name] -= 1
            if self._unconfirmed[name] <= 0:
                del self._unconfirmed[name]
                if name in self._sent:
                    self._live.setdefault(name, asyncio.Event()).set()
        elif kind == "message" and isinstance(name, str):
            try:
                event = Event.decode(message["data"])
            except (ValueError, KeyError, TypeError):
                log.warning("an event that does not decode was ignored", channel=name)
                return
            for subscriber in list(self._wanted.get(name, ())):
                if not subscriber.offer(event):
                    log.warning("a subscriber fell behind and was dropped", branch=str(subscriber.branch_id))
                    metrics.subscribers_dropped.inc()
                    self._leave(subscriber)

    async def ended_sessions(self, ready: asyncio.Event) -> AsyncIterator[EndedSessions]:
        """Sessions ended from now on (``ready`` is set once subscribed), on a connection of its own: one per
        process, since its one caller (graphql.context.OpenSockets) listens once for all its sockets."""
        async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(SESSIONS_ENDED)
            ready.set()
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield EndedSessions.decode(message["data"])


@dataclass(frozen=True)
class EndedSessions:
    """Whose sessions ended: all of them, or ``only`` one, or all but the one to ``keep`` (sign-in ids)."""

    staff_id: uuid.UUID
    only: uuid.UUID | None = None
    keep: uuid.UUID | None = None

    def includes(self, session_id: uuid.UUID | None) -> bool:
        if self.only is not None:
            return session_id == self.only
        return self.keep is None or session_id != self.keep

    def encode(self) -> str:
        return json.dumps({"staff": str(self.staff_id), "only": _text(self.only), "keep": _text(self.keep)})

    @classmethod
    def decode(cls, raw: str | bytes) -> EndedSessions:
        data = json.loads(raw)
        return cls(uuid.UUID(data["staff"]), _uuid(data.get("only")), _uuid(data.get("keep")))


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def announce_sessions_ended(
    session: AsyncSession, staff_id: uuid.UUID, *, only: uuid.UUID | None = None, keep: uuid.UUID | None = None
) -> None:
    """Once ``session`` commits, every process closes the WebSockets of the staff member's ended sessions
    (all of them; ``only`` one; all but ``keep``)."""
    bus: EventBus | None = session.info.get(EVENTS)
    if bus is not None:
        ended = EndedSessions(staff_id, only, keep)
        after_commit(session, lambda: bus.redis.publish(SESSIONS_ENDED, ended.encode()))


def publish_after_commit(session: AsyncSession, event: Event) -> None:
    """Publish ``event`` once ``session`` commits; a session without a bus (some tests) publishes nothing."""
    bus: EventBus | None = session.info.get(EVENTS)
    if bus is not None:
        after_commit(session, lambda: bus.publish(event))
