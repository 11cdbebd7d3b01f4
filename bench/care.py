"""Care planning at scale, and "my day" against hand-written SQL (issue 12, benchmark).

Seeds branches on an embedded PostgreSQL (clients written set-based with ``generate_series``: birthdays,
KYC and risk dates, last contacts spread over the year, consents mixed, a few on do-not-contact; one
interaction for a client in five, a lunar birthday for four in five), gives every branch eight care plans
(birthday, lunar birthday, onboarding, callback after an interaction, dormancy, KYC expiry, risk expiry, a
quarterly rhythm for 白金), then:

1. **Planning one day for every branch**, one transaction per branch as the nightly job runs it, timed,
   with the SQL statements counted: in all, and the planner's own (one per plan per branch, the figure
   the issue bounds). The baseline, in the same run: the same day planned again (nothing left to make:
   what the statements cost when they only read).
2. **Lunar against solar birthdays**: the birthday plans' candidate statement (``simulatePlan`` over 30
   days: the planner's statement without its writes) per branch, p50/p99, the lunar plan beside the solar
   one (the baseline, same run): the lunar day table and the two-index join against the plain one.
3. **My day** for a customer manager holding ~``--my-day`` open follow-ups: the GraphQL query through the
   whole request path (token, branch entry, resolvers, loaders), p50/p99 over ``--requests`` requests,
   beside the same read as hand-written SQL on raw asyncpg (the branch's follow-ups with their card and
   plan in one statement).

    uv run python bench/care.py            # 10 branches x 2,000 clients, a few minutes
    uv run python bench/care.py --full     # 100 branches x 10,000 clients (the issue's size)

Writes bench/results/care.json.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, text

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.api import create_app
from branchdesk.care import rules
from branchdesk.care import service as care
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.pagination import PageRequest
from branchdesk.platform.settings import Settings
from branchdesk.runtime import Runtime, runtime
from branchdesk.tenants import service, signin
from branchdesk.tenants.models import BranchLevel

RESULTS = Path(__file__).parent / "results" / "care.json"
SYSTEM = Principal.system("bench")
PASSWORD = "Care-bench-2026"
PLANS = (
    ("生日祝福", rules.Trigger.BIRTHDAY, rules.Channel.WECHAT, [0], rules.Priority.HIGH, {}),
    ("农历生日祝福", rules.Trigger.BIRTHDAY, rules.Channel.WECHAT, [0], rules.Priority.HIGH,
     {"birthday_calendar": rules.BirthdayCalendar.LUNAR}),
    ("新客户首访", rules.Trigger.ONBOARDING, rules.Channel.PHONE, [1, 7, 30], rules.Priority.HIGH, {}),
    ("接触后回访", rules.Trigger.AFTER_INTERACTION, rules.Channel.PHONE, [3], rules.Priority.NORMAL, {}),
    ("沉睡客户唤醒", rules.Trigger.DORMANCY, rules.Channel.PHONE, [180], rules.Priority.LOW, {}),
    ("身份信息到期提醒", rules.Trigger.KYC_EXPIRY, rules.Channel.SMS, [-30], rules.Priority.NORMAL, {}),
    ("风险测评到期提醒", rules.Trigger.RISK_EXPIRY, rules.Channel.PHONE, [-30], rules.Priority.NORMAL, {}),
    ("白金季度回访", rules.Trigger.TIER_RHYTHM, rules.Channel.PHONE, [0], rules.Priority.NORMAL,
     {"tier": "platinum", "every_months": 3}),
)  # fmt: skip
MY_DAY = """{ myDay { today
  overdue { id title dueOn priority card { clientNumber maskedName } plan { name } }
  dueToday { id title dueOn priority card { clientNumber maskedName } plan { name } }
  upcoming { id title dueOn priority card { clientNumber maskedName } plan { name } } } }"""
RAW_MY_DAY = """
WITH ranked AS (
  SELECT f.id, row_number() OVER (PARTITION BY sign(f.due_on - $3::date) ORDER BY f.priority, f.due_on, f.id) AS n
  FROM follow_ups f
  WHERE f.tenant_id = $1 AND f.assignee_id = $2 AND f.state = 'open' AND f.due_on <= $3::date + 7
)
SELECT f.id, f.title, f.due_on, f.priority, c.client_number, c.name, p.name AS plan
FROM ranked r JOIN follow_ups f ON f.tenant_id = $1 AND f.id = r.id
JOIN clients c ON c.tenant_id = f.tenant_id AND c.id = f.client_id
JOIN care_plans p ON p.tenant_id = f.tenant_id AND p.id = f.plan_id
WHERE r.n <= 50 ORDER BY f.priority, f.due_on, f.id"""

# Clients of one branch, set-based: dates spread so that every trigger finds some on any day.
SEED_CLIENTS = """
INSERT INTO clients (tenant_id, id, client_number, kind, name, birthday, risk_grade, risk_assessed_on, kyc_status,
  kyc_expires_on, consents, do_not_contact, preferred_language, lifecycle, tags, owner_id, created_at, updated_at,
  last_contact_at, aum_cny, lunar_birth_month, lunar_birth_day, lunar_birth_leap)
