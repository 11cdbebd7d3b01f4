"""Raising notifications: stored once per recipient and key, in the branch's inbox only, announced live
after commit and never for a rolled-back change."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from branchdesk.notifications import service as notifications
from branchdesk.notifications.kinds import notification_kind
from branchdesk.notifications.models import Notification
from branchdesk.platform.events import Event
from branchdesk.tenants import repository as tenants
from tests.conftest import add_member

pytestmark = pytest.mark.external

TEST_KIND = notification_kind("test.raised", "Raised by a test", "测试通知")


class Heard:
    """A live subscriber to the branch's ``notification.added`` events on the process's real bus."""

    def __init__(self, rt, branch_id: uuid.UUID) -> None:
        self.events: list[Event] = []
        self.stream = rt.events.listen(branch_id, frozenset({notifications.ADDED}))
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for event in self.stream:
            self.events.append(event)

    async def settle(self, expected: int) -> list[Event]:
        """What was heard once ``expected`` events arrived (or two seconds passed), then stop listening."""
        for _ in range(40):
            if len(self.events) >= expected:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # anything more that would have come
        self.task.cancel()
        await asyncio.wait({self.task}, timeout=5)
        await self.stream.aclose()
        return self.events


async def listening(rt, branch_id: uuid.UUID) -> Heard:
    heard = Heard(rt, branch_id)
    for _ in range(100):
        if rt.events.listening(branch_id):
            return heard
        await asyncio.sleep(0.05)
    raise AssertionError("the subscriber never started listening")


async def staff_id(rt, number: str) -> uuid.UUID:
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, number)
        assert staff is not None
        return staff.id


async def test_the_same_key_to_the_same_person_is_one_notification(rt, world):
    teller = await staff_id(rt, await add_member(rt, world.branch_a, ["teller"]))
    head = await staff_id(rt, world.head_a)
    heard = await listening(rt, world.branch_a.id)
    async with rt.db.session(world.branch_a.id) as session:
        first = await notifications.notify(
            session, world.branch_a.id, [teller, head, teller], kind=TEST_KIND, key="k1", title="Hello"
        )
        again = await notifications.notify(session, world.branch_a.id, [teller], kind=TEST_KIND, key="k1", title="Hi")
    assert len(first) == 2 and again == []
    events = [e for e in await heard.settle(2) if e.data["kind"] == TEST_KIND and e.data["id"] in map(str, first)]
    assert sorted(e.data["staff"] for e in events) == sorted([str(teller), str(head)])
    async with rt.db.session(world.branch_a.id) as session:
        rows = list(await session.scalars(select(Notification).where(Notification.recipient_id == teller)))
    assert [(n.title, n.kind, n.read_at) for n in rows] == [("Hello", TEST_KIND, None)]


async def test_a_rolled_back_change_notifies_nobody(rt, world):
    teller = await staff_id(rt, await add_member(rt, world.branch_a, ["teller"]))
    heard = await listening(rt, world.branch_a.id)
    with pytest.raises(RuntimeError):
        async with rt.db.session(world.branch_a.id) as session:
            await notifications.notify(session, world.branch_a.id, [teller], kind=TEST_KIND, key="gone", title="x")
            raise RuntimeError("the change failed")
    assert [e for e in await heard.settle(1) if e.data["staff"] == str(teller)] == []
    async with rt.db.session(world.branch_a.id) as session:
        assert await session.scalar(select(Notification.id).where(Notification.recipient_id == teller)) is None


async def test_another_branch_sees_none_of_the_inbox(rt, world):
    head = await staff_id(rt, world.head_a)
    async with rt.db.session(world.branch_a.id) as session:
        await notifications.notify(session, world.branch_a.id, [head], kind=TEST_KIND, key="mine", title="Only A")
    async with rt.db.session(world.branch_b.id) as session:
        seen = list(await session.scalars(select(Notification).where(Notification.recipient_id == head)))
    assert seen == []


async def test_an_undeclared_kind_is_a_programming_error(rt, world):
    head = await staff_id(rt, world.head_a)
    async with rt.db.session(world.branch_a.id) as session:
        with pytest.raises(ValueError, match="undeclared"):
            await notifications.notify(session, world.branch_a.id, [head], kind="nobody.declared", key="k", title="x")
