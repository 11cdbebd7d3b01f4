"""A branch with the demo's client book and timelines, and AUM and holding movements set directly (as the
holdings feed will keep them), for scoring and segment tests."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import bulk
from branchdesk.crm.interactions import service as interactions
from branchdesk.demo import DEMO_RATES, PRODUCTS, demo_clients, demo_interactions
from branchdesk.holdings import catalogue
from branchdesk.holdings import feed as holdings_feed
from branchdesk.holdings.rules import ProductCategory, ProductRiskGrade
from branchdesk.segments.scoring import service as scoring
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

NOW = datetime.combine(date.today(), datetime.min.time(), UTC) + timedelta(hours=9)


@dataclass
class ScoredBranch:
    branch: Any
    code: str
    head: str
    cm1: str
    cm2: str
    teller: str
    owners: list[uuid.UUID]

    @property
    def system(self) -> Principal:
        return Principal.system("tests", BranchRef(self.branch.id, self.code))


Holdings = tuple[Decimal, datetime | None, datetime]


def holdings_of(number: str) -> Holdings:
    """A client's AUM, last holding movement and when they became a client, fixed by the client number: a
    spread over every tier, some prospects (nothing ever held), some who emptied their accounts."""
    rng = random.Random(f"scoring-{number}")
    since = NOW - timedelta(days=rng.randrange(0, 3000))
    roll = rng.random()
    if roll < 0.1:
        return Decimal(0), None, since
    if roll < 0.15:
        return Decimal(0), NOW - timedelta(days=rng.randrange(1, 900)), since
    aum = Decimal(int(10 ** rng.uniform(3, 7.2))).quantize(Decimal("1.00"))
    if rng.random() < 0.05:
        aum = Decimal(500_000)  # exactly on a threshold
    return aum, NOW - timedelta(days=rng.randrange(1, 700)), since


async def set_holdings(rt: Any, branch_id: uuid.UUID, values: dict[uuid.UUID, Holdings]) -> None:
    async with rt.db.session(branch_id) as session:
        await session.execute(
            text(
                "UPDATE clients SET aum_cny = :aum, last_movement_at = :moved, created_at = :since "
                "WHERE tenant_id = :t AND id = :id"
            ),
            [{"aum": a, "moved": m, "since": s, "t": branch_id, "id": i} for i, (a, m, s) in values.items()],
        )


async def feed_demo_holdings(rt: Any, branch_id: uuid.UUID, system: Principal) -> None:
    """The demo's catalogue and holdings (some time deposits maturing next week), fed as core banking would."""
    async with rt.db.session(None) as session:
        drafts = [
            catalogue.ProductDraft(code, zh, en, ProductCategory(category), ProductRiskGrade(grade), currency)
            for code, zh, en, category, grade, currency in PRODUCTS
        ]
        await catalogue.define_products(session, Principal.system("tests"), drafts)
    async with rt.db.session(branch_id) as session:
        await holdings_feed.record_rates(session, system, NOW.date(), DEMO_RATES)
        await holdings_feed.stage_demo_holdings(session, system, [p[0] for p in PRODUCTS], NOW.date())
        await holdings_feed.apply_holdings_feed(session, system, NOW.date())


@pytest.fixture(scope="module")
async def scored_branch(rt, world) -> ScoredBranch:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    found = ScoredBranch(
        branch=branch,
        code=branch.code,
        head=head,
        cm1=await add_member(rt, branch, ["customer_manager"]),
        cm2=await add_member(rt, branch, ["customer_manager"]),
        teller=await add_member(rt, branch, ["teller"]),
        owners=[],
    )
    async with rt.db.session(branch.id) as session:
        found.owners = [(await tenants.staff_by_employee_number(session, n)).id for n in (found.cm1, found.cm2)]
    system = found.system
    async with rt.db.session(world.head_office.id) as session:
        # head office's rule as shipped: the generic schema tests may have sent setScoringPolicy a sample
        office = BranchRef(world.head_office.id, world.head_office.code)
        await scoring.set_scoring_policy(session, Principal.system("tests", office), 6, 3)
    async with rt.db.session(branch.id) as session:
        await bulk.create_clients_in_bulk(
            session, system, demo_clients(f"S{found.code}", found.owners, NOW.date()), "t"
        )
        book = await interactions.books_of(session, system, found.owners)
        await interactions.record_in_bulk(session, system, demo_interactions(book, NOW), "t")
        numbers = {client_id: number for client_id, number, _ in book}
    await feed_demo_holdings(rt, branch.id, system)
    await set_holdings(rt, branch.id, {i: holdings_of(n) for i, n in numbers.items()})
    return found
