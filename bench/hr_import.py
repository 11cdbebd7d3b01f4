"""The HR feed at 5,000 rows: what a first import (every identity new), a re-run (nothing changes), a dry
run and a month's changes (roles of one row in ten) cost, in seconds and SQL statements.

50 branches of 100 people on embedded PostgreSQL; one person in twenty also covers a neighbouring branch
for two weeks. Every run goes through ``import_feed`` as the CLI calls it (one transaction, committed).
The baseline, in the same run, is the per-row service path the import avoids for memberships:
``staffing.service.create_staff`` + ``add_membership`` for 200 further people, one row at a time,
scaled to 5,000.

    uv run python bench/hr_import.py [--rows 5000]    # writes bench/results/hr_import.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event

from branchdesk.access.principal import Principal
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.settings import Settings
from branchdesk.runtime import Runtime, runtime
from branchdesk.staffing import service as staffing
from branchdesk.staffing.hr_import import service as hr_import
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel

RESULTS = Path(__file__).parent / "results" / "hr_import.json"
SYSTEM = Principal.system("bench")
ROLES = ("customer_manager", "lobby_manager", "teller", "risk_officer", "compliance_officer", "it_support")
HEADER = "employee_number,name,email,phone,branch_code,roles,start_date,end_date\n"


class Statements:
    def __init__(self, rt: Runtime) -> None:
        self.count = 0
        self.engines = [rt.db.app_engine.sync_engine, rt.db.platform_engine.sync_engine]

    def tick(self, *args: object) -> None:
        self.count += 1

    def __enter__(self) -> "Statements":
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self.tick)
        return self

    def __exit__(self, *exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self.tick)


def feed(rows: int, branches: list[str], *, changed_every: int = 0) -> bytes:
    today = date.today()
    lines = [HEADER]
    per_branch = rows // len(branches)
    for i in range(rows):
        code = branches[i // per_branch % len(branches)]
        role = ROLES[i % len(ROLES)]
        if changed_every and i % changed_every == 0:
            role = ROLES[(i + 1) % len(ROLES)]
        lines.append(f"P{i:06d},Person {i},p{i}@bank.example,138{i:08d},{code},{role},2026-01-05,\n")
        if i % 20 == 0:  # a cover of the next branch, on top of the home above
            neighbour = branches[(i // per_branch + 1) % len(branches)]
            lines.append(
                f"P{i:06d},Person {i},p{i}@bank.example,138{i:08d},{neighbour},teller,"
                f"{today + timedelta(days=1)},{today + timedelta(days=14)}\n"
            )
    return "".join(lines).encode()


async def timed(rt: Runtime, data: bytes, **options: bool) -> dict[str, object]:
    with Statements(rt) as statements:
        started = time.perf_counter()
        async with rt.db.session(None) as session:
            result = await hr_import.import_feed(session, rt.db.platform_session, data, "bench.csv", **options)
            written = time.perf_counter()
        seconds = time.perf_counter() - started
    assert not result.issues, result.issues[:5]
    counts = {k.value: n for k, n in result.counts.items() if n}
    return {
        "seconds": round(seconds, 2),
        # commit, then what follows it: the policy caches told and the change events published, per change
        "commit_and_after_seconds": round(seconds - (written - started), 2),
        "statements": statements.count,
        "rows": result.total_rows,
        "changes": counts,
    }


async def per_row_baseline(rt: Runtime, people: int, branch: str) -> dict[str, object]:
    with Statements(rt) as statements:
        started = time.perf_counter()
        async with rt.db.session(None) as session:
            for i in range(people):
                number = f"Q{i:06d}"
                await staffing.create_staff(session, SYSTEM, staffing.NewStaff(number, f"Q {i}", None, None))
                await staffing.add_membership(session, SYSTEM, number, ["teller"], branch_code=branch)
        seconds = time.perf_counter() - started
    return {"people": people, "seconds": round(seconds, 2), "statements": statements.count}


async def main(data_dir: Path, rows: int) -> dict[str, object]:
    async with runtime(Settings(data_dir=data_dir), run_migrations=True) as rt:
        codes = [f"B{n:03d}" for n in range(50)]
        async with rt.db.session(None) as session:
            for code, level, parent in [("HO", BranchLevel.HEAD_OFFICE, None)] + [
                (c, BranchLevel.TIER1_BRANCH, "HO") for c in codes
            ]:
                head = service.StaffDraft(f"H{code}", f"Head of {code}")
                draft = service.BranchDraft(code, f"Branch {code}", level, "Asia/Shanghai", head, parent)
                await onboarding.onboard_branch(session, SYSTEM, draft)
        heads = "".join(f"H{c},Head of {c},,,{c},branch_head,,\n" for c in codes).encode()
        first_feed = feed(rows, codes) + heads
        figures: dict[str, object] = {"rows": first_feed.count(b"\n") - 1}
        figures["dry_run_first"] = await timed(rt, first_feed, dry_run=True)
        figures["first_import"] = await timed(rt, first_feed)
        figures["re_run"] = await timed(rt, first_feed)
        figures["roles_changed_one_in_ten"] = await timed(rt, feed(rows, codes, changed_every=10) + heads)
        baseline = await per_row_baseline(rt, 200, codes[0])
        per_person = float(baseline["seconds"]) / 200  # type: ignore[arg-type]
        baseline["scaled_to_rows_seconds"] = round(per_person * rows, 1)
        figures["baseline_per_row_services"] = baseline
        figures["load_average"] = os.getloadavg()
        return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-hr-import-"))
    try:
        out = asyncio.run(main(directory, args.rows))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps(out, indent=2))
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
