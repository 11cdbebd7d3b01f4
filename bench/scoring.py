"""Rescoring every branch (issue 12, item 1): the service's one set-based statement per branch against ONE
hand-written SQL statement doing the same work for all branches at once, in the same run.

Both compute every client's tier (head office's ladder with the branch's own thresholds), RFM quintiles
within the branch (window functions) and lifecycle stage, record each change of tier or stage, upsert
``client_scores`` (rewriting only rows that changed) and keep ``clients.lifecycle`` in step. Each starts
from the same state (scores and history emptied, stages reset) and the results are checked to agree row
for row. Two further rounds measure a rescore after a tenth of the clients' AUM moved (the nightly case).

The service runs as the jobs do: one transaction per branch through ``access.unit_of_work.system_work``
(row-level security on, the branch bound), ``segments.scoring.service.rescore``. The baseline runs once,
as the table owner (no row-level security), over every branch.

Embedded PostgreSQL in a temporary directory; clients and interactions are generated set-based.

    uv run python bench/scoring.py            # 20 branches x 2,000 clients (a few minutes)
    uv run python bench/scoring.py --full     # 100 branches x 10,000 clients
    # figures go to bench/results/scoring.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import system_work
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.database import to_async_url
from branchdesk.platform.settings import Settings
from branchdesk.runtime import Runtime, runtime
from branchdesk.segments.scoring import service as scoring
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel

RESULTS = Path(__file__).parent / "results" / "scoring.json"
SYSTEM = Principal.system("bench")

SEED_CLIENTS = """
INSERT INTO clients (tenant_id, id, client_number, kind, name, kyc_status, consents, do_not_contact,
  preferred_language, lifecycle, tags, owner_id, updated_at, created_at, aum_cny, last_contact_at, last_movement_at,
  birthday)
SELECT b.id, gen_random_uuid(), b.code || lpad(g::text, 7, '0'), 'individual', '客户' || g, 'verified', '{}', false,
  'zh-CN', 'prospect', '{}', b.owner, now(), now() - make_interval(days => (g * 7919) % 3000),
  CASE WHEN g % 10 = 0 THEN 0 ELSE round((10 ^ (3 + ((g * 104729) % 4200) / 1000.0))::numeric, 2) END,
  CASE WHEN g % 7 = 0 THEN NULL ELSE now() - make_interval(days => (g * 31) % 700) END,
  CASE WHEN g % 10 = 0 AND g % 20 = 0 THEN NULL ELSE now() - make_interval(days => (g * 17) % 900) END,
  date '1950-01-01' + (g * 13) % 19000
FROM (SELECT t.id, t.code, m.staff_id AS owner FROM branches t
      JOIN memberships m ON m.tenant_id = t.id WHERE t.code LIKE 'S%') b,
     generate_series(1, :clients) g
"""
SEED_INTERACTIONS = """
INSERT INTO interactions (tenant_id, id, client_id, kind, channel, occurred_at, logged_by_id, logged_at, summary,
  products)
SELECT c.tenant_id, gen_random_uuid(), c.id, 'call', 'phone', now() - make_interval(days => ((k * 97 + n) % 500)::int),
  c.owner_id, now(), '回访', '{}'
FROM (SELECT tenant_id, id, owner_id, row_number() OVER () AS n FROM clients) c,
     generate_series(1, (c.n % 5)::int) k
"""
RESET = (
    "DELETE FROM client_score_changes",
    "DELETE FROM client_scores",
    "UPDATE clients SET lifecycle = 'prospect' WHERE lifecycle <> 'prospect'",
)
MOVE_AUM = "UPDATE clients SET aum_cny = aum_cny * 3 + 60000 WHERE (hashtext(id::text) % 10) = 0"
SNAPSHOT = """
SELECT md5(string_agg(concat_ws(',', tenant_id, id, tier, recency, frequency, monetary, lifecycle), ';'
  ORDER BY tenant_id, id)), count(*) FROM client_scores
