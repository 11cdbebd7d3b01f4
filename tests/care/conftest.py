"""A branch of its own per test module for care tests (a head and two customer managers), and factories:
clients written straight to the table with the dates a trigger reads, plans defined through the service."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select, update

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.care import rules
from branchdesk.care import service as care
from branchdesk.care.models import CarePlan, FollowUp
from branchdesk.crm.models import Client
from branchdesk.platform.clock import utcnow
from branchdesk.platform.ids import new_id
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, enter, onboard, unique_code, unique_employee_number


@dataclass
class CareBranch:
    branch: Any
    head: str
    cm1: str
    cm2: str
    ids: dict[str, uuid.UUID]  # employee number -> staff id


async def staff_id(rt: Any, employee_number: str) -> uuid.UUID:
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, employee_number)
        assert staff is not None
        return staff.id


async def make_branch(rt: Any, world: Any, timezone: str = "Asia/Shanghai") -> CareBranch:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head, timezone=timezone)
    cm1 = await add_member(rt, branch, ["customer_manager"])
    cm2 = await add_member(rt, branch, ["customer_manager"])
    ids = {n: await staff_id(rt, n) for n in (head, cm1, cm2)}
    return CareBranch(branch, head, cm1, cm2, ids)


@pytest.fixture
async def care_branch(rt, world) -> CareBranch:
    return await make_branch(rt, world)


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


async def make_client(rt: Any, branch: Any, owner_id: uuid.UUID, **fields: Any) -> uuid.UUID:
    """A client with the given trigger dates; consents to every channel unless told otherwise."""
    now = utcnow()
    values: dict[str, Any] = {
        "tenant_id": branch.id,
        "id": new_id(),
        "client_number": f"C{secrets.token_hex(5).upper()}",
        "kind": "individual",
        "name": "王小明",
        "kyc_status": "verified",
        "consents": [c.value for c in rules.Channel],
        "do_not_contact": False,
        "preferred_language": "zh-CN",
        "lifecycle": "active",
        "tags": [],
        "owner_id": owner_id,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    async with rt.db.session(branch.id) as session:
        session.add(Client(**values))
    return values["id"]


def draft(name: str | None = None, trigger: rules.Trigger = rules.Trigger.KYC_EXPIRY, **fields: Any) -> care.PlanDraft:
    return care.PlanDraft(
        name=name or f"plan {secrets.token_hex(3)}",
        trigger=trigger,
        channel=fields.pop("channel", rules.Channel.PHONE),
        title=fields.pop("title", "提醒客户更新身份信息"),
        **fields,
    )


async def define(rt: Any, branch: Any, effective_from: date | None = None, **fields: Any) -> CarePlan:
    """A plan defined by the system; ``effective_from`` back-dates it (to plan days in the past)."""
    async with acting(rt, branch) as (session, by):
        plan = await care.define_plan(session, by, draft(**fields))
        if effective_from is not None:
            await session.execute(update(CarePlan).where(CarePlan.id == plan.id).values(effective_from=effective_from))
        return plan


async def plan(rt: Any, branch: Any, day: date) -> list[care.PlanResult]:
    async with acting(rt, branch) as (session, by):
        return await care.plan_day(session, by, day)


async def follow_ups(rt: Any, branch: Any, plan_id: uuid.UUID | None = None) -> list[FollowUp]:
    async with rt.db.session(branch.id) as session:
        stmt = select(FollowUp).where(FollowUp.tenant_id == branch.id).order_by(FollowUp.due_on, FollowUp.client_id)
        if plan_id is not None:
            stmt = stmt.where(FollowUp.plan_id == plan_id)
        return list(await session.scalars(stmt))


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour)).astimezone()
