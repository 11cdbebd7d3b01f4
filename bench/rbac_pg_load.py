"""A branch's first request when its policy comes from PostgreSQL: ``PolicyCache.for_branch`` on a miss.

One branch (28 staff over the seven branch roles, ten overrides) on the embedded server. Each load
opens a tenant-bound session, as a request does, and is timed with the session opening. The first
request is that load followed by the decision (``Principal.can``); ``bench/rbac.py`` prints it beside
its in-memory first-request figures. The baseline, in the same run, is building the same
BranchPolicy from those rows already in memory.

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

from branchdesk.access.policy import BranchPolicy, PolicyCache, effective_permissions, staff_subject
from branchdesk.access.principal import BranchRef, Principal
from branchdesk.access.registry import PERMISSIONS, Scope, shipped_baseline
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.audit import Author
from branchdesk.platform.settings import Settings
from branchdesk.rbac.models import PolicyOverride
from branchdesk.runtime import POLICY_SOURCE, runtime
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel

ROLES_IN_BRANCH = (
    "branch_head",
    "customer_manager",
    "lobby_manager",
    "teller",
    "risk_officer",
    "compliance_officer",
    "it_support",
)
SAMPLES = 200
RESULTS = Path(__file__).parent / "results" / "rbac_pg_load.json"
SYSTEM = Principal.system("bench")


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50_ms": round(ordered[len(ordered) // 2], 3),
        "p99_ms": round(ordered[int(0.99 * len(ordered))], 3),
        "n": len(ordered),
    }


async def main(data_dir: Path) -> dict:
    rng = random.Random(7)
    async with runtime(Settings(data_dir=data_dir), run_migrations=True) as rt:
        async with rt.db.session(None) as session:
            for code, level, parent in (
                ("HO", BranchLevel.HEAD_OFFICE, None),
                ("BENCH01", BranchLevel.TIER1_BRANCH, "HO"),
            ):
                head = service.StaffDraft(f"H{code}", f"Head of {code}")
                draft = service.BranchDraft(code, f"Branch {code}", level, "Asia/Shanghai", head, parent)
                branch = (await onboarding.onboard_branch(session, SYSTEM, draft)).branch
            for i in range(27):
                staff = await service.ensure_staff(session, service.StaffDraft(f"S{i:04d}", f"Staff {i}"))
                await onboarding.grant_membership(session, SYSTEM, branch, staff, [ROLES_IN_BRANCH[i % 7]])
        shipped = shipped_baseline()
        async with rt.db.session(branch.id) as session:
            branch_permissions = sorted(p for p, d in PERMISSIONS.items() if d.scope is Scope.BRANCH)
            picked: set[tuple[str, str]] = set()
            while len(picked) < 10:
                picked.add((rng.choice(ROLES_IN_BRANCH), rng.choice(branch_permissions)))
            for role, permission in picked:
                granted = permission not in shipped.get(role, set())  # an override differs from the baseline
                session.add(PolicyOverride(tenant_id=branch.id, role=role, permission=permission, granted=granted))

        async with rt.db.session(branch.id) as session:
            baseline = await POLICY_SOURCE.baseline(session)
            rules = await POLICY_SOURCE.branch(session, branch.id)
        role_permissions = effective_permissions(baseline, rules.overrides)
        members = [(staff_id, roles) for staff_id, roles in rules.assignments]
        # (member, permission, expected): half allowed, half denied, as bench/rbac.py asks
        asks = []
        for k in range(SAMPLES):
            staff_id, roles = rng.choice(members)
            held = set().union(*(role_permissions.get(r, set()) for r in roles))
            options = [p for p in branch_permissions if (p in held) == (k % 2 == 0)]
            asks.append((staff_id, rng.choice(options), k % 2 == 0))
        where = BranchRef(branch.id, branch.code, False)

        cache = PolicyCache(POLICY_SOURCE, None)
        fresh, reload, first = [], [], []
        for staff_id, permission, expected in asks:
            cache.invalidate([None])  # first use in a process: the baseline is read too
            t0 = time.perf_counter()
            async with rt.db.session(branch.id) as session:
                await cache.for_branch(session, branch.id)
            fresh.append((time.perf_counter() - t0) * 1e3)
            cache.invalidate([branch.id])  # after a change to this branch: baseline still held
            t0 = time.perf_counter()
            async with rt.db.session(branch.id) as session:
                await cache.for_branch(session, branch.id)
            reload.append((time.perf_counter() - t0) * 1e3)
            cache.invalidate([branch.id])  # a first request: load the branch, then decide
            t0 = time.perf_counter()
            async with rt.db.session(branch.id) as session:
                policy = await cache.for_branch(session, branch.id)
                who = Principal(
                    subject=staff_subject(staff_id),
                    author=Author("staff", staff_id),
                    branch=where,
                    policy=policy,
                    staff_id=staff_id,
                )
                decided = who.can(permission)
            first.append((time.perf_counter() - t0) * 1e3)
            assert decided is expected, (permission, decided, expected)
        in_memory = []
        for _ in range(SAMPLES):
            t0 = time.perf_counter()
            BranchPolicy(
                branch.id,
                effective_permissions(baseline, rules.overrides),
                {staff_subject(staff_id): roles for staff_id, roles in rules.assignments},
                rules.direct,
            )
            in_memory.append((time.perf_counter() - t0) * 1e3)
    return {
        "members": len(members),
        "overrides": len(rules.overrides),
        "loads": cache.loads,
        "first_request": summary(first),
        "for_branch_fresh_process": summary(fresh),
        "for_branch_after_change": summary(reload),
        "build_from_rows_in_memory": summary(in_memory),
    }


if __name__ == "__main__":
    data_dir = Path(tempfile.mkdtemp(prefix="branchdesk-bench-"))
    started = time.perf_counter()
    try:
        result = asyncio.run(main(data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    print(f"One branch ({result['members']} members, {result['overrides']} overrides) loaded from PostgreSQL, ms:")
    labels = {
        "first_request": "first request (session+load+decide)",
        "for_branch_fresh_process": "for_branch, fresh process",
        "for_branch_after_change": "for_branch, after a change",
        "build_from_rows_in_memory": "build from rows in memory",
    }
    for key, label in labels.items():
        s = result[key]
        print(f"  {label:<37} p50 {s['p50_ms']:>7.2f}   p99 {s['p99_ms']:>7.2f}   (n={s['n']})")
    print(f"wall time {result['wall_s']} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