"""
HISTORY = "SELECT kind, count(*) FROM client_score_changes GROUP BY kind ORDER BY kind"

# The baseline: the same work for every branch in one statement, written by hand.
KEPT = "tier, recency, frequency, monetary, lifecycle, last_activity_at, interactions_12m, aum_cny"
STAGE = """CASE
      WHEN c.aum_cny = 0 AND c.last_movement_at IS NULL THEN 'prospect'
      WHEN c.created_at >= :new_since THEN 'new'
      WHEN greatest(c.last_contact_at, c.last_movement_at) IS NULL
        OR greatest(c.last_contact_at, c.last_movement_at) < :dormant_since
        THEN CASE WHEN c.aum_cny = 0 THEN 'lost' ELSE 'dormant' END
      ELSE 'active'
    END"""
BASELINE = f"""
WITH recent AS (
  SELECT tenant_id, client_id, count(*) AS n FROM interactions
  WHERE occurred_at >= :year_ago AND occurred_at <= :now GROUP BY tenant_id, client_id
), ladder AS (
  SELECT b.id AS tenant_id, t.code, t.rank, coalesce(o.min_aum_cny, t.min_aum_cny) AS min_aum
  FROM branches b CROSS JOIN value_tiers t
  LEFT JOIN branch_tier_thresholds o ON o.tenant_id = b.id AND o.tier_code = t.code
), facts AS (
  SELECT c.tenant_id, c.id AS client_id,
    (SELECT l.code FROM ladder l WHERE l.tenant_id = c.tenant_id AND l.min_aum <= c.aum_cny
     ORDER BY l.rank DESC LIMIT 1) AS tier,
    s.tier AS tier_before,
    {STAGE} AS lifecycle,
    c.lifecycle AS lifecycle_before,
    greatest(c.last_contact_at, c.last_movement_at) AS last_activity_at,
    coalesce(r.n, 0) AS interactions_12m,
    c.aum_cny
  FROM clients c
  LEFT JOIN recent r ON r.tenant_id = c.tenant_id AND r.client_id = c.id
  LEFT JOIN client_scores s ON s.tenant_id = c.tenant_id AND s.id = c.id
), computed AS (
  SELECT f.*,
    (1 + 5 * (rank() OVER (PARTITION BY tenant_id ORDER BY last_activity_at ASC NULLS FIRST) - 1)
       / count(*) OVER (PARTITION BY tenant_id))::int AS recency,
    (1 + 5 * (rank() OVER (PARTITION BY tenant_id ORDER BY interactions_12m) - 1)
       / count(*) OVER (PARTITION BY tenant_id))::int AS frequency,
    (1 + 5 * (rank() OVER (PARTITION BY tenant_id ORDER BY aum_cny) - 1)
       / count(*) OVER (PARTITION BY tenant_id))::int AS monetary
  FROM facts f
), history AS (
  INSERT INTO client_score_changes (tenant_id, id, client_id, kind, from_value, to_value, changed_at, reason)
  SELECT tenant_id, gen_random_uuid(), client_id, 'tier', tier_before, tier, :now, 'baseline'
  FROM computed WHERE tier_before IS DISTINCT FROM tier
  UNION ALL
  SELECT tenant_id, gen_random_uuid(), client_id, 'lifecycle', lifecycle_before, lifecycle, :now, 'baseline'
  FROM computed WHERE lifecycle_before IS DISTINCT FROM lifecycle
  RETURNING kind
), written AS (
  INSERT INTO client_scores (tenant_id, id, {KEPT}, scored_at)
  SELECT tenant_id, client_id, {KEPT}, :now FROM computed
  ON CONFLICT (tenant_id, id) DO UPDATE SET
    tier = excluded.tier, recency = excluded.recency, frequency = excluded.frequency,
    monetary = excluded.monetary, lifecycle = excluded.lifecycle, last_activity_at = excluded.last_activity_at,
    interactions_12m = excluded.interactions_12m, aum_cny = excluded.aum_cny, scored_at = excluded.scored_at
  WHERE (client_scores.tier, client_scores.recency, client_scores.frequency, client_scores.monetary,
         client_scores.lifecycle, client_scores.last_activity_at, client_scores.interactions_12m,
         client_scores.aum_cny)
        IS DISTINCT FROM (excluded.tier, excluded.recency, excluded.frequency, excluded.monetary,
         excluded.lifecycle, excluded.last_activity_at, excluded.interactions_12m, excluded.aum_cny)
  RETURNING 1
), stages AS (
  UPDATE clients c SET lifecycle = {STAGE} WHERE c.lifecycle IS DISTINCT FROM {STAGE}
  RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM history WHERE kind = 'tier'),
       (SELECT count(*) FROM stages)
