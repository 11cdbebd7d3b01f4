"""Set-based scoring: the same tiers, RFM quintiles and stages as a straightforward Python computation,
history only on change, one statement per branch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from branchdesk.segments.scoring import service as scoring
from tests.segments.conftest import NOW

pytestmark = pytest.mark.external


def quintiles(values: dict, *, nulls_first: bool = False) -> dict:
    """1 + 5 * (rank - 1) // n, rank as SQL's rank(): ties share the position of the first of them."""
    ordered = sorted(values.values(), key=lambda v: (v is not None, v) if nulls_first else v)
    n = len(ordered)
    first = {}
    for position, value in enumerate(ordered):
        first.setdefault(value, position)
    return {k: 1 + (5 * first[v]) // n for k, v in values.items()}


async def facts(rt, branch_id):
    async with rt.db.session(branch_id) as session:
        rows = (
            await session.execute(
                text(
                    """SELECT c.id, c.aum_cny, c.last_contact_at, c.last_movement_at, c.created_at,
                       (SELECT count(*) FROM interactions i WHERE i.tenant_id = c.tenant_id AND i.client_id = c.id
                          AND i.occurred_at >= :year_ago AND i.occurred_at <= :now) AS n
                       FROM clients c WHERE c.tenant_id = :t"""
                ),
                {"t": branch_id, "year_ago": NOW - timedelta(days=365), "now": NOW},
            )
        ).all()
        tiers = await scoring.ladder(session, branch_id)
    return rows, tiers


def expected_scores(rows, tiers, dormant_months=6, new_months=3):
    dormant_since = scoring.months_before(NOW, dormant_months)
    new_since = scoring.months_before(NOW, new_months)
    activity = {}
    for r in rows:
        seen = [t for t in (r.last_contact_at, r.last_movement_at) if t is not None]
        activity[r.id] = max(seen) if seen else None
    recency = quintiles(activity, nulls_first=True)
    frequency = quintiles({r.id: r.n for r in rows})
    monetary = quintiles({r.id: r.aum_cny for r in rows})
    found = {}
    for r in rows:
        tier = [t.code for t in tiers if t.min_aum_cny <= r.aum_cny][-1]
        last = activity[r.id]
        if r.aum_cny == 0 and r.last_movement_at is None:
            stage = "prospect"
        elif r.created_at >= new_since:
            stage = "new"
        elif last is None or last < dormant_since:
            stage = "lost" if r.aum_cny == 0 else "dormant"
        else:
            stage = "active"
        found[r.id] = (tier, recency[r.id], frequency[r.id], monetary[r.id], stage)
    return found


async def stored_scores(rt, branch_id):
    async with rt.db.session(branch_id) as session:
        rows = await session.execute(
            text("SELECT id, tier, recency, frequency, monetary, lifecycle FROM client_scores WHERE tenant_id = :t"),
            {"t": branch_id},
        )
        return {r[0]: tuple(r[1:]) for r in rows}


async def history_count(rt, branch_id):
    async with rt.db.session(branch_id) as session:
        return await session.scalar(
            text("SELECT count(*) FROM client_score_changes WHERE tenant_id = :t"), {"t": branch_id}
        )


async def test_set_based_scoring_matches_a_straightforward_computation(rt, scored_branch, sql_counter):
    # given the demo's book with AUM spread over every tier and a year of interactions, and one dormant
    # client with nothing left (lost): the book is drawn from the branch's random code, so make sure of one
    branch_id = scored_branch.branch.id
    rows, tiers = await facts(rt, branch_id)
    dormant = sorted(c for c, (*_, stage) in expected_scores(rows, tiers).items() if stage in ("dormant", "lost"))
    async with rt.db.session(branch_id) as session:
        await session.execute(
            text("UPDATE clients SET aum_cny = 0 WHERE tenant_id = :t AND id = :c"), {"t": branch_id, "c": dormant[0]}
        )
    # when the branch is rescored
    sql_counter.count = 0
    with sql_counter:
        async with rt.db.session(branch_id) as session:
            result = await scoring.rescore(session, scored_branch.system, "test", now=NOW)
    # then every client has the tier, quintiles and stage Python finds, in one scoring statement
    rows, tiers = await facts(rt, branch_id)
    expected = expected_scores(rows, tiers)
    assert await stored_scores(rt, branch_id) == expected
    assert result.scores_written == len(rows)
    assert {t for t, *_ in expected.values()} == {"standard", "gold", "platinum", "private_banking"}
    assert {s[-1] for s in expected.values()} >= {"prospect", "active", "dormant", "lost"}
    assert sql_counter.count == 3  # bind the branch, read the policy, rescore


async def test_history_appears_only_on_change(rt, scored_branch):
    branch_id = scored_branch.branch.id
    async with rt.db.session(branch_id) as session:
        await scoring.rescore(session, scored_branch.system, "first", now=NOW)
    before = await history_count(rt, branch_id)
    # when the branch is rescored twice more with nothing changed
    for _ in range(2):
        async with rt.db.session(branch_id) as session:
            again = await scoring.rescore(session, scored_branch.system, "again", now=NOW)
        # then nothing is rewritten and no history is added
        assert (again.scores_written, again.tier_changes, again.lifecycle_changes) == (0, 0, 0)
    assert await history_count(rt, branch_id) == before
    # when one client's AUM crosses into 私人银行
    async with rt.db.session(branch_id) as session:
        client_id = await session.scalar(
            text("SELECT id FROM client_scores WHERE tenant_id = :t AND tier = 'gold' ORDER BY id LIMIT 1"),
            {"t": branch_id},
        )
        await session.execute(
            text("UPDATE clients SET aum_cny = :a WHERE tenant_id = :t AND id = :i"),
            {"a": Decimal(7_000_000), "t": branch_id, "i": client_id},
        )
    async with rt.db.session(branch_id) as session:
        moved = await scoring.rescore(session, scored_branch.system, "holdings feed", now=NOW)
    # then one tier change is recorded, from 金卡 to 私人银行, with the run's reason
    assert moved.tier_changes == 1
    async with rt.db.session(branch_id) as session:
        change = (
            await session.execute(
                text(
                    "SELECT from_value, to_value, reason FROM client_score_changes "
                    "WHERE tenant_id = :t AND client_id = :i AND kind = 'tier' ORDER BY changed_at DESC LIMIT 1"
                ),
                {"t": branch_id, "i": client_id},
            )
        ).one()
    assert tuple(change) == ("gold", "private_banking", "holdings feed")
