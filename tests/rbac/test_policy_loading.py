"""A branch's policy is loaded once however many requests need it at the same moment."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid

import pytest

from branchdesk.access.policy import BranchPolicy, BranchRules, PolicyCache, staff_subject
from branchdesk.runtime import POLICY_SOURCE
from branchdesk.tenants import repository

pytestmark = pytest.mark.external
REQUESTS = 6


async def _at_once(rt, cache: PolicyCache, branch_id: uuid.UUID) -> list[BranchPolicy]:
    """``for_branch`` from REQUESTS transactions of their own, bound to the branch, started together."""
    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(rt.db.session(branch_id)) for _ in range(REQUESTS)]
        return await asyncio.gather(*(cache.for_branch(session, branch_id) for session in sessions))


async def test_requests_arriving_while_a_branch_loads_wait_for_that_load(rt, staffed):
    cache = PolicyCache(POLICY_SOURCE)
    policies = await _at_once(rt, cache, staffed.branch.id)
    # one load (one rules statement and one Casbin build, which holds the event loop), shared by all
    assert cache.loads == 1
    assert all(policy is policies[0] for policy in policies)

    async with rt.db.session(None) as session:
        teller = await repository.staff_by_employee_number(session, staffed.teller)
    assert policies[0].allows(staff_subject(teller.id), "cash:initiate")

    # an entry come due (the periodic reload, against a lost announcement) is loaded again once
    cache.max_age_seconds = 1.0
    await asyncio.sleep(1.1)
    again = await _at_once(rt, cache, staffed.branch.id)
    assert cache.loads == 2
    assert again[0] is not policies[0]
    assert all(policy is again[0] for policy in again)

    # and so is a branch whose change was announced
    cache.invalidate([staffed.branch.id])
    await _at_once(rt, cache, staffed.branch.id)
    assert cache.loads == 3


async def test_a_change_announced_during_the_load_is_not_served_to_those_waiting(rt, staffed):
    """The load that was under way when the change was announced read the rules before it: only its own
    request gets that policy (as before); the requests waiting for it load afresh, once, and share that."""
    cache = PolicyCache(POLICY_SOURCE)
    read = 0

    async def branch_rules(session, branch_id: uuid.UUID) -> BranchRules:
        nonlocal read
        rules = await POLICY_SOURCE.branch(session, branch_id)
        read += 1
        if read == 1:
            cache.invalidate([branch_id])  # the announcement arrives while the first load is under way
        return rules

    cache.source = dataclasses.replace(POLICY_SOURCE, branch=branch_rules)
    policies = await _at_once(rt, cache, staffed.branch.id)
    assert cache.loads == 2
    assert all(policy is policies[1] for policy in policies[1:])
    assert policies[0] is not policies[1]
    # the fresh one is kept; the stale one is not
    async with rt.db.session(staffed.branch.id) as session:
        assert await cache.for_branch(session, staffed.branch.id) is policies[1]
    assert cache.loads == 2


async def test_when_the_load_fails_those_waiting_load_it_themselves(rt, staffed):
    """The request whose load failed gets its error; the ones waiting for that load are not refused for it."""
    cache = PolicyCache(POLICY_SOURCE)
    read = 0

    async def branch_rules(session, branch_id: uuid.UUID) -> BranchRules:
        nonlocal read
        read += 1
        if read == 1:
            raise ConnectionResetError("the first load's connection dropped")
        return await POLICY_SOURCE.branch(session, branch_id)

    cache.source = dataclasses.replace(POLICY_SOURCE, branch=branch_rules)
    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(rt.db.session(staffed.branch.id)) for _ in range(REQUESTS)]
        answers = await asyncio.gather(
            *(cache.for_branch(session, staffed.branch.id) for session in sessions), return_exceptions=True
        )
    assert isinstance(answers[0], ConnectionResetError)
    assert all(answer is answers[1] for answer in answers[1:])  # one load again, for all who waited
    assert isinstance(answers[1], BranchPolicy)
    assert cache.loads == 1 and read == 2
