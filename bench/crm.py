"""The CRM at scale (issue 11's benchmark): the ``clients`` list filtered by owner and value tier, first
page, and a client 360 (the client, its tier and AUM, its holdings and interactions pages with totals,
its feedback and survey responses), through the real GraphQL app in-process (ASGI), at a smaller and a
larger number of branches in the same database, each beside the same reads as hand-written SQL on raw
asyncpg in the same run (same role, same tenant-bound transaction). The statements each GraphQL read
sends (one warm request) are counted and printed.

Data, set-based: per branch a head and ``--managers`` customer managers (through the services), then
clients loaded with COPY (``copy_records_to_table``, AUM included), five holdings and ten interactions
per client and each client's score (its tier by AUM) with INSERT ... SELECT over ``generate_series``;
ANALYZE before each measurement. The EXPLAIN plans of the two list queries (clients of an owner in a
tier, a client's interactions page) are printed and checked for index scans on ``(tenant_id, ...)`` and
no sequential scan.

    uv run python bench/crm.py                       # 2 then 10 branches x 2,000 clients (a few minutes)
    uv run python bench/crm.py --full                # 10 then 100 branches x 10,000 (1M clients, 10M interactions)
    uv run python bench/crm.py --database-url postgresql://postgres@127.0.0.1:5432/mydb   # an existing empty database

Targets: list p99 <= 50 ms, 360 p99 <= 80 ms, the larger figure within 1.3x of the smaller. Figures go
to bench/results/crm.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url
from strawberry import relay

from branchdesk.access.principal import Principal
from branchdesk.api import create_app
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.settings import Settings
from branchdesk.runtime import Runtime, runtime
from branchdesk.tenants import repository, service, signin
from branchdesk.tenants.models import BranchLevel

RESULTS = Path(__file__).parent / "results" / "crm.json"
SYSTEM = Principal.system("bench")
PASSWORD = "Crm-bench-2026-pass"
STAGES = ("prospect", "new", "active", "active", "active", "dormant", "lost")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
TIERS = ("standard", "gold", "platinum", "private_banking")
# AUM per client (CNY) by client index (eleven values: each manager's book mixes them), one in 50 clients
# private banking: about 45% standard, 36% gold, 9% platinum, 2% private banking
AUM = (8_000, 20_000, 60_000, 120_000, 35_000, 700_000, 15_000, 90_000, 2_000, 250_000, 45_000)
PRODUCTS = (
    ("SAV-CNY", "活期储蓄存款", "Demand savings", "deposit", "R1", "CNY"),
    ("TD1Y", "一年期整存整取", "1-year time deposit", "time_deposit", "R1", "CNY"),
    ("WM-R2-180", "稳健理财180天", "Steady wealth plan, 180 days", "wealth_management", "R2", "CNY"),
    ("FUND-MMF", "货币市场基金", "Money market fund", "fund", "R1", "CNY"),
    ("PENSION01", "颐养年金保险", "Retirement annuity insurance", "insurance", "R2", "CNY"),
)
LIST = """query($owner: ID!, $tier: String!) { clients(first: 20, filter: {ownerId: $owner, tier: $tier}) {
  edges { node { id clientNumber name lifecycle lastContactAt } } pageInfo { hasNextPage endCursor } } }"""
CLIENT_360 = """query($id: ID!) { client(id: $id) { id clientNumber name lifecycle kycStatus lastContactAt
  owner { displayName } team { displayName } tier { code } aum { amount currency }
  holdings(first: 10) { totalCount edges { node { reference productCode balance { amount currency } status } } }
  interactions(first: 10) { totalCount edges { node { kind channel occurredAt summary outcome } } }
  feedback { id summary state } surveyResponses { respondedAt answers { question value } } } }"""
RAW_LIST = """SELECT c.id, c.client_number, c.name, c.lifecycle, c.last_contact_at FROM clients c
  WHERE c.tenant_id = $1 AND c.owner_id = $2 AND c.id IN (SELECT s.id FROM client_scores s
  WHERE s.tenant_id = $1 AND s.tier = $3) ORDER BY c.name, c.id LIMIT 21"""
RAW_CLIENT = """SELECT c.id, c.client_number, c.name, c.lifecycle, c.kyc_status, c.last_contact_at, c.owner_id,
  c.aum_cny, s.tier FROM clients c LEFT JOIN client_scores s ON s.tenant_id = c.tenant_id AND s.id = c.id
  WHERE c.tenant_id = $1 AND c.id = $2 AND (c.owner_id = $3 OR EXISTS (SELECT 1 FROM client_co_owners o
  WHERE o.tenant_id = $1 AND o.client_id = $2 AND o.staff_id = $3))"""
RAW_HOLDINGS = """SELECT reference, product_code, balance, currency, status FROM holdings
  WHERE tenant_id = $1 AND client_id = $2 ORDER BY reference LIMIT 11"""
RAW_HOLDING_COUNT = "SELECT count(*) FROM holdings WHERE tenant_id = $1 AND client_id = $2"
RAW_TIMELINE = """SELECT kind, channel, occurred_at, summary, outcome FROM interactions
  WHERE tenant_id = $1 AND client_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT 11"""
RAW_COUNT = "SELECT count(*) FROM interactions WHERE tenant_id = $1 AND client_id = $2"
RAW_FEEDBACK = "SELECT id, summary, state FROM feedback WHERE tenant_id = $1 AND client_id = $2"
RAW_STAFF = "SELECT display_name FROM staff WHERE id = $1"
RAW_TEAM = """SELECT s.display_name FROM client_co_owners o JOIN staff s ON s.id = o.staff_id
  WHERE o.tenant_id = $1 AND o.client_id = $2"""
RAW_RESPONSES = """SELECT r.responded_at, a.position, a.value FROM survey_responses r
  LEFT JOIN survey_answers a ON a.tenant_id = r.tenant_id AND a.response_id = r.id
  WHERE r.tenant_id = $1 AND r.client_id = $2 ORDER BY r.responded_at DESC, a.position"""


def plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def figures(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": p(samples, 0.5), "p99_ms": p(samples, 0.99), "mean_ms": round(statistics.mean(samples) * 1000, 2)}


# --- data ------------------------------------------------------------------------------------------


async def add_branches(rt: Runtime, first: int, last: int, managers: int) -> None:
    async with rt.db.session(None) as session:
        office = await repository.head_office(session)
        if office is None:
            head = service.StaffDraft("HBENCH", "Head office")
            draft = service.BranchDraft("HO", "Head office", BranchLevel.HEAD_OFFICE, "Asia/Shanghai", head, None)
            office = (await onboarding.onboard_branch(session, SYSTEM, draft)).branch
        for n in range(first, last):
            code = f"B{n:03d}"
            head = service.StaffDraft(f"H{code}", f"Head {code}")
            draft = service.BranchDraft(
                code, f"Branch {code}", BranchLevel.TIER1_BRANCH, "Asia/Shanghai", head, office.code
            )
            branch = (await onboarding.onboard_branch(session, SYSTEM, draft)).branch
            for m in range(managers):
                number = f"M{code}{m:02d}"
                staff = await service.ensure_staff(session, service.StaffDraft(number, f"客户经理{code}-{m}"))
                await onboarding.grant_membership(session, SYSTEM, branch, staff, ["customer_manager"])


async def load_clients(admin: asyncpg.Connection, codes: list[str], per_branch: int) -> float:
    """COPY the branches' clients, then their holdings, interactions and scores set-based; returns the seconds."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    # The rows are generated consistent: skip the per-row foreign-key triggers (about a third of the
    # interactions' and holdings' insert time at 15M rows). The admin role is the server's superuser.
    await admin.execute("SET session_replication_role = replica")
    await admin.executemany(
        """INSERT INTO products (id, code, name_zh, name_en, category, risk_grade, currency, active, created_at)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, true, now()) ON CONFLICT (code) DO NOTHING""",
        PRODUCTS,
    )
    for code in codes:
        branch_id = await admin.fetchval("SELECT id FROM branches WHERE code = $1", code)
        owners = [
            r["staff_id"]
            for r in await admin.fetch(
                "SELECT staff_id FROM memberships m JOIN staff s ON s.id = m.staff_id"
                " WHERE m.tenant_id = $1 AND s.employee_number LIKE 'M%' ORDER BY s.employee_number",
                branch_id,
            )
        ]
        rng = random.Random(code)
        rows = [
            (
                branch_id,
                uuid.uuid4(),
                f"{code}{i:07d}",
                "individual",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "verified",
                [],
                False,
                "zh-CN",
                STAGES[i % len(STAGES)],
                [],
                owners[i % len(owners)],
                now,
                now,
                Decimal(7_000_000 if i % 50 == 7 else AUM[i % len(AUM)]),
                now,
                now - timedelta(days=30 + i % 30),  # the latest of its ten interactions below
            )
            for i in range(per_branch)
        ]
        columns = [
            "tenant_id", "id", "client_number", "kind", "name", "kyc_status", "consents", "do_not_contact",
            "preferred_language", "lifecycle", "tags", "owner_id", "created_at", "updated_at", "aum_cny", "aum_as_of",
            "last_contact_at",
        ]  # fmt: skip
        await admin.copy_records_to_table("clients", records=rows, columns=columns)
        await admin.execute(
            """
            INSERT INTO interactions (tenant_id, id, client_id, kind, channel, occurred_at, logged_by_id, logged_at,
                                      summary, products)
            SELECT c.tenant_id, gen_random_uuid(), c.id, (ARRAY['call','visit','message','meeting','note'])[1 + k % 5],
                   (ARRAY['phone','branch','wechat','on_site','sms'])[1 + k % 5],
                   c.last_contact_at - make_interval(days => (k - 1) * 30),
                   c.owner_id, $2::timestamptz, '回访第' || k || '次', '{}'
            FROM clients c CROSS JOIN generate_series(1, 10) AS k
            WHERE c.tenant_id = $1
            """,
            branch_id,
            now,
        )
        # Five holdings a client, their balances a fifth of its AUM each (the feed would have set the AUM)
        await admin.execute(
            """
            INSERT INTO holdings (tenant_id, id, reference, client_id, product_code, balance, currency, opened_on,
                                  status, moved_at, created_at, updated_at)
            SELECT c.tenant_id, gen_random_uuid(), c.client_number || '-' || k, c.id, ($3::text[])[k],
                   round(c.aum_cny / 5, 2), 'CNY', ($2::timestamptz - make_interval(days => k * 97))::date,
                   'active', $2::timestamptz, $2::timestamptz, $2::timestamptz
            FROM clients c CROSS JOIN generate_series(1, 5) AS k
            WHERE c.tenant_id = $1
            """,
            branch_id,
            now,
            [product[0] for product in PRODUCTS],
        )
        # Each client's score as a scoring run would leave it: its tier is the highest threshold its AUM reaches
        await admin.execute(
            """
            INSERT INTO client_scores (tenant_id, id, tier, recency, frequency, monetary, lifecycle, last_activity_at,
                                       interactions_12m, aum_cny, scored_at)
            SELECT c.tenant_id, c.id,
                   (SELECT t.code FROM value_tiers t WHERE t.min_aum_cny <= c.aum_cny ORDER BY t.rank DESC LIMIT 1),
                   3, 3, 3, c.lifecycle, c.last_contact_at, 10, c.aum_cny, $2::timestamptz
            FROM clients c WHERE c.tenant_id = $1
            """,
            branch_id,
            now,
        )
    await admin.execute("RESET session_replication_role")
    await admin.execute(
        "ANALYZE clients; ANALYZE interactions; ANALYZE holdings; ANALYZE client_scores; ANALYZE feedback;"
        " ANALYZE survey_responses"
    )
    return time.perf_counter() - started


