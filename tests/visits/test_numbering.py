"""Ticket numbers: per line, per branch, per local day in the branch's own time zone, restarting at its
local midnight; concurrent registrations get consecutive numbers, without gaps or duplicates."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from branchdesk.visits.models import QueueTicket
from branchdesk.visits.rules import ServiceLine
from tests.visits.conftest import acting, make_floor, register

pytestmark = pytest.mark.external


async def test_each_line_has_its_prefix_and_its_own_sequence(rt, floor):
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    numbers = [
        (await register(rt, floor, line, at=at)).ticket_number
        for line in (
            ServiceLine.COUNTER,
            ServiceLine.COUNTER,
            ServiceLine.VIP_ROOM,
            ServiceLine.CUSTOMER_MANAGER,
            ServiceLine.SELF_SERVICE,
            ServiceLine.COUNTER,
        )
    ]
    assert numbers == ["A001", "A002", "V001", "B001", "S001", "A003"]


async def test_numbering_restarts_at_local_midnight_in_shanghai(rt, floor):
    # given a branch in Asia/Shanghai (UTC+8): 15:59 UTC is 23:59 there, 16:00 UTC is the next day's 00:00
    before = await register(rt, floor, at=datetime(2026, 3, 2, 15, 58, tzinfo=UTC))
    last = await register(rt, floor, at=datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC))
    after = await register(rt, floor, at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))

    assert (before.ticket_number, before.local_day) == ("A001", date(2026, 3, 2))
    assert (last.ticket_number, last.local_day) == ("A002", date(2026, 3, 2))
    assert (after.ticket_number, after.local_day) == ("A001", date(2026, 3, 3))


async def test_numbering_follows_each_branchs_own_zone(rt, world, floor):
    # given a branch in New York as well (UTC-5 in March before the clocks change on the 8th)
    new_york = await make_floor(rt, world, "America/New_York")
    shanghai_midnight = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # Shanghai's 4 March starts; New York's 3rd goes on
    ny_evening = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)  # 18:00 in New York
    ny_midnight = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)  # New York's 4 March starts

    sh = await register(rt, floor, at=datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    ny1 = await register(rt, new_york, at=datetime(2026, 3, 3, 14, 0, tzinfo=UTC))
    sh_next = await register(rt, floor, at=shanghai_midnight)
    ny2 = await register(rt, new_york, at=shanghai_midnight)
    ny3 = await register(rt, new_york, at=ny_evening)
    ny4 = await register(rt, new_york, at=ny_midnight)

    assert [(v.ticket_number, v.local_day) for v in (sh, sh_next)] == [
        ("A001", date(2026, 3, 3)),
        ("A001", date(2026, 3, 4)),
    ]
    assert [(v.ticket_number, v.local_day) for v in (ny1, ny2, ny3, ny4)] == [
        ("A001", date(2026, 3, 3)),
        ("A002", date(2026, 3, 3)),
        ("A003", date(2026, 3, 3)),
        ("A001", date(2026, 3, 4)),
    ]


async def test_concurrent_registrations_get_every_number_once(rt, floor):
    # when twenty lobby registrations run at once, each in its own transaction and connection
    at = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    made = await asyncio.gather(*(register(rt, floor, ServiceLine.COUNTER, at=at) for _ in range(20)))

    # then the numbers are A001 to A020, each once: no gap, no duplicate
    assert sorted(v.ticket_number for v in made) == [f"A{n:03d}" for n in range(1, 21)]
    async with acting(rt, floor.branch) as (session, _):
        seqs = await session.scalars(
            select(QueueTicket.seq).where(
                QueueTicket.tenant_id == floor.branch.id, QueueTicket.local_day == date(2026, 3, 5)
            )
        )
        assert sorted(seqs) == list(range(1, 21))
