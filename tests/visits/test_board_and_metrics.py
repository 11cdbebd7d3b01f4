"""The live board and the metrics per line and hour, on a fixed morning in a Shanghai branch: every
figure worked out by hand below."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from branchdesk.visits import service as visits
from branchdesk.visits.rules import ServiceLine
from tests.visits.conftest import act, acting, register

pytestmark = pytest.mark.external

DAY = date(2026, 3, 9)  # a Monday


def local(hour: int, minute: int) -> datetime:
    """That time of DAY in Shanghai (UTC+8), as UTC."""
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


async def _serve(rt, floor, who, line, *, called, started=None, ended=None, no_show=None):
    visit = await act(rt, floor, who, visits.call_next, line, at=called)
    if started:
        await act(rt, floor, who, visits.start_service, visit.id, at=started)
    if ended:
        await act(rt, floor, who, visits.end_visit, visit.id, visits.Outcome(services_done=["办理"]), at=ended)
    if no_show:
        await act(rt, floor, who, visits.mark_no_show, visit.id, at=no_show)
    return visit


@pytest.fixture
async def morning(rt, floor):
    """Counter: A001 09:00 → called 09:05, served 09:06-09:16 (teller 1, 600 s); A002 09:10 → called 09:20,
    served 09:21-09:41 (teller 2, 1200 s); A003 09:30 → called 09:45, no-show 09:50; A004, A005, A006 at
    10:05, 10:10, 10:15; at 10:16 teller 1 calls the oldest, A004, and serves it from 10:21.
    VIP room: V001 09:15 → called 09:16, served 09:17-09:47 (customer manager, 1800 s)."""
    c, v = ServiceLine.COUNTER, ServiceLine.VIP_ROOM
    await register(rt, floor, c, at=local(9, 0))
    await register(rt, floor, c, at=local(9, 10))
    await register(rt, floor, v, at=local(9, 15))
    await _serve(rt, floor, floor.teller1, c, called=local(9, 5), started=local(9, 6), ended=local(9, 16))
    await _serve(rt, floor, floor.cm, v, called=local(9, 16), started=local(9, 17), ended=local(9, 47))
    await _serve(rt, floor, floor.teller2, c, called=local(9, 20), started=local(9, 21), ended=local(9, 41))
    await register(rt, floor, c, at=local(9, 30))
    await _serve(rt, floor, floor.teller2, c, called=local(9, 45), no_show=local(9, 50))
    for minute in (5, 10, 15):
        await register(rt, floor, c, at=local(10, minute))
    await _serve(rt, floor, floor.teller1, c, called=local(10, 16), started=local(10, 21))
    return floor


async def test_the_board_of_each_line(rt, morning):
    async with acting(rt, morning.branch, morning.lobby) as (session, by):
        counter, cm, vip, self_service = await visits.queue_boards(session, by, at=local(10, 30))

    # counter: A005 and A006 wait (A004 was called at 10:16, the oldest waiting), A004 is being served
    assert [t.number for t in counter.waiting] == ["A005", "A006"]
    assert [(t.number, t.state) for t in counter.being_served] == [("A004", "serving")]
    # two tellers served it today; recent services 600 s and 1200 s: 900 s on average
    assert (counter.staff_serving_today, counter.recent_services) == (2, 2)
    assert counter.average_service_time == timedelta(seconds=900)
    # the one ahead waits 0; the next 1 × 900 s ÷ 2 staff = 7.5 min → 8; a newcomer 2 × 900 ÷ 2 = 15 min
    assert [counter.wait_for(i) for i in range(2)] == [0, 8]
    assert counter.estimated_wait_minutes == 15
    # the VIP room is empty; the others have no service yet and estimate with their defaults
    assert (vip.waiting, vip.being_served, vip.staff_serving_today) == ([], [], 1)
    assert vip.average_service_time == timedelta(seconds=1800)
    assert (cm.recent_services, cm.average_service_time, cm.estimated_wait_minutes) == (0, None, 0)
    assert self_service.line is ServiceLine.SELF_SERVICE


async def test_the_metrics_per_line_and_hour(rt, morning):
    async with acting(rt, morning.branch, morning.head) as (session, by):
        found = await visits.queue_metrics(session, by, DAY)

    rows = {(m.line.value, m.hour): m for m in found}
    assert sorted(rows) == [("counter", 9), ("counter", 10), ("vip_room", 9)]
    nine = rows["counter", 9]
    # A001-A003 arrived 9-10: waits 300, 600 and 900 s; p90 = 600 + 0.8 × 300 = 840 (linear interpolation)
    assert (nine.arrivals, nine.called, nine.served, nine.no_shows) == (3, 3, 2, 1)
    assert (nine.average_wait_seconds, nine.p90_wait_seconds) == (600.0, 840.0)
    assert nine.average_service_seconds == 900.0
    assert nine.abandonment_rate == pytest.approx(1 / 3)
    ten = rows["counter", 10]
    # A004-A006 arrived 10-11: only A004 was called (after 11 minutes); nobody served to the end yet
    assert (ten.arrivals, ten.called, ten.served, ten.no_shows) == (3, 1, 0, 0)
    assert (ten.average_wait_seconds, ten.p90_wait_seconds, ten.average_service_seconds) == (660.0, 660.0, None)
    vip = rows["vip_room", 9]
    assert (vip.arrivals, vip.average_wait_seconds, vip.average_service_seconds) == (1, 60.0, 1800.0)
