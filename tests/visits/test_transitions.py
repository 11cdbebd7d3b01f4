"""Every action from every state of a visit's current ticket, allowed or refused as the one table says;
transfers keep the visit and its history; the outcome is recorded and checked; registration finds the
client as the CRM does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from branchdesk.crm import records
from branchdesk.crm.rules import IdDocumentType
from branchdesk.crm.service import ClientDraft
from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput, NotFound
from branchdesk.visits import service as visits
from branchdesk.visits.rules import TRANSITIONS, ServiceLine, TicketAction, TicketState
from tests.crm.conftest import mobile, resident_id
from tests.visits.conftest import act, acting, register

pytestmark = pytest.mark.external

A, S = TicketAction, TicketState
EXPECTED = {
    (A.CALL, S.WAITING): S.CALLED,
    (A.START, S.CALLED): S.SERVING,
    (A.END, S.SERVING): S.SERVED,
    (A.NO_SHOW, S.WAITING): S.NO_SHOW,
    (A.NO_SHOW, S.CALLED): S.NO_SHOW,
    (A.TRANSFER, S.WAITING): S.TRANSFERRED,
    (A.TRANSFER, S.CALLED): S.TRANSFERRED,
    (A.TRANSFER, S.SERVING): S.TRANSFERRED,
}
# How to bring a new counter visit to each state its current ticket can be in (a transferred ticket is
# never current: the visit has moved on to a new one).
PATH = {
    S.WAITING: [],
    S.CALLED: [A.CALL],
    S.SERVING: [A.CALL, A.START],
    S.SERVED: [A.CALL, A.START, A.END],
    S.NO_SHOW: [A.CALL, A.NO_SHOW],
}
OUTCOME = visits.Outcome(services_done=["取款"], survey_sent=True)


def test_the_table_is_the_flow_of_the_issue():
    assert TRANSITIONS == EXPECTED


async def _do(session, by, visit_id, action):
    if action is A.CALL:
        return await visits.call_visit(session, by, visit_id)
    if action is A.START:
        return await visits.start_service(session, by, visit_id)
    if action is A.END:
        return await visits.end_visit(session, by, visit_id, OUTCOME)
    if action is A.NO_SHOW:
        return await visits.mark_no_show(session, by, visit_id)
    return await visits.transfer(session, by, visit_id, ServiceLine.VIP_ROOM, "贵宾客户")


@pytest.mark.parametrize("state", list(PATH), ids=lambda s: s.value)
@pytest.mark.parametrize("action", list(A), ids=lambda a: a.value)
async def test_every_action_from_every_state(rt, shared_floor, action, state):
    floor = shared_floor
    # given a counter visit whose ticket is in the state
    visit = await register(rt, floor)
    async with acting(rt, floor.branch, floor.head) as (session, by):
        for step in PATH[state]:
            await _do(session, by, visit.id, step)
    expected = EXPECTED.get((action, state))

    async with acting(rt, floor.branch, floor.head) as (session, by):
        if expected is None:
            # then a refused step is a typed error naming the current state
            with pytest.raises(DomainError) as refused:
                await _do(session, by, visit.id, action)
            wanted = "QUEUE_TICKET_ALREADY_CALLED" if action is A.CALL and state in (S.CALLED, S.SERVING) else None
            assert refused.value.code == (wanted or "VISIT_TRANSITION_REFUSED")
            assert refused.value.field == "visitId"
            if wanted is None:
                assert refused.value.params["state"] == state.value
        else:
            # when it is allowed, the visit follows its ticket
            moved = await _do(session, by, visit.id, action)
            tickets = (await visits.tickets_of(session, by, [visit.id]))[visit.id]
            assert tickets[0].state == expected.value
            if action is A.TRANSFER:
                assert (moved.state, moved.line, moved.ticket_number[0]) == ("waiting", "vip_room", "V")
                assert [t.state for t in tickets] == ["transferred", "waiting"]
            else:
                assert moved.state == expected.value and len(tickets) == 1


async def test_a_transfer_keeps_the_visit_and_its_history(rt, floor):
    # given a visit served at the counter, who turns out to want a wealth product
    visit = await register(rt, floor, note="取现")
    await act(rt, floor, floor.teller1, visits.call_next, ServiceLine.COUNTER)
    await act(rt, floor, floor.teller1, visits.start_service, visit.id)

    # when the teller sends them to the customer-manager line, where a customer manager serves them
    moved = await act(rt, floor, floor.teller1, visits.transfer, visit.id, ServiceLine.CUSTOMER_MANAGER, "理财需求")
    await act(rt, floor, floor.cm, visits.call_next, ServiceLine.CUSTOMER_MANAGER)
    await act(rt, floor, floor.cm, visits.start_service, visit.id)
    outcome = visits.Outcome(
        services_done=["理财咨询"],
        products_of_interest=["稳健理财A", "定期存款"],
        referral_raised=True,
        referral_note="客户有 50 万到期资金",
        survey_sent=True,
    )
    ended = await act(rt, floor, floor.cm, visits.end_visit, visit.id, outcome)

    # then it is the same visit, with both tickets in its history
    assert moved.id == visit.id == ended.id
    assert (ended.line, ended.ticket_number, ended.state) == ("customer_manager", "B001", "served")
    assert ended.products_of_interest == ["稳健理财A", "定期存款"] and ended.referral_raised is True
    assert ended.referral_note == "客户有 50 万到期资金" and ended.survey_sent is True
    async with acting(rt, floor.branch, floor.lobby) as (session, by):
        tickets = (await visits.tickets_of(session, by, [visit.id]))[visit.id]
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.tenant_id == floor.branch.id, AuditEvent.target_id == str(visit.id))
                .order_by(AuditEvent.seq)
            )
        )
    assert [(t.number, t.state, t.transferred_to, t.note) for t in tickets] == [
        ("A001", "transferred", "customer_manager", "理财需求"),
        ("B001", "served", None, None),
    ]
    assert tickets[0].started_at is not None and tickets[0].ended_at == tickets[1].issued_at
    assert actions == [
        "visit.registered",
        "visit.called",
        "visit.start",
        "visit.transferred",
        "visit.called",
        "visit.start",
        "visit.end",
    ]


async def test_a_transfer_to_the_same_line_is_refused(rt, floor):
    visit = await register(rt, floor)
    with pytest.raises(DomainError) as refused:
        await act(rt, floor, floor.lobby, visits.transfer, visit.id, ServiceLine.COUNTER)
    assert (refused.value.code, refused.value.field) == ("VISIT_TRANSFER_SAME_LINE", "line")


async def test_ending_a_visit_checks_its_outcome_and_writes_nothing_when_wrong(rt, floor):
    visit = await register(rt, floor)
    await act(rt, floor, floor.teller1, visits.call_next, ServiceLine.COUNTER)
    await act(rt, floor, floor.teller1, visits.start_service, visit.id)
    wrong = visits.Outcome(services_done=["x"] * 11, products_of_interest=[""], referral_raised=True)

    with pytest.raises(InvalidInput) as refused:
        await act(rt, floor, floor.teller1, visits.end_visit, visit.id, wrong)

    assert sorted((e.code, e.field) for e in refused.value.errors) == [
        ("VISIT_OUTCOME_INVALID", "productsOfInterest"),
        ("VISIT_OUTCOME_INVALID", "servicesDone"),
        ("VISIT_REFERRAL_NOTE_REQUIRED", "referralNote"),
    ]
    async with acting(rt, floor.branch, floor.lobby) as (session, by):
        (still,) = await visits.visits_by_id(session, by, [visit.id])
    assert still.state == "serving" and still.services_done == []


async def test_who_may_do_what(rt, floor):
    visit = await register(rt, floor)
    # a teller does not register visits; a risk officer does not serve or see the queue
    with pytest.raises(Forbidden):
        await act(rt, floor, floor.teller1, visits.register_visit, visits.VisitDraft("cash", "counter"))
    for fn, args in ((visits.call_next, ("counter",)), (visits.start_service, (visit.id,))):
        with pytest.raises(Forbidden):
            await act(rt, floor, floor.risk, fn, *args)
    async with acting(rt, floor.branch, floor.risk) as (session, by):
        assert await visits.visits_by_id(session, by, [visit.id]) == []
    # the lobby manager transfers (re-triage) but does not serve
    moved = await act(rt, floor, floor.lobby, visits.transfer, visit.id, ServiceLine.SELF_SERVICE)
    assert moved.ticket_number == "S001"
    with pytest.raises(Forbidden):
        await act(rt, floor, floor.lobby, visits.call_next, ServiceLine.SELF_SERVICE)


async def test_registration_finds_the_client_by_phone_or_id_number(rt, floor):
    phone, id_number = mobile(), resident_id()
    async with acting(rt, floor.branch) as (session, by):
        staff = await act_staff_id(session, floor.cm)
        draft = ClientDraft(
            client_number="V" + phone[-8:],
            name="李娜",
            phone=phone,
            id_type=IdDocumentType.RESIDENT_ID,
            id_number=id_number,
            owner_id=staff,
        )
        client = await records.create_client(session, by, draft)

    by_phone = await register(rt, floor, phone=phone)
    by_id = await register(rt, floor, ServiceLine.VIP_ROOM, id_number=id_number.lower())
    walk_in = await register(rt, floor)

    assert by_phone.client_id == by_id.client_id == client.id
    assert walk_in.client_id is None
    with pytest.raises(NotFound) as unknown:
        await register(rt, floor, phone=mobile())
    assert unknown.value.field == "phone"
    with pytest.raises(DomainError) as two_ways:
        await register(rt, floor, phone=phone, id_number=id_number)
    assert two_ways.value.code == "VISIT_CLIENT_ONE_WAY"


async def act_staff_id(session, employee_number):
    from branchdesk.tenants import repository as tenants

    return (await tenants.staff_by_employee_number(session, employee_number)).id
