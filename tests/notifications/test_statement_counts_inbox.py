"""The statements the inbox's and directives' list reads send, pinned (see tests/graphql/test_statement_counts.py)."""

from __future__ import annotations

import pytest

from tests.graphql.test_statement_counts import _count
from tests.notifications.test_inbox import raise_for
from tests.notifications.test_notify import staff_id

pytestmark = pytest.mark.external

INBOX = """{ notifications(first: 20) { totalCount edges { cursor node { id title kind kindLabel read } } }
  unreadNotificationCount }"""
DIRECTIVES = "{ directives(first: 20) { edges { node { id title version attestedAt roles { name } } } } }"
TO_ATTEST = "{ directives(first: 20, toAttest: true) { edges { node { id title attestedAt } } } }"


async def test_an_inbox_page_with_its_counts_costs_entry_plus_three(api, rt, world, sql_counter):
    await raise_for(rt, world.branch_a, await staff_id(rt, world.head_a), 25, "count")
    token = await api.token(world.head_a)
    count, body = await _count(api, sql_counter, INBOX, token, world.branch_a.code)
    assert len(body["data"]["notifications"]["edges"]) == 20
    assert count == 4  # entry, the page, its total, the unread count


async def test_a_directives_page_costs_entry_plus_one_and_to_attest_one_more(api, world, sql_counter):
    token = await api.token(world.head_a)
    count, _ = await _count(api, sql_counter, DIRECTIVES, token, world.branch_a.code)
    assert count == 2  # entry, the page with the caller's attestations joined
    count, _ = await _count(api, sql_counter, TO_ATTEST, token, world.branch_a.code)
    assert count == 3  # and the caller's roles in the branch
