"""Access-control decisions at 1 to 10,000 branches: per-branch enforcers against one big Casbin enforcer.

Every branch has the baseline role templates plus ten custom overrides and 25-30 staff over the seven
branch roles. A decision is what a request runs: ``Principal.can`` for a random member of a random
branch, on a branch-scoped permission the member holds (allow) or does not hold (deny). "Cold" is the
first time a (subject, permission) is asked of a freshly built policy, "warm" a repeated question.
Casbin works out every member's permissions when a branch's policy is built, so load time carries
the Casbin cost and both kinds of decision are lookups.
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

from branchdesk.platform.audit import Actor
from branchdesk.rbac import enforcer
from branchdesk.rbac.access import Principal
from branchdesk.rbac.enforcer import BranchPolicy, effective_permissions, staff_subject
from branchdesk.rbac.permissions import PERMISSIONS, ROLES, Scope, split
from branchdesk.tenants.models import BranchLevel

BRANCH_ROLES = ("branch_head", "customer_manager", "lobby_manager", "teller", "risk_officer", "compliance_officer",
                "it_support")
# Head-office permissions are refused before the enforcer is asked, so they would not measure it.
BRANCH_PERMISSIONS = sorted(name for name, p in PERMISSIONS.items() if p.scope is Scope.BRANCH)
BASELINE = {name: set(role.baseline) for name, role in ROLES.items()}
MODEL_PATH = Path(enforcer.__file__).parent / "model.conf"
RESULTS = Path(__file__).parent / "results" / "rbac.json"
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
    return Branch(uuid.UUID(int=rng.getrandbits(128)), role_permissions, assignments, allowed, denied, list(assignments))


def principal(branch: Branch, policy: BranchPolicy, subject: str) -> Principal:
    staff_id = uuid.UUID(subject.removeprefix("staff:"))
    return Principal(subject, Actor("staff", staff_id), branch.id, "B0001", BranchLevel.SUB_BRANCH, policy,
                     frozenset(branch.assignments[subject]), staff_id)


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


class Deployment:
    """The per-branch design: N branch policies held in the process, as PolicyCache holds them."""

    def __init__(self, branches: list[Branch]) -> None:
        self.branches = branches
        self.policies = [b.policy() for b in branches]
        self.asked: list[set[tuple[str, str]]] = [set() for _ in branches]
        self.principals: dict[tuple[int, str], Principal] = {}
        self.control: list[int] = []

    def principal(self, i: int, subject: str) -> Principal:
        key = (i, subject)
        if key not in self.principals:
            self.principals[key] = principal(self.branches[i], self.policies[i], subject)
        return self.principals[key]

    def ask(self, i: int, subject: str, permission: str) -> bool:
        self.asked[i].add((subject, permission))
        return self.principal(i, subject).can(permission)

    def cold(self, n: int, allow: bool, samples: int) -> list[int]:
        """Time first-time decisions; a branch's first decision (its role links are built then) is untimed."""
        out, misses = [], 0
        while len(out) < samples:
            i, subject, permission = pick(self.branches, n, allow)
            if (subject, permission) in self.asked[i]:
                misses += 1
                if misses > 50:  # few fresh questions left (only at 1 branch): load the branch again
                    self.policies[i], self.asked[i] = self.branches[i].policy(), set()
                    self.principals = {k: v for k, v in self.principals.items() if k[0] != i}
                continue
            misses = 0
            if not self.asked[i]:
                self.ask(i, rng.choice(self.branches[i].members), "branch:read")
                if (subject, permission) in self.asked[i]:
                    continue
            out.append(timed(self.principal(i, subject).can, permission, allow))
            self.asked[i].add((subject, permission))
            self.control.append(control_loop())  # the same moment, heap and garbage, without the enforcer
            if len(out) % 100 == 0:
                gc.collect(0)  # untimed: each enforce leaves cyclic garbage, which a live process reclaims
        return out

    def warm(self, n: int, allow: bool, samples: int) -> list[int]:
        picks = [pick(self.branches, n, allow) for _ in range(samples)]
        for i, subject, permission in picks:
            self.ask(i, subject, permission)  # memoise
        return [timed(self.principal(i, s).can, p, allow) for i, s, p in picks]


def timed(decide, permission: str, expected: bool) -> int:
    t0 = time.perf_counter_ns()
    decision = decide(permission)
    elapsed = time.perf_counter_ns() - t0
    if decision is not expected:
        raise AssertionError(f"{permission}: decided {decision}, expected {expected}")
    return elapsed


def control_loop() -> int:
    """A fixed pure-Python loop about as long as a cold decision: what the machine adds to a sample."""
    t0, x = time.perf_counter_ns(), 0
    for k in range(1_500):
        x += k
    return time.perf_counter_ns() - t0


