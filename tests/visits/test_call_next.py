"""Call next: concurrent callers, each in its own transaction and connection, never get the same ticket;
tickets are called oldest first, on the caller's line only, and only today's."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.errors import DomainError
from branchdesk.visits import service as visits
from branchdesk.visits.models import QueueTicket
from branchdesk.visits.rules import ServiceLine, TicketState
from tests.visits.conftest import act, acting, register

pytestmark = pytest.mark.external


async def _call(rt, floor, employee_number):
    try:
        return await act(rt, floor, employee_number, visits.call_next, ServiceLine.COUNTER)
    except DomainError as refused:
        return refused.code


async def test_twenty_concurrent_callers_serve_ten_tickets_exactly_once(rt, floor):
    # given ten waiting tickets on the counter line
    registered = [await register(rt, floor) for _ in range(10)]

    # when twenty call-next requests run at once, by two tellers, each in its own transaction
    outcomes = await asyncio.gather(*(_call(rt, floor, (floor.teller1, floor.teller2)[i % 2]) for i in range(20)))

    # then each ticket was called exactly once and the other ten callers heard the queue is empty
    called = [o.id for o in outcomes if not isinstance(o, str)]
    assert Counter(o for o in outcomes if isinstance(o, str)) == {"QUEUE_EMPTY": 10}
    assert sorted(called) == sorted(v.id for v in registered)
    async with acting(rt, floor.branch) as (session, _):
        states = Counter(
            await session.scalars(select(QueueTicket.state).where(QueueTicket.tenant_id == floor.branch.id))
        )
        audits = await session.scalar(
            select(func.count()).where(AuditEvent.tenant_id == floor.branch.id, AuditEvent.action == "visit.called")
        )
    assert states == {TicketState.CALLED.value: 10}
    assert audits == 10


async def test_the_oldest_ticket_of_the_line_is_called_first(rt, floor):
    first = await register(rt, floor)
    await register(rt, floor, ServiceLine.VIP_ROOM)
    second = await register(rt, floor)

    called = [await act(rt, floor, floor.teller1, visits.call_next, ServiceLine.COUNTER) for _ in range(2)]

    assert [v.id for v in called] == [first.id, second.id]
    assert [v.state for v in called] == ["called", "called"]


async def test_yesterdays_forgotten_tickets_are_not_called_today(rt, floor):
    # given a ticket left waiting yesterday and one of today
    await register(rt, floor, at=datetime.now(UTC) - timedelta(days=1))
    today = await register(rt, floor)

    called = await act(rt, floor, floor.teller1, visits.call_next, ServiceLine.COUNTER)
    assert called.id == today.id
    with pytest.raises(DomainError) as empty:
        await act(rt, floor, floor.teller1, visits.call_next, ServiceLine.COUNTER)
    assert (empty.value.code, empty.value.field) == ("QUEUE_EMPTY", "line")


async def test_a_caller_serves_only_the_lines_of_their_role(rt, floor):
    await register(rt, floor, ServiceLine.COUNTER)
    await register(rt, floor, ServiceLine.CUSTOMER_MANAGER)

    # a customer manager does not call on the counter line; a teller not on the customer-manager line
    for who, line in ((floor.cm, ServiceLine.COUNTER), (floor.teller1, ServiceLine.CUSTOMER_MANAGER)):
        with pytest.raises(DomainError) as refused:
            await act(rt, floor, who, visits.call_next, line)
        assert (refused.value.code, refused.value.field) == ("QUEUE_LINE_NOT_YOURS", "line")

    # each on their own line; the branch head on any
    assert (await act(rt, floor, floor.cm, visits.call_next, ServiceLine.CUSTOMER_MANAGER)).ticket_number == "B001"
    assert (await act(rt, floor, floor.head, visits.call_next, ServiceLine.COUNTER)).ticket_number == "A001"


async def test_an_unknown_line_is_a_typed_error(rt, floor):
    with pytest.raises(DomainError) as refused:
        await act(rt, floor, floor.teller1, visits.call_next, "mortgage_desk")
    assert (refused.value.code, refused.value.field) == ("QUEUE_LINE_UNKNOWN", "line")


async def test_calling_a_ticket_out_of_turn_and_calling_it_twice(rt, floor):
    await register(rt, floor)
    appointment = await register(rt, floor)

    called = await act(rt, floor, floor.teller1, visits.call_visit, appointment.id, ServiceLine.COUNTER)
    assert (called.id, called.state) == (appointment.id, "called")

    with pytest.raises(DomainError) as twice:
        await act(rt, floor, floor.teller2, visits.call_visit, appointment.id, ServiceLine.COUNTER)
    assert (twice.value.code, twice.value.params["number"]) == ("QUEUE_TICKET_ALREADY_CALLED", "A002")
    with pytest.raises(DomainError) as elsewhere:
        await act(rt, floor, floor.head, visits.call_visit, appointment.id, ServiceLine.VIP_ROOM)
    assert elsewhere.value.code == "VISIT_NOT_ON_LINE"