SELECT CAST(:branch AS uuid), gen_random_uuid(), CAST(:code AS text) || lpad(g::text, 7, '0'), 'individual',
  '客户' || g,
  date '1950-01-01' + (g * 37 % 18000), 'C3', CAST(:today AS date) - (g * 13 % 700), 'verified',
  CAST(:today AS date) + (g * 17 % 900) - 60,
  CASE g % 5 WHEN 0 THEN ARRAY['phone','sms','wechat'] WHEN 1 THEN ARRAY['phone'] WHEN 2 THEN ARRAY['wechat','email']
    WHEN 3 THEN ARRAY[]::text[] ELSE ARRAY['phone','sms','wechat','email','visit'] END::varchar[],
  g % 50 = 0, 'zh-CN', (ARRAY['new','active','active','active','dormant'])[1 + g % 5], '{}',
  (CAST(:owners AS uuid[]))[1 + g % cardinality(CAST(:owners AS uuid[]))],
  now() - make_interval(days => g * 7 % 400), now(), now() - make_interval(days => g * 11 % 365), g * 100,
  CASE WHEN g % 5 <> 4 THEN 1 + g * 7 % 12 END, CASE WHEN g % 5 <> 4 THEN 1 + g * 11 % 30 END,
  CASE WHEN g % 5 <> 4 THEN g % 53 = 0 END
FROM generate_series(1, CAST(:clients AS int)) g"""
SEED_INTERACTIONS = """
INSERT INTO interactions (tenant_id, id, client_id, kind, channel, occurred_at, logged_by_id, logged_at, summary,
  products)
SELECT c.tenant_id, gen_random_uuid(), c.id, 'call', 'phone',
  now() - make_interval(days => (abs(hashtext(c.id::text)) % 20)),
  c.owner_id, now(), '电话沟通', '{}'
FROM clients c WHERE c.tenant_id = CAST(:branch AS uuid) AND abs(hashtext(c.id::text)) % 5 = 0"""
SEED_SCORES = """
INSERT INTO client_scores (tenant_id, id, tier, recency, frequency, monetary, lifecycle, interactions_12m, aum_cny,
  scored_at)
SELECT c.tenant_id, c.id, CASE WHEN abs(hashtext(c.id::text)) % 10 = 0 THEN 'platinum' ELSE 'standard' END,
  3, 3, 3, 'active', 1, c.aum_cny, now()
FROM clients c WHERE c.tenant_id = CAST(:branch AS uuid)"""


class Statements:
    """Counts statements sent, and those that are the planner's (its data-modifying CTE)."""

    def __init__(self, rt: Runtime) -> None:
        self.count = self.planner = 0
        self.engines = [rt.db.app_engine.sync_engine, rt.db.platform_engine.sync_engine]

    def tick(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.planner += "INSERT INTO care_plan_runs" in statement

    def __enter__(self) -> Statements:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self.tick)
        return self

    def __exit__(self, *exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self.tick)


