"""The process's one subscription listener (platform/events.py): any number of in-process subscribers
share one Redis connection; a channel is subscribed while someone in the process wants it; a subscriber
that falls behind is dropped, never buffered without bound; a killed connection is replaced and the
subscribers keep hearing events."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from branchdesk.platform.errors import DomainError
from branchdesk.platform.events import SUBSCRIBER_TOO_SLOW, Event, EventBus, channel

pytestmark = pytest.mark.external
TOPIC = "test.happened"
TOPICS = frozenset({TOPIC})


@pytest.fixture
async def bus(rt: Any, servers: Any) -> AsyncIterator[EventBus]:
    name = f"branchdesk-events-test-{secrets.token_hex(4)}"
    events = EventBus(rt.redis, Redis.from_url(servers.redis_url, client_name=name), queue_size=3)
    yield events
    await events.close()


async def connections(redis: Redis, name: str | None) -> list[dict[str, Any]]:
    """The Redis connections that go by ``name`` (CLIENT LIST)."""
    return [c for c in await redis.client_list() if c.get("name") == name]


async def numsub(redis: Redis, branch_id: uuid.UUID | None) -> int:
    [(_, count)] = await redis.pubsub_numsub(channel(branch_id))
    return int(count)


async def eventually(check: Any, what: str, seconds: float = 15) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


class Listener:
    """A subscriber driven by a task: what it heard, and how it ended."""

    def __init__(self, bus: EventBus, branch_id: uuid.UUID, *, reading: bool = True) -> None:
        self.heard: list[Event] = []
        self.ended: BaseException | None = None
        self.stream = bus.listen(branch_id, TOPICS)
        self.reading = asyncio.Event()
        if reading:
            self.reading.set()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            async for event in self.stream:
                self.heard.append(event)
                await self.reading.wait()  # a subscriber that stops reading after its first event
        except DomainError as exc:
            self.ended = exc

    async def stop(self) -> None:
        """Cancel it, as strawberry cancels an operation its client completes; it must end at once."""
        self.task.cancel()
        done, _ = await asyncio.wait({self.task}, timeout=5)
        assert done, "a cancelled subscriber kept waiting for events"
        await self.stream.aclose()


async def test_fifty_subscribers_in_one_process_share_one_redis_connection(rt, bus):
    branch, other = uuid.uuid4(), uuid.uuid4()
    listeners = [Listener(bus, branch) for _ in range(45)] + [Listener(bus, other) for _ in range(5)]
    await eventually(lambda: _true(bus.listening(branch) == 45 and bus.listening(other) == 5), "all listening")

    [connection] = await connections(rt.redis, bus.listener_name)
    assert int(connection["sub"]) == 3  # the two branches' channels and the every-branch one
    assert await numsub(rt.redis, branch) == 1 and await numsub(rt.redis, other) == 1
    await bus.publish(Event(TOPIC, branch, {"n": 1}))
    await bus.publish(Event(TOPIC, None, {"n": 2}))  # every branch
    await bus.publish(Event("another.topic", branch, {"n": 3}))
    await eventually(lambda: _true(all(len(x.heard) == (2 if i < 45 else 1) for i, x in enumerate(listeners))), "heard")

    assert [e.data["n"] for e in listeners[0].heard] == [1, 2]
    assert [e.data["n"] for e in listeners[-1].heard] == [2]
    for listener in listeners:
        await listener.stop()


async def test_a_channel_is_subscribed_while_someone_in_the_process_wants_it(rt, bus):
    branch = uuid.uuid4()
    first, second = Listener(bus, branch), Listener(bus, branch)
    await eventually(lambda: _true(bus.listening(branch) == 2), "both listening")

    await first.stop()
    await asyncio.sleep(0.2)
    assert await numsub(rt.redis, branch) == 1  # the other still listens
    await bus.publish(Event(TOPIC, branch))
    await eventually(lambda: _true(len(second.heard) == 1), "the other hears")
    await second.stop()
    await eventually(lambda: _numsub_is(rt.redis, branch, 0), "unsubscribed")

    assert len(await connections(rt.redis, bus.listener_name)) == 1  # the connection stays for the next one


async def test_subscribers_coming_and_going_leave_nothing_behind(rt, bus):
    branch = uuid.uuid4()

    async def come_and_go(pause: float) -> None:
        for _ in range(10):
            listener = Listener(bus, branch)
            await asyncio.sleep(pause)  # gone before, while or after its channel is confirmed
            await listener.stop()

    await asyncio.gather(*(come_and_go(n / 2000) for n in range(20)))  # 0 to 10 ms
    last = Listener(bus, branch)
    await eventually(lambda: _true(bus.listening(branch) == 1), "listening")
    await bus.publish(Event(TOPIC, branch))
    await eventually(lambda: _true(len(last.heard) == 1), "the last one hears")
    await last.stop()

    await eventually(lambda: _numsub_is(rt.redis, branch, 0), "unsubscribed")
    await eventually(lambda: _true(not bus._wanted and not bus._live), "nothing kept for the branch")
    assert len(await connections(rt.redis, bus.listener_name)) == 1


async def test_a_subscriber_that_falls_behind_is_dropped_and_the_others_hear_everything(rt, bus):
    branch = uuid.uuid4()
    slow, steady = Listener(bus, branch, reading=False), Listener(bus, branch)
    await eventually(lambda: _true(bus.listening(branch) == 2), "both listening")

    for n in range(6):  # the slow one takes the first, then holds 3 (its queue) and the fifth overflows
        await bus.publish(Event(TOPIC, branch, {"n": n}))
    await eventually(lambda: _true(len(steady.heard) == 6), "the steady one hears all")
    slow.reading.set()
    await asyncio.wait_for(slow.task, 5)

    assert isinstance(slow.ended, DomainError) and slow.ended.error is SUBSCRIBER_TOO_SLOW
    assert [e.data["n"] for e in slow.heard] == [0]  # what it held when dropped is not delivered late
    assert bus.listening(branch) == 1
    await steady.stop()


async def test_a_killed_connection_is_replaced_and_subscribers_keep_hearing(rt, bus):
    branch = uuid.uuid4()
    listener = Listener(bus, branch)
    await eventually(lambda: _true(bus.listening(branch) == 1), "listening")
    [before] = await connections(rt.redis, bus.listener_name)

    await rt.redis.client_kill_filter(_id=before["id"])
    await eventually(lambda: _numsub_is(rt.redis, branch, 1, replaced=before["id"], bus=bus), "resubscribed")
    await bus.publish(Event(TOPIC, branch, {"n": "after"}))
    await eventually(lambda: _true(len(listener.heard) == 1), "heard after the kill")

    assert bus.reconnects == 1 and listener.ended is None
    [after] = await connections(rt.redis, bus.listener_name)
    assert after["id"] != before["id"]
    await listener.stop()


async def _true(value: bool) -> bool:
    return value


async def _numsub_is(
    redis: Redis, branch: uuid.UUID, count: int, *, replaced: str | None = None, bus: EventBus | None = None
) -> bool:
    if replaced is not None and bus is not None:
        current = await connections(redis, bus.listener_name)
        if not current or current[0]["id"] == replaced:
            return False
    return await numsub(redis, branch) == count