def measure_size(n: int, cold_n: int, warm_n: int) -> dict:
    """In a fresh process (forked for this size): hold n branch policies, then time decisions."""
    rng.seed(SEED)
    branches = [make_branch() for _ in range(n)]
    gc.collect()
    rss_before, t0 = rss_mb(), time.perf_counter()
    deployment = Deployment(branches)
    build_s = time.perf_counter() - t0
    gc.collect()
    held_mb = rss_mb() - rss_before
    row = {"branches": n, "rss_mb": round(held_mb, 1), "build_all_s": round(build_s, 2),
           "kb_per_branch_rss": round(held_mb * 1024 / n, 1) if n >= 100 else None}  # 1 branch: below RSS's grain
    for kind, samples in (("cold", cold_n), ("warm", warm_n)):
        measure = getattr(deployment, kind)
        row[kind] = {d: summary(without_gc(measure, n, d == "allow", samples)) for d in ("allow", "deny")}
    row["control"] = summary(deployment.control)
    return row


def without_gc(fn, *args):  # noqa: ANN001, ANN002, ANN201
    gc.collect()
    gc.disable()
    try:
        return fn(*args)
    finally:
        gc.enable()


def load_one_branch(branches: list[Branch]) -> dict:
    """Build one branch's policy (Casbin resolves every member's permissions), then its first decision."""
    build, first = [], []
    branches[0].policy().allows(branches[0].members[0], "branch:read")  # the process's one-off first decision
    for k, branch in enumerate(branches):
        t0 = time.perf_counter_ns()
        policy = branch.policy()
        build.append(time.perf_counter_ns() - t0)
        _, subject, permission = pick([branch], 1, allow := k % 2 == 0)
        first.append(timed(principal(branch, policy, subject).can, permission, allow))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = [b.policy() for b in branches]
    built = tracemalloc.get_traced_memory()[0]
    for branch, policy in zip(branches, held):
        policy.allows(branch.members[0], "branch:read")
    decided = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {"build": summary(build), "first_decision": summary(first),
            "kb_per_branch_built": round((built - before) / len(held) / 1024, 1),
            "kb_per_branch_after_first_decision": round((decided - before) / len(held) / 1024, 1)}