# --- measuring ---------------------------------------------------------------------------------------


async def sign_in(http: httpx.AsyncClient, number: str) -> str:
    body = (
        await http.post(
            "/graphql",
            json={
                "query": "mutation($i: SignInInput!) { signIn(input: $i) { accessToken errors { code } } }",
                "variables": {"i": {"employeeNumber": number, "password": PASSWORD}},
            },
        )
    ).json()
    return str(body["data"]["signIn"]["accessToken"])


async def measure(rt: Runtime, admin: asyncpg.Connection, codes: list[str], requests: int) -> dict[str, Any]:
    """p50/p99 of the two reads through GraphQL and as raw SQL, for managers of ``codes`` picked at random."""
    rng = random.Random(len(codes))
    picked = rng.sample(codes, min(len(codes), 10))
    managers = []
    async with rt.db.session(None) as session:
        for code in picked:
            number = f"M{code}00"
            await signin.set_password(session, number, PASSWORD)
            staff = await repository.staff_by_employee_number(session, number)
            assert staff is not None
            managers.append((code, number, staff.id))
    app = create_app(rt.settings, rt)
    samples: dict[str, list[float]] = {"list": [], "client_360": [], "raw_list": [], "raw_client_360": []}
    statements: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    app_conn = await asyncpg.connect(plain_dsn(rt.endpoints.app_url))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            sessions = []
            for code, number, staff_id in managers:
                token = await sign_in(http, number)
                branch_id = await admin.fetchval("SELECT id FROM branches WHERE code = $1", code)
                clients = [
                    r["id"]
                    for r in await admin.fetch(
                        "SELECT id FROM clients WHERE tenant_id = $1 AND owner_id = $2 ORDER BY random() LIMIT 50",
                        branch_id,
                        staff_id,
                    )
                ]
                sessions.append((code, token, branch_id, staff_id, clients))
            owner_gid = {s[3]: _gid("StaffMember", s[3]) for s in sessions}
            code, token, _, staff_id, clients = sessions[0]
            headers = {"Authorization": f"Bearer {token}", "X-Branch": code}
            for name, query, variables in (
                ("list", LIST, {"owner": owner_gid[staff_id], "tier": "gold"}),
                ("client_360", CLIENT_360, {"id": _gid("Client", clients[0])}),
            ):
                await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)  # warm
                with Statements(rt) as sent:
                    body = (
                        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
                    ).json()
                assert "errors" not in body, body
                statements[name] = sent.found
            for round_ in range(requests + requests // 10):  # the first tenth warms caches and is not kept
                code, token, branch_id, staff_id, clients = sessions[round_ % len(sessions)]
                tier = TIERS[round_ % len(TIERS)]
                client_id = clients[round_ % len(clients)]
                headers = {"Authorization": f"Bearer {token}", "X-Branch": code}
                keep = round_ >= requests // 10
                timed = [
                    ("list", LIST, {"owner": owner_gid[staff_id], "tier": tier}),
                    ("client_360", CLIENT_360, {"id": _gid("Client", client_id)}),
                ]
                for name, query, variables in timed:
                    started = time.perf_counter()
                    body = (
                        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
                    ).json()
                    elapsed = time.perf_counter() - started
                    assert "errors" not in body, body
                    if keep:
                        samples[name].append(elapsed)
                started = time.perf_counter()
                await _raw_list(app_conn, branch_id, staff_id, tier)
                raw_list = time.perf_counter() - started
                started = time.perf_counter()
                await _raw_360(app_conn, branch_id, staff_id, client_id)
                raw_360 = time.perf_counter() - started
                if keep:
                    samples["raw_list"].append(raw_list)
                    samples["raw_client_360"].append(raw_360)
    finally:
        await app_conn.close()
    return {name: figures(values) for name, values in samples.items()} | {
        "requests": requests,
        "statements": {name: len(sent) for name, sent in statements.items()},
        "sql": {name: [sql for sql, _ in sent] for name, sent in statements.items()},
        "_sent": statements,
        "_branch": sessions[0][2],
    }


class Statements:
    """The statements the app's engines send while open (what tests/conftest.py's SqlCounter counts)."""

    def __init__(self, rt: Runtime) -> None:
        self.found: list[tuple[str, tuple[Any, ...]]] = []
        self._engines = [rt.db.app_engine.sync_engine, rt.db.platform_engine.sync_engine]

    def _sent(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        self.found.append((statement, tuple(parameters or ())))

    def __enter__(self) -> Statements:
        for engine in self._engines:
            event.listen(engine, "before_cursor_execute", self._sent)
        return self

    def __exit__(self, *exc: Any) -> None:
        for engine in self._engines:
            event.remove(engine, "before_cursor_execute", self._sent)


def _gid(type_name: str, value: uuid.UUID) -> str:
    return str(relay.GlobalID(type_name, str(value)))


async def _bound(conn: asyncpg.Connection, branch_id: uuid.UUID) -> None:
    await conn.execute("select set_config('app.tenant_id', $1, true)", str(branch_id))


async def _raw_list(conn: asyncpg.Connection, branch_id: uuid.UUID, owner: uuid.UUID, tier: str) -> list[Any]:
    async with conn.transaction():
        await _bound(conn, branch_id)
        return list(await conn.fetch(RAW_LIST, branch_id, owner, tier))


async def _raw_360(conn: asyncpg.Connection, branch_id: uuid.UUID, staff: uuid.UUID, client: uuid.UUID) -> None:
    async with conn.transaction():
        await _bound(conn, branch_id)
        found = await conn.fetchrow(RAW_CLIENT, branch_id, client, staff)
        assert found is not None
        await conn.fetch(RAW_STAFF, found["owner_id"])
        await conn.fetch(RAW_TEAM, branch_id, client)
        await conn.fetch(RAW_HOLDINGS, branch_id, client)
        await conn.fetchval(RAW_HOLDING_COUNT, branch_id, client)
        await conn.fetch(RAW_TIMELINE, branch_id, client)
        await conn.fetchval(RAW_COUNT, branch_id, client)
        await conn.fetch(RAW_FEEDBACK, branch_id, client)
        await conn.fetch(RAW_RESPONSES, branch_id, client)


async def plans(
    rt: Runtime, branch_id: uuid.UUID, sent: dict[str, list[tuple[str, tuple[Any, ...]]]]
) -> dict[str, Any]:
    """EXPLAIN ANALYZE of every SELECT the two GraphQL reads sent, as the app role in the branch: each is checked
    for index scans and no sequential scan; the list's page and the 360's interactions page are kept whole."""
    conn = await asyncpg.connect(plain_dsn(rt.endpoints.app_url))
    found: dict[str, Any] = {"seq_scans": []}
    try:
        for request, statements in sent.items():
            for n, (sql, args) in enumerate(statements):
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or "set_config" in sql:
                    continue
                async with conn.transaction():
                    await _bound(conn, branch_id)
                    lines = [r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", *args)]
                if any("Seq Scan" in line for line in lines):
                    found["seq_scans"].append({"request": request, "statement": n, "sql": sql, "plan": lines})
                name = None
                if request == "list" and "FROM clients" in sql and "LIMIT" in sql:
                    name = "clients_by_owner_and_tier"
                elif request == "client_360" and "FROM interactions" in sql and "row_number" in sql:
                    name = "interactions_page"
                if name is not None:
                    found[name] = {
                        "sql": sql,
                        "plan": lines,
                        "index_scan": any("Index" in line for line in lines),
                        "seq_scan": any("Seq Scan" in line for line in lines),
                    }
    finally:
        await conn.close()
    return found


# --- the run -----------------------------------------------------------------------------------------


async def main(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        database_url=args.database_url,
        second_factor_enforced=False,
        signin_failure_delay_seconds=0.0,
        token_max_per_source=1_000_000,
        token_max_per_client=1_000_000,
    )
    sizes = [int(s) for s in args.branches.split(",")]
    out: dict[str, Any] = {
        "clients_per_branch": args.clients,
        "interactions_per_client": 10,
        "managers_per_branch": args.managers,
        "started_at": datetime.now(UTC).isoformat(),
        "load_average_at_start": os.getloadavg(),
        "cpus": os.cpu_count(),
        "sizes": {},
    }
    async with runtime(settings, run_migrations=True) as rt:
        admin = await asyncpg.connect(plain_dsn(rt.endpoints.admin_url))
        try:
            loaded = 0
            for size in sizes:
                started = time.perf_counter()
                await add_branches(rt, loaded, size, args.managers)
                onboarded = time.perf_counter() - started
                codes = [f"B{n:03d}" for n in range(size)]
                seconds = await load_clients(admin, codes[loaded:], args.clients)
                loaded = size
                print(
                    f"{size} branches: onboarded in {onboarded:.0f} s, clients and the rest loaded in {seconds:.0f} s"
                )
                measured = await measure(rt, admin, codes, args.requests)
                sent, branch_id = measured.pop("_sent"), measured.pop("_branch")
                measured["load_seconds"] = round(seconds, 1)
                measured["clients"] = size * args.clients
                measured["load_average"] = os.getloadavg()
                out["sizes"][str(size)] = measured
                print(json.dumps({k: v for k, v in measured.items() if k != "sql"}, indent=2))
            out["plans"] = await plans(rt, branch_id, sent)
        finally:
            await admin.close()
    small, large = out["sizes"][str(sizes[0])], out["sizes"][str(sizes[-1])]
    out["targets"] = {
        "list_p99_le_50ms": large["list"]["p99_ms"] <= 50,
        "client_360_p99_le_80ms": large["client_360"]["p99_ms"] <= 80,
        "list_p99_growth": round(large["list"]["p99_ms"] / small["list"]["p99_ms"], 2),
        "client_360_p99_growth": round(large["client_360"]["p99_ms"] / small["client_360"]["p99_ms"], 2),
        "list_vs_raw_p99": round(large["list"]["p99_ms"] / large["raw_list"]["p99_ms"], 1),
        "client_360_vs_raw_p99": round(large["client_360"]["p99_ms"] / large["raw_client_360"]["p99_ms"], 1),
    }
    out["targets"]["growth_within_1_3x"] = (
        max(out["targets"]["list_p99_growth"], out["targets"]["client_360_p99_growth"]) <= 1.3
    )
    return out


def report(out: dict[str, Any]) -> None:
    print("\nbranches  clients    list p50/p99 ms   raw list p99   360 p50/p99 ms   raw 360 p99")
    for size, m in out["sizes"].items():
        print(
            f"{size:>8}  {m['clients']:>8}   {m['list']['p50_ms']:>6} / {m['list']['p99_ms']:<7}"
            f"  {m['raw_list']['p99_ms']:>10}"
            f"   {m['client_360']['p50_ms']:>6} / {m['client_360']['p99_ms']:<7}  {m['raw_client_360']['p99_ms']:>10}"
        )
    for size, m in out["sizes"].items():
        print(f"\nstatements at {size} branches: {m['statements']}")
    for name, plan in out["plans"].items():
        if name == "seq_scans":
            print(f"\nstatements of the two reads with a sequential scan: {len(plan)}")
            for found in plan:
                print(f"  {found['request']} #{found['statement']}: {found['sql']}")
                print("\n".join("    " + line for line in found["plan"]))
            continue
        print(f"\nEXPLAIN {name} (index scan: {plan['index_scan']}, seq scan: {plan['seq_scan']})\n  {plan['sql']}")
        print("\n".join("  " + line for line in plan["plan"]))
    print("\ntargets:", json.dumps(out["targets"], indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", default="2,10", help="branch counts measured in turn (default 2,10)")
    parser.add_argument("--clients", type=int, default=2000, help="clients per branch (default 2,000)")
    parser.add_argument("--managers", type=int, default=5, help="customer managers per branch")
    parser.add_argument("--requests", type=int, default=400, help="timed requests of each read per size")
    parser.add_argument("--full", action="store_true", help="10 then 100 branches x 10,000 clients, 10 managers")
    parser.add_argument("--database-url", default=None, help="an empty database instead of the embedded server")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.full:
        args.branches, args.clients, args.managers = "10,100", 10_000, 10
    directory = Path(tempfile.mkdtemp(prefix="bench-crm-"))
    try:
        result = asyncio.run(main(args, directory))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    report(result)
    args.results.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