async def seed(rt: Runtime, branches: int, clients: int) -> list[tuple[Any, str]]:
    """The branches (each with a head and two customer managers), their clients and plans."""
    made = []
    today = date.today()
    for b in range(branches):
        code = f"C{b:03d}"
        async with rt.db.session(None) as session:
            office = await service.head_office(session)
            if office is None:
                office = (
                    await onboarding.onboard_branch(
                        session,
                        SYSTEM,
                        service.BranchDraft("0000", "总行", BranchLevel.HEAD_OFFICE, "Asia/Shanghai",
                                            service.StaffDraft("HO0001", "总行管理员")),
                    )
                ).branch  # fmt: skip
            onboarded = await onboarding.onboard_branch(
                session,
                SYSTEM,
                service.BranchDraft(code, f"网点{code}", BranchLevel.TIER1_BRANCH, "Asia/Shanghai",
                                    service.StaffDraft(f"{code}H", "网点负责人"), parent_code="0000"),
            )  # fmt: skip
            branch = onboarded.branch
            owners = []
            for n in range(2):
                staff = await service.ensure_staff(session, service.StaffDraft(f"{code}M{n}", f"客户经理{n}"))
                await onboarding.grant_membership(session, SYSTEM, branch, staff, ["customer_manager"])
                if staff.password_hash is None:
                    await signin.set_password(session, staff.employee_number, PASSWORD)
                owners.append(staff.id)
        async with rt.db.session(branch.id) as session:
            params = {"branch": branch.id, "code": code, "today": today, "owners": owners, "clients": clients}
            await session.execute(text(SEED_CLIENTS), params)
            await session.execute(text(SEED_INTERACTIONS), {"branch": branch.id})
            await session.execute(text(SEED_SCORES), {"branch": branch.id})
            by = Principal.system("bench", BranchRef(branch.id, code))
            for name, trigger, channel, offsets, priority, extra in PLANS:
                draft = care.PlanDraft(name, trigger, channel, name, offsets=offsets, priority=priority, **extra)
                await care.define_plan(session, by, draft)
            await session.execute(text("UPDATE care_plans SET effective_from = :d"), {"d": today - timedelta(30)})
        made.append((branch, f"{code}M0"))
    return made