"""


class Statements:
    def __init__(self, rt: Runtime) -> None:
        self.count = 0
        self.engines = [rt.db.app_engine.sync_engine, rt.db.platform_engine.sync_engine]
        if "engine" in OWNER:
            self.engines.append(OWNER["engine"].sync_engine)

    def tick(self, *args: object) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self.tick)
        return self

    def __exit__(self, *exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self.tick)


OWNER: dict[str, AsyncEngine] = {}


async def owner_sql(rt: Runtime, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    """As the database's owner (no row-level security, no statement timeout): seeding, ANALYZE, the
    baseline. The engine's statements are counted like the service's."""
    if "engine" not in OWNER:
        OWNER["engine"] = create_async_engine(to_async_url(rt.endpoints.admin_url))
    async with OWNER["engine"].begin() as conn:
        result = await conn.execute(text(sql), params or {})
        return list(result.all()) if result.returns_rows else []


async def settle(rt: Runtime) -> None:
    """VACUUM ANALYZE what a round rewrote, before each measured run: statistics as autovacuum keeps them
    in the nightly steady state. Without it the plans were made for the emptied tables (no scores), and
    at 1M clients the rescore's statements ran three times as long as the first scoring's."""
    if "engine" not in OWNER:
        OWNER["engine"] = create_async_engine(to_async_url(rt.endpoints.admin_url))
    async with OWNER["engine"].connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE clients, client_scores, client_score_changes, interactions"))


async def setup(rt: Runtime, branches: int, clients: int) -> list[Any]:
    async with rt.db.session(None) as session:
        for code, level, parent in [("HO", BranchLevel.HEAD_OFFICE, None)] + [
            (f"S{n:03d}", BranchLevel.TIER1_BRANCH, "HO") for n in range(branches)
        ]:
            head = service.StaffDraft(f"H{code}", f"Head of {code}")
            draft = service.BranchDraft(code, f"Branch {code}", level, "Asia/Shanghai", head, parent)
            await onboarding.onboard_branch(session, SYSTEM, draft)
        found = [b for b in await service.all_branches(session) if b.code.startswith("S")]
    await owner_sql(rt, SEED_CLIENTS, {"clients": clients})
    await owner_sql(rt, SEED_INTERACTIONS)
    # A few branches set their own 白金 threshold, so both sides apply overrides.
    await owner_sql(
        rt,
        "INSERT INTO branch_tier_thresholds (tenant_id, id, tier_code, min_aum_cny) "
        "SELECT id, gen_random_uuid(), 'platinum', 800000 FROM branches WHERE code LIKE 'S%0'",
    )
    await owner_sql(rt, "ANALYZE")
    return found


async def run_service(rt: Runtime, branches: list[Any], now: datetime) -> dict[str, Any]:
    with Statements(rt) as statements:
        started = time.perf_counter()
        changes = 0
        for branch in branches:
            async with system_work(rt.db, "bench", branch.id) as (session, by):
                changes += (await scoring.rescore(session, by, "bench", now)).tier_changes
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "statements": statements.count, "tier_changes": changes}


async def run_baseline(rt: Runtime, now: datetime) -> dict[str, Any]:
    params = {
        "now": now,
        "year_ago": now - timedelta(days=365),
        "dormant_since": scoring.months_before(now, 6),
        "new_since": scoring.months_before(now, 3),
    }
    with Statements(rt) as statements:
        started = time.perf_counter()
        row = (await owner_sql(rt, BASELINE, params))[0]
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "statements": statements.count, "tier_changes": int(row[1])}


async def round_of(rt: Runtime, branches: list[Any], total: int, now: datetime, moved: bool) -> dict[str, Any]:
    """Service then baseline, each from the same starting state; their results must agree."""
    figures: dict[str, Any] = {}
    for name in ("service", "baseline"):
        for statement in RESET:
            await owner_sql(rt, statement)
        if moved:  # scored once before the tenth of AUM moved: the nightly rescore
            await run_baseline(rt, now - timedelta(days=1))
            await owner_sql(rt, MOVE_AUM)
        await settle(rt)
        run = await (run_service(rt, branches, now) if name == "service" else run_baseline(rt, now))
        snapshot = (await owner_sql(rt, SNAPSHOT))[0]
        run["snapshot"] = snapshot[0]
        run["history"] = dict(await owner_sql(rt, HISTORY))
        run["clients_per_second"] = round(total / run["seconds"])
        figures[name] = run
        if moved:
            await owner_sql(
                rt, "UPDATE clients SET aum_cny = (aum_cny - 60000) / 3 WHERE (hashtext(id::text) % 10) = 0"
            )
    assert figures["service"]["snapshot"] == figures["baseline"]["snapshot"], "the two disagree"
    assert figures["service"]["tier_changes"] == figures["baseline"]["tier_changes"]
    return figures


async def main(data_dir: Path, branches: int, clients: int, rounds: int, first_only: bool) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, db_statement_timeout_ms=1_800_000)
    async with runtime(settings, run_migrations=True) as rt:
        started = time.perf_counter()
        found = await setup(rt, branches, clients)
        total = branches * clients
        print(f"seeded {branches} branches x {clients} clients in {time.perf_counter() - started:.0f} s")
        now = datetime.now(UTC)
        results: dict[str, Any] = {"branches": branches, "clients_per_branch": clients, "clients": total}
        cases = (("first_scoring", False), ("rescore_after_a_tenth_moved", True))[: 1 if first_only else 2]
        for case, moved in cases:
            runs = [await round_of(rt, found, total, now, moved) for _ in range(rounds)]
            service_s = statistics.median(r["service"]["seconds"] for r in runs)
            baseline_s = statistics.median(r["baseline"]["seconds"] for r in runs)
            results[case] = {
                "service_seconds": round(service_s, 3),
                "baseline_seconds": round(baseline_s, 3),
                "service_clients_per_second": round(total / service_s),
                "baseline_clients_per_second": round(total / baseline_s),
                "throughput_ratio": round(baseline_s / service_s, 2),
                "service_statements": runs[0]["service"]["statements"],
                "service_statements_per_branch": runs[0]["service"]["statements"] / branches,
                "baseline_statements": runs[0]["baseline"]["statements"],
                "tier_changes": runs[0]["service"]["tier_changes"],
                "history_rows": runs[0]["service"]["history"],
                "results_agree": True,
            }
            r = results[case]
            print(
                f"{case}: service {r['service_seconds']} s ({r['service_clients_per_second']} clients/s, "
                f"{r['service_statements']} statements = {r['service_statements_per_branch']:.0f} per branch) | "
                f"baseline {r['baseline_seconds']} s ({r['baseline_clients_per_second']} clients/s, "
                f"{r['baseline_statements']} statement) | ratio {r['throughput_ratio']} (target >= 0.5)"
            )
        results["load_average"] = os.getloadavg()
        results["measured_at"] = datetime.now(UTC).isoformat()
        await OWNER.pop("engine").dispose()
        return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="100 branches x 10,000 clients")
    parser.add_argument("--branches", type=int, default=None)
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--first-only", action="store_true", help="only the first scoring (every client new)")
    args = parser.parse_args()
    branches = args.branches or (100 if args.full else 20)
    clients = args.clients or (10_000 if args.full else 2_000)
    directory = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    try:
        figures = asyncio.run(main(directory, branches, clients, args.rounds, args.first_only))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")