def naive(branches: list[Branch], n: int, budget_s: float, max_samples: int) -> dict:
    """One plain casbin.Enforcer loaded with every branch's p and g rules (policy file, as an adapter would)."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        for b in branches[:n]:
            f.writelines(f"p, {role}, {b.id}, {', '.join(split(p))}\n" for role, ps in b.role_permissions.items()
                         for p in sorted(ps))
            f.writelines(f"g, {s}, {role}, {b.id}\n" for s, roles in b.assignments.items() for role in roles)
    t0 = time.perf_counter()
    e = casbin.Enforcer(str(MODEL_PATH), f.name)
    load_s = time.perf_counter() - t0
    os.unlink(f.name)
    primed, result = set(), {"branches": n, "load_s": round(load_s, 3), "rules": len(e.get_policy())}
    for allow in (True, False):
        out, deadline = [], time.perf_counter() + budget_s
        while len(out) < max_samples and time.perf_counter() < deadline:
            i, subject, permission = pick(branches, n, allow)
            domain = str(branches[i].id)
            if i not in primed:  # the branch's role links are built on its first decision: untimed, as above
                e.enforce(subject, domain, "branch", "read")
                primed.add(i)
            out.append(timed(lambda p: e.enforce(subject, domain, *split(p)), permission, allow))
        result["allow" if allow else "deny"] = summary(out)
    return result


def verdict(rows: list[dict], kind: str) -> dict:
    """Worst p99 over all sizes, and p99 at the most branches over p99 at the fewest."""
    worst = {d: max(r[kind][d]["p99_us"] for r in rows) for d in ("allow", "deny")}
    ratio = {d: round(rows[-1][kind][d]["p99_us"] / rows[0][kind][d]["p99_us"], 2) for d in ("allow", "deny")}
    met = all(v <= TARGET_P99_US for v in worst.values()) and all(v <= TARGET_RATIO for v in ratio.values())
    return {"worst_p99_us": worst, "p99_ratio_most_to_fewest_branches": ratio, "met": met}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 100 branches, fewer samples")
    args = parser.parse_args()
    sizes, naive_sizes = ((1, 100), (1, 100)) if args.quick else ((1, 100, 1_000, 10_000), (1, 100, 1_000))
    warm_n, cold_n, naive_budget = (2_000, 300, 2.0) if args.quick else (20_000, 3_000, 10.0)
    started = time.perf_counter()

    # One process per size, so that memory and latency at n branches owe nothing to the other sizes.
    with multiprocessing.get_context("fork").Pool(1, maxtasksperchild=1) as pool:
        rows = [pool.apply(measure_size, (n, cold_n, warm_n)) for n in sizes]
    rng.seed(SEED)
    branches = [make_branch() for _ in range(max(naive_sizes))]  # the same branches as above
    load = without_gc(load_one_branch, [make_branch() for _ in range(200)])
    timer_ns = without_gc(lambda: [timed(bool, "", False) for _ in range(warm_n)])
    baseline = [without_gc(naive, branches, n, naive_budget, 2_000) for n in naive_sizes]
    wall_s = time.perf_counter() - started

    targets = {"warm": verdict(rows, "warm"), "cold": verdict(rows, "cold")}
    report(rows, baseline, load, targets, summary(timer_ns), wall_s)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "pycasbin": version("pycasbin")}
    workload = {"staff_per_branch": "25-30", "roles": BRANCH_ROLES, "overrides_per_branch": 10, "quick": args.quick}
    RESULTS.write_text(json.dumps({
        "machine": machine, "workload": workload, "per_branch_enforcers": rows, "one_big_enforcer": baseline,
        "one_branch_load": load, "timer_overhead": summary(timer_ns), "wall_s": round(wall_s, 1),
        "targets": {"p99_us": TARGET_P99_US, "ratio": TARGET_RATIO, **targets}}, indent=2))
    print(f"\nwrote {RESULTS}")


def cell(s: dict) -> str:
    return f"{s['p50_us']:>8.1f} {s['p99_us']:>8.1f}"


def report(rows: list[dict], baseline: list[dict], load: dict, targets: dict, timer: dict, wall_s: float) -> None:
    head = f"{'p50':>8} {'p99':>8}"
    print("Per-branch enforcers: Principal.can latency in µs (random branch, member and permission)")
    print(f"{'branches':>8} | {'warm allow':^17} | {'warm deny':^17} | {'cold allow':^17} | {'cold deny':^17} |"
          f" {'RSS MB':>7} {'KB/br':>6} {'build s':>7} | {'control loop':^17}")
    print(f"{'':>8} | {head} | {head} | {head} | {head} | {'':>23} | {head}")
    for r in rows:
        print(f"{r['branches']:>8,} | {cell(r['warm']['allow'])} | {cell(r['warm']['deny'])} | "
              f"{cell(r['cold']['allow'])} | {cell(r['cold']['deny'])} | {r['rss_mb']:>7.1f} "
              f"{r['kb_per_branch_rss'] or 'n/a':>6} {r['build_all_s']:>7.2f} | {cell(r['control'])}")
    for r in rows:
        print(f"  {r['branches']:>6,} branches, samples over 1 ms: cold allow {r['cold']['allow']['over_1ms']}, cold "
              f"deny {r['cold']['deny']['over_1ms']}, control loop {r['control']['over_1ms']} of {r['control']['n']:,}")
    print(f"samples per cell: warm {rows[0]['warm']['allow']['n']:,}, cold {rows[0]['cold']['allow']['n']:,}; "
          f"timer overhead included in every figure: p50 {timer['p50_us']:.2f} µs, p99 {timer['p99_us']:.2f} µs")
    print("RSS MB: resident memory added by building the policies (one fresh process per row, before its decisions);"
          " build s: time to build them all;\ncontrol loop: a fixed pure-Python loop timed in the same process, "
          "interleaved with the cold decisions, so a p99 that rises with it comes from the machine")

    print("\nBaseline: one casbin.Enforcer holding every branch's rules (no memo), enforce latency in µs")
    print(f"{'branches':>8} | {'rules':>7} {'load s':>7} | {'allow':^17} {'n':>5} | {'deny':^17} {'n':>5} |"
          " p50 ÷ per-branch cold p50 (allow, deny)")
    for b in baseline:
        mine = next(r for r in rows if r["branches"] == b["branches"])["cold"]
        slower = [b[d]["p50_us"] / mine[d]["p50_us"] for d in ("allow", "deny")]
        print(f"{b['branches']:>8,} | {b['rules']:>7,} {b['load_s']:>7.3f} | {cell(b['allow'])} {b['allow']['n']:>5} |"
              f" {cell(b['deny'])} {b['deny']['n']:>5} | {slower[0]:>7.1f}× {slower[1]:>7.1f}×")

    print(f"\nOne branch's policy, built in-process ({load['build']['n']} branches):")
    print(f"  build BranchPolicy            p50 {load['build']['p50_us']:>8.1f} µs   p99 {load['build']['p99_us']:>8.1f} µs")
    print(f"  its first decision            p50 {load['first_decision']['p50_us']:>8.1f} µs   "
          f"p99 {load['first_decision']['p99_us']:>8.1f} µs   (after the build: a lookup)")
    print(f"  memory (tracemalloc)          {load['kb_per_branch_built']:.1f} KB built, "
          f"{load['kb_per_branch_after_first_decision']:.1f} KB after its first decision")

    print(f"\nTarget: p99 ≤ {TARGET_P99_US:.0f} µs for allow and deny, and p99({rows[-1]['branches']:,} branches) ≤ "
          f"{TARGET_RATIO}× p99({rows[0]['branches']:,})")
    for kind, t in targets.items():
        ratio = t["p99_ratio_most_to_fewest_branches"]
        print(f"  {kind:<4}  worst p99 allow {t['worst_p99_us']['allow']:.1f} / deny {t['worst_p99_us']['deny']:.1f} µs,"
              f"  ratio allow {ratio['allow']:.2f} / deny {ratio['deny']:.2f}  ->  {'MET' if t['met'] else 'NOT MET'}")
    print(f"\nwall time {wall_s:.0f} s")


if __name__ == "__main__":
    main()
