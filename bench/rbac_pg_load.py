"""Load time of one branch's policy from PostgreSQL: ``PolicyCache.for_branch`` on a miss.

One branch (28 staff over the seven branch roles, about ten overrides) on the embedded server. Each
load opens a tenant-bound session, as a request does, and is timed with the session opening; the
baseline, in the same run, is building the same BranchPolicy from those rows already in memory.

    uv run python bench/rbac_pg_load.py    # writes bench/results/rbac_pg_load.json
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from branchdesk.platform.audit import Actor
from branchdesk.platform.runtime import runtime
from branchdesk.platform.settings import Settings
from branchdesk.rbac import repository
from branchdesk.rbac.enforcer import BranchPolicy, PolicyCache, effective_permissions, staff_subject
from branchdesk.rbac.models import PolicyOverride
from branchdesk.rbac.permissions import PERMISSIONS, ROLES, Scope
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel

ROLES_IN_BRANCH = ("branch_head", "customer_manager", "lobby_manager", "teller", "risk_officer", "compliance_officer",
                   "it_support")
SAMPLES = 200
RESULTS = Path(__file__).parent / "results" / "rbac_pg_load.json"
SYSTEM = Actor.system("bench")


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"p50_ms": round(ordered[len(ordered) // 2], 3), "p99_ms": round(ordered[int(0.99 * len(ordered))], 3),
            "n": len(ordered)}


async def main(data_dir: Path) -> dict:
    rng = random.Random(7)
    async with runtime(Settings(data_dir=data_dir), run_migrations=True) as rt:
        async with rt.db.session(None) as session:
            for code, level, parent in (("HO", BranchLevel.HEAD_OFFICE, None), ("BENCH01", BranchLevel.TIER1_BRANCH, "HO")):
                head = service.StaffDraft(f"H{code}", f"Head of {code}")
                draft = service.BranchDraft(code, f"Branch {code}", level, "Asia/Shanghai", head, parent)
                branch = (await service.onboard_branch(session, SYSTEM, draft)).branch
            for i in range(27):
                staff = await service.ensure_staff(session, service.StaffDraft(f"S{i:04d}", f"Staff {i}"))
                await service.grant_membership(session, SYSTEM, branch, staff, [ROLES_IN_BRANCH[i % 7]])
        async with rt.db.session(branch.id) as session:
            branch_permissions = sorted(p for p, d in PERMISSIONS.items() if d.scope is Scope.BRANCH)
            picked: set[tuple[str, str]] = set()
            while len(picked) < 10:
                picked.add((rng.choice(ROLES_IN_BRANCH), rng.choice(branch_permissions)))
            for role, permission in picked:
                granted = permission not in ROLES[role].baseline  # an override differs from the baseline
                session.add(PolicyOverride(tenant_id=branch.id, role=role, permission=permission, granted=granted))

        cache = PolicyCache()
        fresh, reload, in_memory = [], [], []
        for _ in range(SAMPLES):
            cache.invalidate([None])  # first use in a process: the baseline is read too
            t0 = time.perf_counter()
            async with rt.db.session(branch.id) as session:
                policy = await cache.for_branch(session, branch.id)
            fresh.append((time.perf_counter() - t0) * 1e3)
            cache.invalidate([branch.id])  # after a change to this branch: baseline still held
            t0 = time.perf_counter()
            async with rt.db.session(branch.id) as session:
                await cache.for_branch(session, branch.id)
            reload.append((time.perf_counter() - t0) * 1e3)
        async with rt.db.session(branch.id) as session:
            baseline = await repository.baseline(session)
            members = await repository.assignments(session, branch.id)
            overrides = [(o.role, o.permission, o.granted) for o in await repository.overrides(session, branch.id)]
        for _ in range(SAMPLES):
            t0 = time.perf_counter()
            BranchPolicy(branch.id, effective_permissions(baseline, overrides),
                         {staff_subject(staff_id): roles for staff_id, roles in members})
            in_memory.append((time.perf_counter() - t0) * 1e3)
        assert policy.allows(staff_subject(members[0][0]), "branch:read")
    return {"members": len(members), "overrides": len(overrides), "loads": cache.loads,
            "for_branch_fresh_process": summary(fresh), "for_branch_after_change": summary(reload),
            "build_from_rows_in_memory": summary(in_memory)}


if __name__ == "__main__":
    data_dir = Path(tempfile.mkdtemp(prefix="branchdesk-bench-"))
    started = time.perf_counter()
    try:
        result = asyncio.run(main(data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    print(f"One branch ({result['members']} members, {result['overrides']} overrides) loaded from PostgreSQL, ms:")
    for key in ("for_branch_fresh_process", "for_branch_after_change", "build_from_rows_in_memory"):
        s = result[key]
        print(f"  {key:<34} p50 {s['p50_ms']:>7.2f}   p99 {s['p99_ms']:>7.2f}   (n={s['n']})")
    print(f"wall time {result['wall_s']} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
