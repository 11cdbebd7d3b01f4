"""Importing clients from a core-banking file, against a bare COPY of the same file, in the same run.

A generated clients file (valid resident ID numbers, mainland mobiles, Chinese names, addresses, tags,
owners among 20 customer managers) goes through ``crm import clients`` as the CLI runs it: reading the
CSV, checking every row with the client rules, sealing the personal data (AES-GCM) with its keyed hashes,
a binary COPY into the staging table and the one upsert into ``clients`` with its indexes, the assignment
history and the audit record, committed. The baseline is PostgreSQL alone: ``COPY … FROM STDIN (FORMAT
csv)`` of the same bytes into an unindexed table of text columns. Then the same file again (a no-op) and
a dry run. Beside it, the floor: the import's own rows, checked and sealed (not timed), COPYed in binary
straight into ``clients`` with all its indexes and foreign keys, and into an unindexed ``LIKE clients``
(both rolled back): what any import into this table costs at least, and what the indexes alone cost.

    uv run python bench/crm_import.py              # 100,000 rows, a minute or two; bench/results/crm_import.json
    uv run python bench/crm_import.py --rows 10000 # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import system_work
from branchdesk.crm.imports import layout
from branchdesk.crm.imports import service as imports
from branchdesk.crm.rules import check_character
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.database import to_async_url
from branchdesk.platform.memory import collector_paused
from branchdesk.platform.settings import Settings
from branchdesk.runtime import Runtime, runtime
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel

RESULTS = Path(__file__).parent / "results" / "crm_import.json"
SYSTEM = Principal.system("bench")
HEADER = (
    "client_number,name,owner_employee_number,kind,id_type,id_number,phone,address,gender,occupation,"
    "risk_grade,kyc_status,kyc_expires_on,consents,do_not_contact,lifecycle,tags\n"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬"
REGIONS = ("110105", "310104", "440106", "330106", "510107", "320102", "420106", "610113")
STREETS = ("建国路", "人民路", "解放路", "中山路", "长江路", "和平街", "南京西路", "天府大道")
OCCUPATIONS = ("教师", "工程师", "医生", "个体经营", "公务员", "会计", "销售", "退休")
MANAGERS = 20


def clients_file(rows: int, seed: int = 11) -> bytes:
    """``rows`` valid clients (deterministic): what core banking would send for a large branch."""
    rnd = random.Random(seed)
    lines = [HEADER]
    today = date(2026, 11, 30)
    for i in range(rows):
        born = date(1950, 1, 1) + timedelta(days=rnd.randrange(20000))
        first17 = f"{rnd.choice(REGIONS)}{born:%Y%m%d}{rnd.randrange(1000):03d}"
        name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        consents = ("sms;phone", "wechat", "", "phone;sms;wechat")[i % 4]
        tags = ("代发工资", "理财;VIP", "", "房贷")[i % 4]
        lines.append(
            f"C{i:09d},{name},M{i % MANAGERS:03d},individual,resident_id,{first17}{check_character(first17)},"
            f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d},{rnd.choice(('北京市', '上海市', '广州市'))}"
            f"{rnd.choice(STREETS)}{rnd.randrange(1, 999)}号,{('male', 'female')[i % 2]},{rnd.choice(OCCUPATIONS)},"
            f"C{1 + i % 5},verified,{today + timedelta(days=rnd.randrange(30, 900))},{consents},false,active,{tags}\n"
        )
    return "".join(lines).encode()


async def bare_copy(rt: Runtime, data: bytes) -> float:
    """Seconds PostgreSQL takes to COPY the file into an unindexed table of text columns (a fresh one)."""
    columns = ", ".join(f"{c} text" for c in HEADER.strip().split(","))
    engine = create_async_engine(to_async_url(rt.endpoints.admin_url))
    try:
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute(f"DROP TABLE IF EXISTS bench_bare_copy; CREATE TABLE bench_bare_copy ({columns})")
            started = time.perf_counter()
            async with driver.transaction():
                await driver.copy_to_table(
                    "bench_bare_copy", source=io.BytesIO(data), format="csv", header=True, encoding="utf-8"
                )
            seconds = time.perf_counter() - started
            await driver.execute("DROP TABLE bench_bare_copy")
        return seconds
    finally:
        await engine.dispose()


async def sealed_copy_floor(rt: Runtime, branch_id, tenant_id, data: bytes) -> dict[str, float]:
    """Seconds PostgreSQL takes to COPY the import's own rows (checked, sealed, binary) straight into the
    real ``clients`` table with all its indexes and its foreign keys, and into an unindexed copy of it
    (``LIKE clients``): the floor any import into this table stands on, and what the indexes alone cost.
    Rows are written under ``tenant_id`` (a branch without clients) and rolled back; the preparing is
    not timed."""
    sheet = layout.read_sheet(data)
    async with system_work(rt.db, "bench floor", branch_id) as (session, by):
        issues: list = []
        checked = imports._check_rows(sheet.rows, issues, lambda *_: None)
        owners = await imports.repository.owners_by_number(session, branch_id, {r.owner for r, _ in checked})
        staged = imports._staged(session, checked, owners, lambda *_: None)
    names = ("tenant_id", "id", *imports.repository.STAGED_NAMES[3:], "created_at", "updated_at")
    now = datetime.now(UTC)
    records = [(tenant_id, r[1], *r[3:], now, now) for r in staged]
    figures: dict[str, float] = {}
    engine = create_async_engine(to_async_url(rt.endpoints.admin_url))
    try:
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            for label, table in (("indexed", "clients"), ("unindexed", "bench_clients_bare")):
                transaction = driver.transaction()
                await transaction.start()
                try:
                    if table != "clients":
                        await driver.execute(f"CREATE TABLE {table} (LIKE clients INCLUDING DEFAULTS INCLUDING GENERATED)")
                    started = time.perf_counter()
                    await driver.copy_records_to_table(table, records=records, columns=names)
                    figures[label] = time.perf_counter() - started
                finally:
                    await transaction.rollback()
    finally:
        await engine.dispose()
    return figures


async def timed_import(rt: Runtime, branch_id, data: bytes, *, profile: bool = False, **options: bool) -> dict:
    phases: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        phases.setdefault(phase, time.perf_counter())

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    with collector_paused():  # as ``crm import clients`` runs: the collector off from reading to commit
        sheet = layout.read_sheet(data)
        read = time.perf_counter()
        async with system_work(rt.db, "bench import", branch_id) as (session, by):
            result = await imports.import_clients(
                session, by, sheet, source="bench.csv", progress=progress, statement_timeout_s=1800, **options
            )
            written = time.perf_counter()
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        print(out.getvalue())
    assert not result.issues, result.issues[:5]
    marks = [started, read, phases.get("checking", read), phases.get("sealing", read), phases.get("loading", read)]
    return {
        "seconds": round(seconds, 3),
        "rows_per_second": round(result.total_rows / seconds),
        "phases_seconds": {
            "read_csv": round(read - started, 3),
            "check_rows_and_owners": round(marks[3] - read, 3),
            "seal_and_hash": round(marks[4] - marks[3], 3),
            "copy_upsert_audit": round(written - marks[4], 3),
            "commit": round(seconds - (written - started), 3),
        },
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }


async def main(data_dir: Path, rows: int, profile: bool) -> dict[str, object]:
    async with runtime(Settings(data_dir=data_dir), run_migrations=True) as rt:
        async with rt.db.session(None) as session:
            office = await onboarding.onboard_branch(
                session, SYSTEM, service.BranchDraft("HO", "Head office", BranchLevel.HEAD_OFFICE, "Asia/Shanghai",
                                                     service.StaffDraft("HHO", "Head of HO")),
            )  # fmt: skip
            branch = await onboarding.onboard_branch(
                session, SYSTEM, service.BranchDraft("B001", "Branch B001", BranchLevel.TIER1_BRANCH, "Asia/Shanghai",
                                                     service.StaffDraft("HB001", "Head of B001"), "HO"),
            )  # fmt: skip
            assert office.branch is not None
            for m in range(MANAGERS):
                staff = await service.ensure_staff(session, service.StaffDraft(f"M{m:03d}", f"经理 {m}"))
                await onboarding.grant_membership(session, SYSTEM, branch.branch, staff, ["customer_manager"])
        data = clients_file(rows)
        figures: dict[str, object] = {"rows": rows, "file_bytes": len(data)}
        copy_seconds = await bare_copy(rt, data)
        first = await timed_import(rt, branch.branch.id, data, profile=profile)
        again = await timed_import(rt, branch.branch.id, data)
        dry = await timed_import(rt, branch.branch.id, data, dry_run=True)
        floor = await sealed_copy_floor(rt, branch.branch.id, office.branch.id, data)
        copy_again = await bare_copy(rt, data)
        baseline = min(copy_seconds, copy_again)
        figures["bare_copy"] = {
            "seconds": round(baseline, 3),
            "rows_per_second": round(rows / baseline),
            "runs_seconds": [round(copy_seconds, 3), round(copy_again, 3)],
        }
        figures["floor_sealed_copy_into_clients"] = {
            "seconds": round(floor["indexed"], 3),
            "rate_vs_bare_copy": round(baseline / floor["indexed"], 3),
            "unindexed_like_clients_seconds": round(floor["unindexed"], 3),
            "note": "the import's sealed rows COPYed (binary) straight into clients with all indexes and FKs, "
            "and into an unindexed LIKE clients; not timed: reading, checking, sealing",
        }
        figures["first_import"] = first
        figures["re_import_no_op"] = again
        figures["dry_run"] = dry
        ratio = round(baseline / float(first["seconds"]), 3)
        figures["import_rate_vs_bare_copy"] = ratio
        # informative: how close the import comes to the floor of its own rows into this table
        figures["import_rate_vs_floor"] = round(floor["indexed"] / float(first["seconds"]), 3)
        figures["target"] = ">= 0.5 (import rows/s at least half of the bare COPY's)"
        figures["target_met"] = ratio >= 0.5
        figures["load_average"] = os.getloadavg()
        figures["cpus"] = os.cpu_count()
        return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="Print the first import's Python profile.")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-crm-import-"))
    try:
        out = asyncio.run(main(directory, args.rows, args.profile))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    first, bare = out["first_import"], out["bare_copy"]
    print(
        f"\nimport {first['rows_per_second']:,} rows/s (first), bare COPY {bare['rows_per_second']:,} rows/s: "  # type: ignore[index]
        f"ratio {out['import_rate_vs_bare_copy']} (target >= 0.5)"
    )
    RESULTS.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
