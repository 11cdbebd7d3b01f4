"""A branch of its own per test (routing depends on who is there and how loaded they are): a head, two
customer managers, a teller, a lobby manager, IT support and a risk officer; small factories that act
through the services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.models import Handoff
from branchdesk.notifications.models import Notification
from branchdesk.platform.clock import utcnow
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, enter, onboard, unique_code, unique_employee_number


@dataclass
class Team:
    branch: Any
    head: str
    cm1: str
    cm2: str
    teller: str
    lobby: str
    it: str
    risk: str
    ids: dict[str, uuid.UUID]

    def id(self, number: str) -> uuid.UUID:
        return self.ids[number]


async def staff_id(rt: Any, number: str) -> uuid.UUID:
    async with rt.db.session(None) as session:
        return (await tenants.staff_by_employee_number(session, number)).id


async def make_team(rt: Any, world: Any, *, risk: bool = True) -> Team:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    numbers = {
        "cm1": await add_member(rt, branch, ["customer_manager"]),
        "cm2": await add_member(rt, branch, ["customer_manager"]),
        "teller": await add_member(rt, branch, ["teller"]),
        "lobby": await add_member(rt, branch, ["lobby_manager"]),
        "it": await add_member(rt, branch, ["it_support"]),
        "risk": await add_member(rt, branch, ["risk_officer"]) if risk else "",
    }
    ids = {n: await staff_id(rt, n) for n in [head, *numbers.values()] if n}
    return Team(branch=branch, head=head, ids=ids, **numbers)


@pytest.fixture
async def team(rt: Any, world: Any) -> Team:
    return await make_team(rt, world)


@asynccontextmanager
async def acting(rt: Any, branch: Any, number: str | None = None) -> AsyncIterator[tuple[Any, Principal]]:
    """A committed transaction in ``branch`` as that member, or as the system."""
    if number is None:
        async with rt.db.session(branch.id) as session:
            yield session, Principal.system("tests", BranchRef(branch.id, branch.code))
        return
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, number)
        yield session, await enter(rt, session, staff.id, branch.code)


async def client_of(rt: Any, team: Team, owner: str, name: str = "王芳") -> uuid.UUID:
    async with acting(rt, team.branch, owner) as (session, by):
        draft = crm.ClientDraft(client_number=f"C{uuid.uuid4().hex[:10]}", name=name)
        return (await records.create_client(session, by, draft)).id


async def raise_(rt: Any, team: Team, number: str, type: str = "it_help", **fields: Any) -> Handoff:
    async with acting(rt, team.branch, number) as (session, by):
        draft = handoffs.HandoffDraft(type, fields.pop("description", "请协助处理"), **fields)
        return await handoffs.raise_handoff(session, by, draft)


async def overdue(rt: Any, branch_id: uuid.UUID, handoff_id: uuid.UUID, *, expired: bool = False) -> None:
    """Move a handoff's due time (and hard limit) into the past, as if it had waited that long."""
    past = utcnow() - timedelta(hours=1)
    values: dict[str, Any] = {"due_at": past} | ({"expires_at": past} if expired else {})
    async with rt.db.session(branch_id) as session:
        await session.execute(
            update(Handoff).where(Handoff.tenant_id == branch_id, Handoff.id == handoff_id).values(**values)
        )


async def inbox(rt: Any, branch_id: uuid.UUID, kind: str) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """(recipient, subject) of every notification of ``kind`` in the branch."""
    async with rt.db.session(branch_id) as session:
        rows = await session.execute(
            select(Notification.recipient_id, Notification.subject_id).where(
                Notification.tenant_id == branch_id, Notification.kind == kind
            )
        )
        return [(r, s) for r, s in rows]
