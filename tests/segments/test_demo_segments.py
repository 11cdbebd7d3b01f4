"""The demo's segments: 生日本周, 到期提醒, 沉睡客户 and 白金以上 in a branch with the demo's book and holdings,
scored once in a fixed number of statements; seeding again changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from branchdesk.demo import DEMO_SEGMENTS, seed_segments

pytestmark = pytest.mark.external


async def test_demo_segments_are_scored_once_set_based_and_seeded_only_once(rt, scored_branch, sql_counter):
    branch_id = scored_branch.branch.id
    sql_counter.count = 0
    with sql_counter:
        async with rt.db.session(branch_id) as session:
            run = await seed_segments(session, scored_branch.system)
    # bind, tiers (check), add, policy, rescore, branch (today), adopt templates, tiers, the segments, then
    # one statement per segment: none per client
    assert sql_counter.count == 9 + len(DEMO_SEGMENTS)
    assert run.segments == len(DEMO_SEGMENTS) and run.entered > 0 and run.skipped == []
    async with rt.db.session(branch_id) as session:
        counts = dict(
            (
                await session.execute(
                    text("SELECT name, member_count FROM segments WHERE tenant_id = :t"), {"t": branch_id}
                )
            ).all()
        )
    assert set(counts) >= {name for name, _, _ in DEMO_SEGMENTS}
    assert all(counts[name] > 0 for name, _, _ in DEMO_SEGMENTS), counts
    # seeding again adds no segment and moves nobody
    async with rt.db.session(branch_id) as session:
        again = await seed_segments(session, scored_branch.system)
    assert (again.entered, again.left, again.scored.tier_changes) == (0, 0, 0)
