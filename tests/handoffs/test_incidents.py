"""Support tickets and incident mode: a ticket is a handoff to its queue with a severity's SLA; one open
incident of a kind per branch, announced to everyone on duty, with a timeline, participants and a
closing review."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchdesk.availability import service as availability
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError
from branchdesk.tickets import rules
from branchdesk.tickets import service as tickets
from tests.handoffs.conftest import acting, inbox

pytestmark = pytest.mark.external


def _ticket(severity, title="核心系统登录失败"):
    return tickets.TicketDraft(
        rules.TicketQueue.IT_SUPPORT, rules.TicketCategory.CORE_BANKING, severity, title, "柜员无法登录核心系统"
    )


async def test_a_ticket_is_a_handoff_to_its_queue_due_by_its_severity(rt, team):
    async with acting(rt, team.branch, team.teller) as (session, by):
        critical = await tickets.open_ticket(session, by, _ticket(rules.Severity.CRITICAL))
        low = await tickets.open_ticket(session, by, _ticket(rules.Severity.LOW))
    async with acting(rt, team.branch, team.it) as (session, by):
        from branchdesk.handoffs import service as handoffs

        found = {h.id: h for h in await handoffs.handoffs_by_id(session, by, [critical.id, low.id])}
    # IT support has both (routed through the queue's role), the critical one due first
    assert {h.assignee_id for h in found.values()} == {team.id(team.it)}
    assert found[critical.id].due_at < found[low.id].due_at
    assert (found[critical.id].priority, found[low.id].priority) == ("urgent", "low")
    assert (team.id(team.it), critical.id) in await inbox(rt, team.branch.id, "handoff.assigned")


async def test_incident_mode_broadcasts_to_everyone_on_duty_once_per_kind(rt, team):
    # given the risk officer away today
    async with acting(rt, team.branch, team.head) as (session, by):
        await availability.record_absence(
            session, by, team.id(team.risk), utcnow(), utcnow() + timedelta(days=1), "培训"
        )
    # when the lobby manager declares crowding
    async with acting(rt, team.branch, team.lobby) as (session, by):
        incident = await tickets.declare_incident(
            session, by, rules.IncidentKind.CROWDING, "大厅排队超过40人", "启动分流", [team.id(team.cm1)]
        )
    # then everyone on duty is told once, the absent risk officer not
    told = [r for r, _ in await inbox(rt, team.branch.id, "incident.declared")]
    on_duty = [team.id(n) for n in (team.head, team.cm1, team.cm2, team.teller, team.lobby, team.it)]
    assert sorted(told) == sorted(on_duty)
    # a second crowding incident is refused while this one is open; another kind is not
    async with acting(rt, team.branch, team.head) as (session, by):
        with pytest.raises(DomainError) as refused:
            await tickets.declare_incident(session, by, rules.IncidentKind.CROWDING, "又一次拥堵")
        assert refused.value.code == "INCIDENT_ALREADY_OPEN" and "crowding" in refused.value.message("en")
    async with acting(rt, team.branch, team.it) as (session, by):
        outage = await tickets.declare_incident(session, by, rules.IncidentKind.SYSTEM_OUTAGE, "网络中断")
    assert outage.state == "open"
    # the timeline: a teller posts, joining the participants
    async with acting(rt, team.branch, team.teller) as (session, by):
        await tickets.post_update(session, by, incident.id, "3号窗口临时开放")
    async with acting(rt, team.branch, team.head) as (session, by):
        people = await tickets.participants_of(session, by, [incident.id])
        updates = await tickets.updates_of(session, by, [incident.id])
    assert {p.staff_id for p in people[incident.id]} == {team.id(team.lobby), team.id(team.cm1), team.id(team.teller)}
    assert [u.body for u in updates[incident.id]] == ["启动分流", "3号窗口临时开放"]


async def test_closing_needs_the_review_and_ends_the_timeline(rt, team):
    async with acting(rt, team.branch, team.it) as (session, by):
        incident = await tickets.declare_incident(session, by, rules.IncidentKind.SECURITY_EVENT, "可疑邮件")
    async with acting(rt, team.branch, team.it) as (session, by):
        with pytest.raises(DomainError) as refused:
            await tickets.close_incident(session, by, incident.id, " ")
    assert (refused.value.code, refused.value.field) == ("INCIDENT_REVIEW_REQUIRED", "review")
    async with acting(rt, team.branch, team.it) as (session, by):
        closed = await tickets.close_incident(session, by, incident.id, "钓鱼邮件，已隔离，加强培训")
    assert closed.state == "closed" and closed.review
    async with acting(rt, team.branch, team.teller) as (session, by):
        with pytest.raises(DomainError) as refused:
            await tickets.post_update(session, by, incident.id, "还有吗")
    assert refused.value.code == "INCIDENT_CLOSED"
    # once closed, the kind may be declared again
    async with acting(rt, team.branch, team.it) as (session, by):
        again = await tickets.declare_incident(session, by, rules.IncidentKind.SECURITY_EVENT, "又一封")
    assert again.id != incident.id
