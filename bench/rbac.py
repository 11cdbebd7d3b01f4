"""Access control at 1 to 10,000 branches: what a branch's first request costs, what a decision costs,
and what a branch's policy holds in memory; per-branch policies against one big Casbin enforcer.

Every branch has the shipped baseline role templates plus ten custom overrides and 25-30 staff over
the seven branch roles. A request asks ``Principal.can`` for a random member of a random branch, on a
branch-scoped permission the member holds (allow) or does not hold (deny).

- First request to a branch (the headline): its policy is not loaded, so the request builds it
  (``BranchPolicy``: Casbin works out every member's permissions) and then decides. Timed here with
  the rows already in memory; loading them from PostgreSQL comes on top and is measured by
  ``bench/rbac_pg_load.py``, whose last result is printed beside these figures.
- Decision: ``Principal.can`` on a loaded policy, which is a set lookup; there is no cold/warm
  difference once the policy is built, so the first request above is the only cold path.
- Memory per branch: tracemalloc (Python allocations still alive after a full collection) over a
  sample of freshly built policies; resident memory (RSS) added by building all of them beside it.

The baseline, measured in the same run, is one plain ``casbin.Enforcer`` holding every branch's rules.
Run ``uv run python bench/rbac.py`` (``--quick`` for a smoke test); figures go to bench/results/rbac.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import os
import platform
import random
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import casbin

from branchdesk.access import policy as policy_module
from branchdesk.access.policy import BranchPolicy, effective_permissions, staff_subject
from branchdesk.access.principal import BranchRef, Principal
from branchdesk.access.registry import PERMISSIONS, Scope, shipped_baseline, split
from branchdesk.platform.audit import Author

BRANCH_ROLES = (
    "branch_head",
    "customer_manager",
    "lobby_manager",
    "teller",
    "risk_officer",
    "compliance_officer",
    "it_support",
)
# Head-office permissions are refused before the policy is asked, so they would not measure it.
BRANCH_PERMISSIONS = sorted(name for name, p in PERMISSIONS.items() if p.scope is Scope.BRANCH)
BASELINE = shipped_baseline()
MODEL_PATH = Path(policy_module.__file__).parent / "model.conf"
RESULTS = Path(__file__).parent / "results" / "rbac.json"
PG_RESULTS = Path(__file__).parent / "results" / "rbac_pg_load.json"
TARGET_P99_US, TARGET_RATIO = 100.0, 1.5
SEED = 20240611
rng = random.Random(SEED)


@dataclass
class Branch:
    id: uuid.UUID
    role_permissions: dict[str, set[str]]
    assignments: dict[str, list[str]]
    allowed: dict[str, list[str]]  # subject -> branch permissions it holds, worked out without Casbin
    denied: dict[str, list[str]]
    members: list[str]

    def policy(self) -> BranchPolicy:
        return BranchPolicy(self.id, self.role_permissions, self.assignments)


def make_branch() -> Branch:
    assignments = {}
    for i in range(rng.randint(25, 30)):
        roles = {BRANCH_ROLES[i % len(BRANCH_ROLES)]} | ({rng.choice(BRANCH_ROLES)} if rng.random() < 0.15 else set())
        assignments[staff_subject(uuid.UUID(int=rng.getrandbits(128)))] = sorted(roles)
    overrides = [(rng.choice(BRANCH_ROLES), rng.choice(BRANCH_PERMISSIONS), rng.random() < 0.5) for _ in range(10)]
    role_permissions = effective_permissions(BASELINE, overrides)
    allowed, denied = {}, {}
    for subject, roles in assignments.items():
        held = set().union(*(role_permissions.get(r, set()) for r in roles))
        allowed[subject] = [p for p in BRANCH_PERMISSIONS if p in held]
        denied[subject] = [p for p in BRANCH_PERMISSIONS if p not in held]
    return Branch(
        uuid.UUID(int=rng.getrandbits(128)), role_permissions, assignments, allowed, denied, list(assignments)
    )


def principal(branch: Branch, policy: BranchPolicy, subject: str) -> Principal:
    """The principal a request receives from the gate (built after the policy is at hand)."""
    staff_id = uuid.UUID(subject.removeprefix("staff:"))
    return Principal(
        subject=subject,
        author=Author("staff", staff_id),
        branch=BranchRef(branch.id, "B0001", False),
        policy=policy,
        staff_id=staff_id,
    )


def pick(branches: list[Branch], n: int, allow: bool) -> tuple[int, str, str]:
    while True:  # a member whose roles lost every permission has nothing to allow
        i = rng.randrange(n)
        subject = rng.choice(branches[i].members)
        if choices := (branches[i].allowed if allow else branches[i].denied)[subject]:
            return i, subject, rng.choice(choices)


def summary(ns: list[int]) -> dict[str, float]:
    """Nearest-rank p50 and p99 in µs, and how many samples took over a millisecond."""
    ordered = sorted(ns)
    p50, p99 = (ordered[max(0, math.ceil(q * len(ordered)) - 1)] / 1000 for q in (0.5, 0.99))
    return {"p50_us": round(p50, 2), "p99_us": round(p99, 2), "n": len(ns), "over_1ms": sum(t > 1e6 for t in ns)}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(decide, permission: str, expected: bool) -> int:  # noqa: ANN001
    t0 = time.perf_counter_ns()
    decision = decide(permission)
    elapsed = time.perf_counter_ns() - t0
    if decision is not expected:
        raise AssertionError(f"{permission}: decided {decision}, expected {expected}")
    return elapsed


def without_gc(fn, *args):  # noqa: ANN001, ANN002, ANN201
    gc.collect()
    gc.disable()
    try:
        return fn(*args)
    finally:
        gc.enable()


class Deployment:
    """The per-branch design: N branch policies held in the process, as PolicyCache holds them."""

    def __init__(self, branches: list[Branch]) -> None:
        self.branches = branches
        self.policies = [b.policy() for b in branches]

    def first_requests(self, samples: int) -> dict:
        """A request to a branch whose policy is not loaded (never used, evicted, or changed): build the
        policy, then decide; the new policy replaces the old one, as the cache would. The collector
        runs as in a live process, since a build leaves cyclic garbage (Casbin's enforcer)."""
        total, build, decide = [], [], []
        for k in range(samples):
            allow = k % 2 == 0
            i, subject, permission = pick(self.branches, len(self.branches), allow)
            branch = self.branches[i]
            t0 = time.perf_counter_ns()
            policy = branch.policy()
            t1 = time.perf_counter_ns()
            decision = principal(branch, policy, subject).can(permission)
            t2 = time.perf_counter_ns()
            if decision is not allow:
                raise AssertionError(f"{permission}: decided {decision}, expected {allow}")
            self.policies[i] = policy
            total.append(t2 - t0)
            build.append(t1 - t0)
            decide.append(t2 - t1)
        return {"total": summary(total), "build": summary(build), "decision": summary(decide)}

    def decisions(self, allow: bool, samples: int) -> list[int]:
        """``Principal.can`` on loaded policies; the principals are built beforehand, as the gate does."""
        picks = [pick(self.branches, len(self.branches), allow) for _ in range(samples)]
        asked = [(principal(self.branches[i], self.policies[i], s), p) for i, s, p in picks]
        return [timed(who.can, permission, allow) for who, permission in asked]


def traced_kb_per_branch(branches: list[Branch]) -> float:
    """Python memory still held by freshly built policies after a full collection, per branch."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [b.policy() for b in branches]
        gc.collect()  # the build's cyclic garbage is not held by the branch
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return round((after - before) / len(held) / 1024, 1)


def measure_size(n: int, first_n: int, decision_n: int, traced_n: int) -> dict:
    """In a fresh process (forked for this size): hold n branch policies, then measure."""
    rng.seed(SEED)
    branches = [make_branch() for _ in range(n)]
    gc.collect()
    rss_before, t0 = rss_mb(), time.perf_counter()
    deployment = Deployment(branches)
    build_s = time.perf_counter() - t0
    gc.collect()
    held_mb = rss_mb() - rss_before
    row = {
        "branches": n,
        "build_all_s": round(build_s, 2),
        "rss_mb": round(held_mb, 1),
        # one branch is below RSS's grain (pages, arenas); tracemalloc counts it exactly
        "kb_per_branch_rss": round(held_mb * 1024 / n, 1) if n >= 100 else None,
        "kb_per_branch_tracemalloc": traced_kb_per_branch(branches[:traced_n]),
    }
    row["first_request"] = deployment.first_requests(first_n)
    row["decision"] = {
        d: summary(without_gc(deployment.decisions, d == "allow", decision_n)) for d in ("allow", "deny")
    }
    return row


def naive(branches: list[Branch], n: int, budget_s: float, max_samples: int) -> dict:
    """One plain casbin.Enforcer loaded with every branch's p and g rules (policy file, as an adapter would)."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        for b in branches[:n]:
            f.writelines(
                f"p, {role}, {b.id}, {', '.join(split(p))}, \n"  # the model's fifth field, scope: none
                for role, ps in b.role_permissions.items()
                for p in sorted(ps)
            )
            f.writelines(f"g, {s}, {role}, {b.id}\n" for s, roles in b.assignments.items() for role in roles)
    t0 = time.perf_counter()
    e = casbin.Enforcer(str(MODEL_PATH), f.name)
    load_s = time.perf_counter() - t0
    os.unlink(f.name)
    primed, first = set(), []
    result = {"branches": n, "load_s": round(load_s, 3), "rules": len(e.get_policy())}
    for allow in (True, False):
        out, deadline = [], time.perf_counter() + budget_s
        while len(out) < max_samples and time.perf_counter() < deadline:
            i, subject, permission = pick(branches, n, allow)
            domain = str(branches[i].id)
            if i not in primed:  # the branch's role links are built on its first enforce: timed apart
                t0 = time.perf_counter_ns()
                e.enforce(subject, domain, "branch", "read")
                first.append(time.perf_counter_ns() - t0)
                primed.add(i)
            out.append(timed(lambda p: e.enforce(subject, domain, *split(p)), permission, allow))
        result["allow" if allow else "deny"] = summary(out)
    result["first_enforce_in_branch"] = summary(first)
    return result


def judge(rows: list[dict], figure) -> dict:  # noqa: ANN001
    """One figure against the targets: worst p99 over all sizes ≤ 100 µs; p99 at the most branches
    within 1.5× of p99 at the fewest."""
    p99 = {r["branches"]: figure(r)["p99_us"] for r in rows}
    worst = max(p99.values())
    ratio = round(p99[rows[-1]["branches"]] / p99[rows[0]["branches"]], 2)
    return {
        "p99_us_by_branches": p99,
        "worst_p99_us": worst,
        "p99_le_target": worst <= TARGET_P99_US,
        "ratio_most_to_fewest": ratio,
        "ratio_le_target": ratio <= TARGET_RATIO,
    }


FIGURES = {
    "first_request": lambda r: r["first_request"]["total"],
    "decision_allow": lambda r: r["decision"]["allow"],
    "decision_deny": lambda r: r["decision"]["deny"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 100 branches, fewer samples")
    args = parser.parse_args()
    sizes, naive_sizes = ((1, 100), (1, 100)) if args.quick else ((1, 100, 1_000, 10_000), (1, 100, 1_000))
    decision_n, first_n, traced_n, naive_budget = (2_000, 60, 20, 2.0) if args.quick else (20_000, 400, 50, 10.0)
    started, load_before = time.perf_counter(), os.getloadavg()[0]

    # One process per size, so that memory and latency at n branches owe nothing to the other sizes.
    with multiprocessing.get_context("fork").Pool(1, maxtasksperchild=1) as pool:
        rows = [pool.apply(measure_size, (n, first_n, decision_n, traced_n)) for n in sizes]
    rng.seed(SEED)
    branches = [make_branch() for _ in range(max(naive_sizes))]  # the same branches as above
    timer_ns = without_gc(lambda: [timed(bool, "", False) for _ in range(decision_n)])
    baseline = [without_gc(naive, branches, n, naive_budget, 2_000) for n in naive_sizes]
    wall_s = time.perf_counter() - started

    targets = {name: judge(rows, figure) for name, figure in FIGURES.items()}
    pg = json.loads(PG_RESULTS.read_text()) if PG_RESULTS.exists() else None
    report(rows, baseline, targets, summary(timer_ns), pg, wall_s)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "pycasbin": version("pycasbin"),
        "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    workload = {"staff_per_branch": "25-30", "roles": BRANCH_ROLES, "overrides_per_branch": 10, "quick": args.quick}
    RESULTS.write_text(
        json.dumps(
            {
                "machine": machine,
                "workload": workload,
                "per_branch_policies": rows,
                "one_big_enforcer": baseline,
                "timer_overhead": summary(timer_ns),
                "wall_s": round(wall_s, 1),
                "first_request_from_postgresql": pg
                and {
                    "source": "bench/rbac_pg_load.py (bench/results/rbac_pg_load.json)",
                    **{k: pg[k] for k in ("first_request", "members") if k in pg},
                },
                "targets": {"p99_us": TARGET_P99_US, "ratio": TARGET_RATIO, **targets},
            },
            indent=2,
        )
    )
    print(f"\nwrote {RESULTS}")


def cell(s: dict, scale: float = 1.0) -> str:
    return f"{s['p50_us'] / scale:>8.1f} {s['p99_us'] / scale:>8.1f}"


def report(rows: list[dict], baseline: list[dict], targets: dict, timer: dict, pg: dict | None, wall_s: float) -> None:
    head = f"{'p50':>8} {'p99':>8}"
    print("First request to a branch (policy not loaded): build its BranchPolicy from rows in memory, then decide")
    print(
        f"{'branches':>8} | {'first request µs':^17} | {'of which build':^17} | {'then decision':^17} |"
        f" {'KB/branch':^19} | {'build all':>9}"
    )
    print(f"{'':>8} | {head} | {head} | {head} | {'tracemalloc':>11} {'RSS':>7} | {'s':>9}")
    for r in rows:
        f = r["first_request"]
        rss = f"{r['kb_per_branch_rss']:>7.1f}" if r["kb_per_branch_rss"] is not None else f"{'n/a':>7}"
        print(
            f"{r['branches']:>8,} | {cell(f['total'])} | {cell(f['build'])} | {cell(f['decision'])} |"
            f" {r['kb_per_branch_tracemalloc']:>11.1f} {rss} | {r['build_all_s']:>9.2f}"
        )
    print(
        f"samples per row: {rows[0]['first_request']['total']['n']} first requests (half allow, half deny), "
        "garbage collector on, as in a live process;\n  'then decision' includes building the Principal, as the gate"
        " does on every request"
    )
    if pg and "first_request" in pg:
        fr, ld, mem = pg["first_request"], pg["for_branch_after_change"], pg["build_from_rows_in_memory"]
        print(
            f"From PostgreSQL (bench/rbac_pg_load.py, one branch of {pg['members']} members, last run): first request "
            f"p50 {fr['p50_ms']:.2f} ms, p99 {fr['p99_ms']:.2f} ms\n  (tenant-bound session + PolicyCache.for_branch"
            f" + decision; of which for_branch p50 {ld['p50_ms']:.2f} ms, and building from rows in memory "
            f"p50 {mem['p50_ms']:.2f} ms)"
        )
    else:
        print(
            "From PostgreSQL: no bench/results/rbac_pg_load.json with a first_request figure; run bench/rbac_pg_load.py"
        )
    print(
        "KB/branch: tracemalloc = Python memory still held by a freshly built policy after a full collection "
        "(the build's own garbage\n  excluded), over a sample of the row's branches; RSS = resident memory added by "
        "building all of the row's policies,\n  over the number of branches (n/a: one branch is below its grain)"
    )

    print("\nDecision on a loaded policy: Principal.can latency in µs (random branch, member and permission)")
    print(f"{'branches':>8} | {'allow':^17} | {'deny':^17}")
    print(f"{'':>8} | {head} | {head}")
    for r in rows:
        print(f"{r['branches']:>8,} | {cell(r['decision']['allow'])} | {cell(r['decision']['deny'])}")
    print(
        f"samples per cell {rows[0]['decision']['allow']['n']:,}; timer overhead included in every figure: "
        f"p50 {timer['p50_us']:.2f} µs, p99 {timer['p99_us']:.2f} µs"
    )

    print("\nBaseline: one casbin.Enforcer holding every branch's rules (no memo), enforce latency in µs")
    print(
        f"{'branches':>8} | {'rules':>7} {'load s':>7} | {'first in branch':^17} | {'allow':^17} | "
        f"{'deny':^17} | p50 ÷ per-branch decision p50 (allow, deny)"
    )
    for b in baseline:
        mine = next(r for r in rows if r["branches"] == b["branches"])["decision"]
        slower = [b[d]["p50_us"] / mine[d]["p50_us"] for d in ("allow", "deny")]
        print(
            f"{b['branches']:>8,} | {b['rules']:>7,} {b['load_s']:>7.3f} | {cell(b['first_enforce_in_branch'])} | "
            f"{cell(b['allow'])} | {cell(b['deny'])} | {slower[0]:>7.1f}× {slower[1]:>7.1f}×"
        )

    fewest, most = rows[0]["branches"], rows[-1]["branches"]
    print(
        f"\nTargets: p99 ≤ {TARGET_P99_US:.0f} µs at every size; p99({most:,} branches) ≤ {TARGET_RATIO}× p99({fewest:,})"
    )
    for name, t in targets.items():
        print(
            f"  {name:<15} worst p99 {t['worst_p99_us']:>9.1f} µs: {'MET' if t['p99_le_target'] else 'MISSED':<6}"
            f"   ratio {t['ratio_most_to_fewest']:>5.2f}×: {'MET' if t['ratio_le_target'] else 'MISSED'}"
        )
    met = [
        f"{name} {what}"
        for name, t in targets.items()
        for what, ok in (("p99", t["p99_le_target"]), ("ratio", t["ratio_le_target"]))
        if ok
    ]
    missed = [
        f"{name} {what}"
        for name, t in targets.items()
        for what, ok in (("p99", t["p99_le_target"]), ("ratio", t["ratio_le_target"]))
        if not ok
    ]
    print(f"  met: {', '.join(met) or 'none'}\n  missed: {', '.join(missed) or 'none'}")
    print(f"\nwall time {wall_s:.0f} s, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
