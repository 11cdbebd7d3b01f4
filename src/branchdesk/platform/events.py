"""Live events for subscriptions, fanned out across processes through Redis pub/sub.

A service announces an event with :func:`publish_after_commit`: it is published once the transaction
that caused it commits (never if it rolls back), on the branch's channel, so that whichever API process
holds a subscriber's WebSocket delivers it. An event for every branch (a head-office baseline change)
goes on the shared channel, which every subscriber also listens to. Events carry ids, not data: the
subscriber reads what it may see, as itself, when it delivers one.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import after_commit

EVENTS = "events"  # session.info key: the process's EventBus (the runtime puts it there)
PREFIX = "branchdesk:events:"
EVERY_BRANCH = "all"
SESSIONS_ENDED = PREFIX + "sessions-ended"  # a staff member's sessions were ended: close their sockets


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


class EventBus:
    """Publishing and listening on Redis; one per process."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def publish(self, event: Event) -> None:
        await self.redis.publish(channel(event.branch_id), event.encode())

    async def listen(self, branch_id: uuid.UUID, topics: frozenset[str]) -> AsyncIterator[Event]:
        """The branch's events of these topics (and every-branch ones), from now until the caller stops.
        Each listener holds its own Redis connection while it listens."""
        async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(channel(branch_id), channel(None))
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                event = Event.decode(message["data"])
                if event.topic in topics and event.branch_id in (branch_id, None):
                    yield event

    async def ended_sessions(self, ready: asyncio.Event) -> AsyncIterator[EndedSessions]:
        """Sessions ended from now on (``ready`` is set once subscribed)."""
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
