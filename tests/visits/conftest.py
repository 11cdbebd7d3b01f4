"""Branches of their own for the queue tests, and small helpers that act through the services the way a
request does: a committed transaction of its own, as a member of the branch (or as the system)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from branchdesk.visits import service as visits
from branchdesk.visits.rules import Purpose, ServiceLine
from tests.conftest import add_member, enter, onboard, unique_code, unique_employee_number


@dataclass
class Floor:
    """A branch and the people on its floor."""

    branch: Any
    code: str
    head: str
    lobby: str
    teller1: str
    teller2: str
    cm: str
    risk: str


async def make_floor(rt: Any, world: Any, timezone: str = "Asia/Shanghai") -> Floor:
    head = unique_employee_number("Q")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head, timezone=timezone)
    return Floor(
        branch=branch,
        code=branch.code,
        head=head,
        lobby=await add_member(rt, branch, ["lobby_manager"]),
        teller1=await add_member(rt, branch, ["teller"]),
        teller2=await add_member(rt, branch, ["teller"]),
        cm=await add_member(rt, branch, ["customer_manager"]),
        risk=await add_member(rt, branch, ["risk_officer"]),
    )


@pytest.fixture
async def floor(rt: Any, world: Any) -> Floor:
    """A fresh branch in Shanghai's time zone: its queue starts empty."""
    return await make_floor(rt, world)


@pytest.fixture(scope="module")
async def shared_floor(rt: Any, world: Any) -> Floor:
    """One branch for a module's tests that do not count what is in the queue."""
    return await make_floor(rt, world)


@asynccontextmanager
async def acting(rt: Any, branch: Any, employee_number: str | None = None) -> AsyncIterator[tuple[Any, Principal]]:
    """A committed transaction in ``branch`` as that member, or as the system."""
    if employee_number is None:
        async with rt.db.session(branch.id) as session:
            yield session, Principal.system("tests", BranchRef(branch.id, branch.code))
        return
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, employee_number)
        yield session, await enter(rt, session, staff.id, branch.code)


async def register(
    rt: Any,
    floor: Floor,
    line: ServiceLine = ServiceLine.COUNTER,
    *,
    at: datetime | None = None,
    purpose: Purpose = Purpose.CASH,
    **fields: Any,
) -> Any:
    async with acting(rt, floor.branch, floor.lobby) as (session, by):
        return await visits.register_visit(session, by, visits.VisitDraft(purpose=purpose, line=line, **fields), at=at)


async def act(rt: Any, floor: Floor, employee_number: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(session, by, *args)`` as that member, committed."""
    async with acting(rt, floor.branch, employee_number) as (session, by):
        return await fn(session, by, *args, **kwargs)
