"""The demo's morning queue: waiting tickets on two lines, one being served, a few served earlier with
their service times; recorded once a day, numbered so that the next registration follows on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from branchdesk.demo import DEMO_QUEUE, demo_queue
from branchdesk.tenants import repository as tenants
from branchdesk.visits import service as visits
from branchdesk.visits.rules import ServiceLine
from tests.visits.conftest import act, acting, register

pytestmark = pytest.mark.external


def test_the_morning_stays_in_today_when_the_demo_runs_just_after_midnight():
    zone = ZoneInfo("Asia/Shanghai")
    midnight = datetime(2026, 3, 10, tzinfo=zone).astimezone(UTC)
    now = midnight + timedelta(minutes=20)
    morning = demo_queue(now, midnight, {}, None, None)  # type: ignore[arg-type]
    assert all(midnight <= v.issued_at <= now for v in morning)
    assert [v.issued_at for v in morning] == sorted(v.issued_at for v in morning)


async def test_the_demo_morning_is_recorded_once_and_the_queue_goes_on_from_it(rt, floor):
    now = datetime.now(UTC)
    zone = ZoneInfo(floor.branch.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone).astimezone(UTC)
    async with acting(rt, floor.branch) as (session, system):
        teller = (await tenants.staff_by_employee_number(session, floor.teller1)).id
        manager = (await tenants.staff_by_employee_number(session, floor.cm)).id
        morning = demo_queue(now, midnight, {}, teller, manager)
        assert await visits.record_in_bulk(session, system, morning) == len(DEMO_QUEUE)
        assert await visits.record_in_bulk(session, system, morning) == 0

    async with acting(rt, floor.branch, floor.lobby) as (session, by):
        counter, cm, *_ = await visits.queue_boards(session, by)
    assert [t.number for t in counter.waiting] == ["A005", "A006", "A007"]
    assert [(t.number, t.state) for t in counter.being_served] == [("A004", "serving")]
    assert [t.number for t in cm.waiting] == ["B002", "B003"]
    assert counter.recent_services == 2 and counter.average_service_time is not None
    assert cm.recent_services == 1

    # the queue goes on: the oldest waiting is called next, a new walk-in takes the next number
    called = await act(rt, floor, floor.teller1, visits.call_next, ServiceLine.COUNTER)
    assert called.ticket_number == "A005"
    assert (await register(rt, floor)).ticket_number == "A008"
    assert (await register(rt, floor, ServiceLine.CUSTOMER_MANAGER)).ticket_number == "B004"