async def analyze(rt: Runtime) -> None:
    """As the owner: fresh statistics before measuring, as autovacuum keeps them in a branch's steady state
    (without them every estimate is one row and the plans are nested loops over thousands)."""
    conn = await asyncpg.connect(rt.endpoints.admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def plan_all(rt: Runtime, branches: list[tuple[Any, str]]) -> dict[str, Any]:
    started = time.perf_counter()
    with Statements(rt) as counted:
        created = 0
        for branch, _ in branches:
            async with rt.db.session(branch.id) as session:
                by = Principal.system("bench", BranchRef(branch.id, branch.code))
                created += sum(r.created for r in await care.plan_day(session, by))
    seconds = time.perf_counter() - started
    plans = len(branches) * len(PLANS)
    return {
        "seconds": round(seconds, 2),
        "follow_ups_created": created,
        "statements": counted.count,
        "planner_statements": counted.planner,
        "plans": plans,
        "planner_statements_per_plan": counted.planner / plans,
        "statements_per_branch": counted.count / len(branches),
    }


async def birthday_candidates(rt: Runtime, branches: list[tuple[Any, str]], rounds: int) -> dict[str, Any]:
    """simulatePlan of each branch's solar and lunar birthday plans, ``rounds`` times, timed apart."""
    timings: dict[str, list[float]] = {"solar": [], "lunar": []}
    found = {"solar": 0, "lunar": 0}
    for _ in range(rounds):
        for branch, _ in branches:
            async with rt.db.session(branch.id) as session:
                by = Principal.system("bench", BranchRef(branch.id, branch.code))
                plans = (await care.list_plans(session, by, PageRequest(first=20))).items
                for _, plan in plans:
                    if plan.trigger != rules.Trigger.BIRTHDAY:
                        continue
                    started = time.perf_counter()
                    simulated = await care.simulate_plan(session, by, plan.id, days=30)
                    timings[plan.birthday_calendar].append(time.perf_counter() - started)
                    found[plan.birthday_calendar] += simulated.would_create + sum(simulated.skipped.values())
    return {
        kind: {**percentiles(samples), "candidates_per_branch": found[kind] / rounds / len(branches)}
        for kind, samples in timings.items()
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
    }


async def my_day(rt: Runtime, settings: Settings, branch: Any, manager: str, requests: int) -> dict[str, Any]:
    app = create_app(settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        signed = await client.post(
            "/graphql",
            json={
                "query": "mutation($i: SignInInput!) { signIn(input: $i) { accessToken errors { code } } }",
                "variables": {"i": {"employeeNumber": manager, "password": PASSWORD}},
            },
        )
        token = signed.json()["data"]["signIn"]["accessToken"]
        headers = {"Authorization": f"Bearer {token}", "X-Branch": branch.code}
        first = (await client.post("/graphql", json={"query": MY_DAY}, headers=headers)).json()
        assert "errors" not in first, first
        with Statements(rt) as counted:  # a warm request: entry (2), today, the follow-ups, the plans
            await client.post("/graphql", json={"query": MY_DAY}, headers=headers)
        day = first["data"]["myDay"]
        shown = len(day["overdue"]) + len(day["dueToday"]) + len(day["upcoming"])
        graphql = []
        for _ in range(requests):
            started = time.perf_counter()
            await client.post("/graphql", json={"query": MY_DAY}, headers=headers)
            graphql.append(time.perf_counter() - started)
    dsn = rt.endpoints.admin_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        staff = await conn.fetchval("SELECT id FROM staff WHERE employee_number = $1", manager)
        today = date.fromisoformat(day["today"])
        raw = []
        for _ in range(requests):
            started = time.perf_counter()
            rows = await conn.fetch(RAW_MY_DAY, branch.id, staff, today)
            raw.append(time.perf_counter() - started)
    finally:
        await conn.close()
    assert len(rows) == shown, (len(rows), shown)
    return {
        "follow_ups_shown": shown,
        "statements": counted.count,
        "graphql": percentiles(graphql),
        "raw_asyncpg": percentiles(raw),
    }


async def main(data_dir: Path, branches: int, clients: int, requests: int) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, signin_failure_delay_seconds=0.0, second_factor_enforced=False)
    async with runtime(settings, run_migrations=True) as rt:
        started = time.perf_counter()
        made = await seed(rt, branches, clients)
        seeded = time.perf_counter() - started
        print(f"seeded {branches} branches x {clients} clients in {seeded:.1f} s")
        await analyze(rt)
        planned = await plan_all(rt, made)
        again = await plan_all(rt, made)
        await analyze(rt)
        print(
            f"planning one day for {branches} branches: {planned['seconds']} s, {planned['follow_ups_created']} "
            f"follow-ups; {planned['planner_statements']} planner statements for {planned['plans']} plans "
            f"({planned['planner_statements_per_plan']:.2f} per plan per branch), {planned['statements']} in all "
            f"({planned['statements_per_branch']:.1f} per branch)"
        )
        print(f"baseline, the same day planned again (nothing to make): {again['seconds']} s")
        birthdays = await birthday_candidates(rt, made, rounds=5)
        solar, lunar = birthdays["solar"], birthdays["lunar"]
        print(
            f"birthday candidates over 30 days per branch (simulatePlan): lunar p50 {lunar['p50_ms']} ms, p99 "
            f"{lunar['p99_ms']} ms, {lunar['candidates_per_branch']:.0f} candidates; baseline solar p50 "
            f"{solar['p50_ms']} ms, p99 {solar['p99_ms']} ms, {solar['candidates_per_branch']:.0f} candidates"
        )
        branch, manager = made[0]
        day = await my_day(rt, settings, branch, manager, requests)
        print(
            f"my day ({day['follow_ups_shown']} follow-ups shown, {day['statements']} statements): "
            f"GraphQL p50 {day['graphql']['p50_ms']} ms, "
            f"p99 {day['graphql']['p99_ms']} ms; raw asyncpg p50 {day['raw_asyncpg']['p50_ms']} ms, "
            f"p99 {day['raw_asyncpg']['p99_ms']} ms"
        )
        return {
            "branches": branches,
            "clients_per_branch": clients,
            "plans_per_branch": len(PLANS),
            "seed_seconds": round(seeded, 1),
            "planning": planned,
            "planning_again_baseline": again,
            "birthday_candidates_30_days": birthdays,
            "my_day": day,
            "targets": {"planning_seconds_max": 60, "planner_statements_per_plan_max": 1, "my_day_p99_ms_max": 50},
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "measured_at": datetime.now(UTC).isoformat(),
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="100 branches x 10,000 clients")
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    branches, clients = (100, 10_000) if args.full else (args.branches, args.clients)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-care-"))
    os.chmod(data_dir, 0o755)
    try:
        figures = asyncio.run(main(data_dir, branches, clients, args.requests))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")
