"""Comments with @mentions on handoffs, clients and tickets: each member mentioned is notified once, by
number or by id, never the author; a comment needs a subject the author sees."""

from __future__ import annotations

import pytest

from branchdesk.handoffs import comments
from branchdesk.handoffs.rules import SubjectType
from branchdesk.platform.errors import DomainError
from branchdesk.tickets import rules as ticket_rules
from branchdesk.tickets import service as tickets
from tests.handoffs.conftest import acting, client_of, inbox, raise_

pytestmark = pytest.mark.external


async def test_mentions_notify_each_member_once(rt, team):
    made = await raise_(rt, team, team.teller)
    # when IT support mentions the teller twice (by number, in any case) and the head by id, and themselves
    body = f"@{team.teller} 请重启打印机，@{team.teller.lower()} 若不行再找 @{team.it}。@E9999999 不在本网点"
    async with acting(rt, team.branch, team.it) as (session, by):
        written = await comments.add_comment(session, by, SubjectType.HANDOFF, made.id, body, [team.id(team.head)])
    # then the teller and the head are told once each, the author and the stranger not at all
    told = await inbox(rt, team.branch.id, "comment.mentioned")
    assert sorted(r for r, _ in told) == sorted([team.id(team.teller), team.id(team.head)])
    assert {s for _, s in told} == {made.id}
    assert sorted(written.mentions) == sorted([str(team.id(team.teller)), str(team.id(team.head))])


async def test_a_comment_on_a_client_needs_the_client_in_scope(rt, team):
    client = await client_of(rt, team, team.cm1)
    async with acting(rt, team.branch, team.cm1) as (session, by):
        await comments.add_comment(session, by, SubjectType.CLIENT, client, f"客户下周来行，@{team.cm2} 请准备材料")
    assert [r for r, _ in await inbox(rt, team.branch.id, "comment.mentioned")] == [team.id(team.cm2)]
    # the other customer manager, whose scope is their own clients, does not find this one
    async with acting(rt, team.branch, team.cm2) as (session, by):
        with pytest.raises(DomainError) as refused:
            await comments.add_comment(session, by, SubjectType.CLIENT, client, "看不到")
    assert (refused.value.code, refused.value.field) == ("NOT_FOUND", "subjectId")


async def test_a_comment_on_a_ticket_and_the_thread_in_order(rt, team):
    draft = tickets.TicketDraft(
        ticket_rules.TicketQueue.IT_SUPPORT,
        ticket_rules.TicketCategory.HARDWARE,
        ticket_rules.Severity.HIGH,
        "凭条打印机卡纸",
        "2号窗口凭条打印机卡纸",
    )
    async with acting(rt, team.branch, team.teller) as (session, by):
        ticket = await tickets.open_ticket(session, by, draft)
    async with acting(rt, team.branch, team.it) as (session, by):
        await comments.add_comment(session, by, SubjectType.TICKET, ticket.id, "马上到")
    async with acting(rt, team.branch, team.teller) as (session, by):
        await comments.add_comment(session, by, SubjectType.TICKET, ticket.id, "好的")
    # a member who neither opened it nor works IT does not find it
    async with acting(rt, team.branch, team.cm1) as (session, by):
        with pytest.raises(DomainError):
            await comments.add_comment(session, by, SubjectType.TICKET, ticket.id, "?")
    from branchdesk.platform.pagination import PageRequest

    async with acting(rt, team.branch, team.teller) as (session, by):
        page = await comments.list_comments(
            session, by, SubjectType.TICKET, ticket.id, PageRequest.of(10, None, default=20, maximum=100)
        )
    assert [c.body for _, c in page.items] == ["马上到", "好的"]
