"""Live fan-out: 1,000 WebSocket subscribers spread over two API processes (issue 13, benchmark).

Seeds a fresh database on the local PostgreSQL (the demo data, plus tellers in branch 0101), starts two
API processes (uvicorn, production settings, same database and Redis) and connects ``--subscribers``
graphql-transport-ws clients, half to each, every one subscribed to ``directivePublished`` in 0101 as
a teller (tokens issued with the servers' signing key). Head office then publishes ``--warmup`` directives
(reported apart: the first event after start pays once for first statements and plans) and ``--events``
directives to 0101 through the first process; for each, the time from sending ``publishDirective`` to
each subscriber's receipt is taken (the commit, Redis, the other process, the per-event re-authorisation
and read as each subscriber, the socket). Target: p99 ≤ 250 ms. Beside it, the baseline measured in the
same run: two bare Starlette processes (``live_servers.py``) relaying one Redis channel to the same
number of plain WebSockets (the fan-out with nothing else). Memory: each API process's RSS before the
subscribers connect and once they idle, divided by its subscribers.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust; a database ``bench_live_<hex>`` is created and
dropped) and Redis on 127.0.0.1:6379 (db 11, flushed at the end). Run
``python3 dev.py run python bench/live.py`` (a minute or two; ``--subscribers 200`` for a smoke run);
figures go to bench/results/live.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from api import (
    BENCH,
    ROLE_PASSWORD,
    Server,
    _die_with_parent,
    admin_execute,
    free_port,
    gc_figures,
    longest_pause_between,
    service_env,
    settings_from,
    stop_server,
    wait_ready,
)
from websockets.asyncio.client import ClientConnection, connect

from branchdesk.access.principal import Principal
from branchdesk.cli import SERVE_OPTIONS
from branchdesk.onboarding import service as onboarding
from branchdesk.runtime import runtime
from branchdesk.tenants import service

RESULTS = BENCH / "results" / "live.json"
REDIS_URL = "redis://127.0.0.1:6379/11"
BRANCH, OFFICE, TELLERS = "0101", "0000", 100
TARGET_P99_MS = 250.0
SUBSCRIBE = "subscription { directivePublished { id titleEn } }"
PUBLISH = "mutation($i: PublishDirectiveInput!) { publishDirective(input: $i) { directive { id } errors { code } } }"


async def seed(env: dict[str, str]) -> tuple[list[str], str]:
    """The demo data and ``TELLERS`` tellers of 0101; tokens for them and for head office's administrator."""
    settings = settings_from(env, env="development", db_role_password=ROLE_PASSWORD)
    system = Principal.system("bench")
    async with runtime(settings, run_migrations=True) as rt:
        from branchdesk.demo import seed as seed_demo

        await seed_demo(rt)
        tokens = []
        async with rt.db.session(None) as session:
            branch = await service.get_branch(session, BRANCH)
            office = await service.get_branch(session, OFFICE)
            for i in range(TELLERS):
                staff = await service.ensure_staff(session, service.StaffDraft(f"L0101{i:04d}", f"Live {i:03d}"))
                await onboarding.grant_membership(session, system, branch, staff, ["teller"])
                tokens.append(rt.keys.issue_access_token(staff.id, ttl_seconds=3600)[0])
            admin = await service.ensure_staff(session, service.StaffDraft("L0000ADMIN", "Live head office"))
            await onboarding.grant_membership(session, system, office, admin, ["head_office_admin"])
            return tokens, rt.keys.issue_access_token(admin.id, ttl_seconds=3600)[0]


class Subscriber:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: dict[str, float] = {}  # directive id (or baseline marker) -> receipt time
        self.task: asyncio.Task[None] | None = None

    async def run(self, baseline: bool) -> None:
        async for raw in self.ws:
            at = time.perf_counter()
            message = json.loads(raw)
            if baseline:
                self.received[message["marker"]] = at
            elif message.get("type") == "next":
                data = message["payload"].get("data") or {}
                found = data.get("directivePublished")
                if found:
                    self.received[found["titleEn"]] = at


async def graphql_subscriber(url: str, token: str) -> Subscriber:
    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}", "X-Branch": BRANCH}}))
    ack = json.loads(await ws.recv())
    if ack.get("type") != "connection_ack":
        raise SystemExit(f"connection refused: {ack}")
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    subscriber = Subscriber(ws)
    subscriber.task = asyncio.create_task(subscriber.run(baseline=False))
    return subscriber


async def baseline_subscriber(url: str) -> Subscriber:
    ws = await connect(url, max_queue=None)
    subscriber = Subscriber(ws)
    subscriber.task = asyncio.create_task(subscriber.run(baseline=True))
    return subscriber


async def connect_all(make: Any, count: int, parallel: int = 50) -> list[Subscriber]:
    gate = asyncio.Semaphore(parallel)

    async def one(i: int) -> Subscriber:
        async with gate:
            result: Subscriber = await make(i)
            return result

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def listeners(redis: Any, channel_name: str) -> int:
    [(_, count)] = await redis.pubsub_numsub(channel_name)
    return int(count)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(latencies: list[float], expected: int) -> dict[str, Any]:
    return {
        "received": len(latencies),
        "expected": expected,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p90_ms": round(percentile(latencies, 90), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the servers' processes have used so far."""
    total = 0.0
    for pid in pids:
        for each in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
            times = each.cpu_times()
            total += times.user + times.system
    return total


def cpu_per_delivery(spent: float, delivered: int) -> float | None:
    """Microseconds of server CPU per message delivered: the cost of the fan-out, whatever else the machine
    runs (a busy machine stretches the latencies, not this)."""
    return round(spent * 1e6 / delivered, 1) if delivered else None


def rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


async def wait_for(receivers: list[Subscriber], key: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and sum(1 for s in receivers if key in s.received) < len(receivers):
        await asyncio.sleep(0.01)


async def measure_service(urls: list[str], tokens: list[str], admin: str, args: argparse.Namespace, pids: list[int]) -> dict[str, Any]:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    before = [rss_mb(pid) for pid in pids]
    subscribers = await connect_all(
        lambda i: graphql_subscriber(f"ws://{urls[i % 2].removeprefix('http://')}/graphql", tokens[i % len(tokens)]),
        args.subscribers,
    )
    for _ in range(600):  # every subscription started (each process listens on the branch's channel)
        branch_channel_count = await listeners(redis, "branchdesk:events:all")
        if branch_channel_count >= 2:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(args.settle)
    idle = [rss_mb(pid) for pid in pids]
    latencies: list[float] = []
    per_event: list[float | None] = []  # each event's p99
    publish_ms: list[float] = []
    headers = {"Authorization": f"Bearer {admin}", "X-Branch": OFFICE}
    warm_up: list[float | None] = []  # the p99 of each warm-up event (not measured)
    async with httpx.AsyncClient(base_url=urls[0], timeout=30) as client:
        for n in range(-args.warmup, args.events):
            if n == 0:  # measured from here: what the warm-up paid once (first statements, plans) is behind
                cpu_before, load_before = cpu_seconds(pids), os.getloadavg()
                gc_before = [gc_figures(url) for url in urls]
            title = f"live-{n}-{uuid.uuid4().hex[:6]}"
            content = {
                "titleZh": "实时推送测试", "titleEn": title, "bodyZh": "正文", "bodyEn": "Body", "category": "OPERATIONS",
                "effectiveOn": date.today().isoformat(), "deadline": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                "roles": ["teller"], "target": "LIST", "branches": [BRANCH],
            }  # fmt: skip
            sent = time.perf_counter()
            answer = (await client.post("/graphql", json={"query": PUBLISH, "variables": {"i": {"content": content}}}, headers=headers)).json()
            took_ms = (time.perf_counter() - sent) * 1000
            if answer.get("errors") or answer["data"]["publishDirective"]["errors"]:
                raise SystemExit(f"publishing failed: {answer}")
            await wait_for(subscribers, title, args.timeout)
            these = [(s.received[title] - sent) * 1000 for s in subscribers if title in s.received]
            p99 = round(percentile(these, 99), 1) if these else None
            if n < 0:
                warm_up.append(p99)
            else:
                publish_ms.append(took_ms)
                per_event.append(p99)
                latencies += these
            await asyncio.sleep(args.gap)
    spent = cpu_seconds(pids) - cpu_before  # the gaps are idle: heartbeats only
    gc_during = [longest_pause_between(b, gc_figures(url)) for b, url in zip(gc_before, urls, strict=True)]
    for s in subscribers:
        await s.ws.close()
    await redis.aclose()
    per_process = [args.subscribers // 2 + (args.subscribers % 2 if i == 0 else 0) for i in range(2)]
    return {
        "delivery": summary(latencies, args.subscribers * args.events),
        "cpu_us_per_delivery": cpu_per_delivery(spent, len(latencies)),
        "p99_ms_per_event": per_event,
        "warm_up_p99_ms": warm_up,
        "gc_during_events": gc_during,  # per API process: collections, and the longest pause's bound
        "load_average": [round(x, 2) for x in (*load_before, *os.getloadavg())],
        "publish_mutation_p50_ms": round(statistics.median(publish_ms), 1),
        "memory": [
            {"rss_before_mb": round(b, 1), "rss_idle_mb": round(i, 1), "subscribers": n,
             "kb_per_idle_subscriber": round((i - b) * 1024 / n, 1) if n else None}
            for b, i, n in zip(before, idle, per_process, strict=True)
        ],  # fmt: skip
    }


async def measure_baseline(urls: list[str], args: argparse.Namespace, pids: list[int]) -> dict[str, Any]:
    from redis.asyncio import Redis

    from live_servers import CHANNEL

    redis = Redis.from_url(REDIS_URL)
    before = [rss_mb(pid) for pid in pids]
    subscribers = await connect_all(
        lambda i: baseline_subscriber(f"ws://{urls[i % 2].removeprefix('http://')}/ws"), args.subscribers
    )
    while await listeners(redis, CHANNEL) < 2:
        await asyncio.sleep(0.05)
    await asyncio.sleep(args.settle)
    idle = [rss_mb(pid) for pid in pids]
    latencies: list[float] = []
    for n in range(-args.warmup, args.events):  # warmed up as the service is
        if n == 0:
            cpu_before = cpu_seconds(pids)
        marker = f"base-{n}"
        sent = time.perf_counter()
        await redis.publish(CHANNEL, json.dumps({"marker": marker}))
        await wait_for(subscribers, marker, args.timeout)
        if n >= 0:
            latencies += [(s.received[marker] - sent) * 1000 for s in subscribers if marker in s.received]
        await asyncio.sleep(args.gap)
    spent = cpu_seconds(pids) - cpu_before
    for s in subscribers:
        await s.ws.close()
    await redis.flushdb()
    await redis.aclose()
    per_process = args.subscribers / 2
    return {
        "delivery": summary(latencies, args.subscribers * args.events),
        "cpu_us_per_delivery": cpu_per_delivery(spent, len(latencies)),
        "memory": [
            {"rss_before_mb": round(b, 1), "rss_idle_mb": round(i, 1),
             "kb_per_idle_subscriber": round((i - b) * 1024 / per_process, 1)}
            for b, i in zip(before, idle, strict=True)
        ],  # fmt: skip
    }


def start(name: str, target: str, env: dict[str, str], log_dir: Path) -> Server:
    """``target`` (``module:factory`` under bench/) served by one uvicorn process."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(BENCH), target, "--host", "127.0.0.1",
        "--port", str(port), "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
        "--ws-per-message-deflate", str(SERVE_OPTIONS["ws_per_message_deflate"]).lower(),  # as `branchdesk serve`
    ]  # fmt: skip
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=os.environ | env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    return Server(name, f"http://127.0.0.1:{port}", process, log)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000, help="WebSocket subscribers in all (half per process)")
    parser.add_argument("--events", type=int, default=20, help="directives published, one after another")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between events")
    parser.add_argument(
        "--warmup", type=int, default=1, help="events published first and not measured (reported apart)"
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to let the subscribers idle before reading RSS")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for every receipt of an event")
    parser.add_argument("--results", type=Path, default=RESULTS)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    database = f"bench_live_{secrets.token_hex(4)}"
    asyncio.run(admin_execute(f'create database "{database}"'))
    servers = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-live-") as work:
            work_dir = Path(work)
            env = service_env(database, work_dir) | {
                "BRANCHDESK_REDIS_URL": REDIS_URL,
                "BENCH_REDIS_URL": REDIS_URL,
                # production refuses to start without personal-data keys of its own (the seed uses them too)
                "BRANCHDESK_DATA_KEYS": json.dumps(
                    {"current": "b1", "keys": {"b1": base64.b64encode(secrets.token_bytes(32)).decode()}}
                ),
                "BRANCHDESK_DATA_HASH_KEY": secrets.token_urlsafe(24),
            }
            print(f"seeding {database} …", flush=True)
            tokens, admin = asyncio.run(seed(env))
            apis = [start(f"api-{n}", "api_servers:branchdesk_app", env, work_dir) for n in (1, 2)]
            servers += apis
            for server in apis:
                wait_ready(server, "/healthz", timeout=120)
            print(f"{args.subscribers} subscribers over two API processes, {args.events} events …", flush=True)
            service_figures = asyncio.run(
                measure_service([s.url for s in apis], tokens, admin, args, [s.process.pid for s in apis])
            )
            for server in apis:
                stop_server(server)
            relays = [start(f"relay-{n}", "live_servers:relay_app", env, work_dir) for n in (1, 2)]
            servers += relays
            for server in relays:
                wait_ready(server, "/healthz")
            baseline = asyncio.run(measure_baseline([s.url for s in relays], args, [s.process.pid for s in relays]))
            for server in relays:
                stop_server(server)
    finally:
        for server in servers:
            if server.process.poll() is None:
                stop_server(server)
        asyncio.run(admin_execute(f'drop database if exists "{database}" with (force)'))
    report(args, service_figures, baseline)


def report(args: argparse.Namespace, service_figures: dict[str, Any], baseline: dict[str, Any]) -> None:
    ours, base = service_figures["delivery"], baseline["delivery"]
    met = ours["p99_ms"] is not None and ours["p99_ms"] <= TARGET_P99_MS and ours["received"] == ours["expected"]
    print(f"\npublish → receipt, {args.subscribers} subscribers × {args.events} events (ms)")
    print(f"{'':28}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}  received")
    for name, row in (("directivePublished (service)", ours), ("bare relay (baseline)", base)):
        print(f"{name:28}{row['p50_ms']:>8}{row['p90_ms']:>8}{row['p99_ms']:>8}{row['max_ms']:>8}  {row['received']}/{row['expected']}")
    print(f"p99 target ≤ {TARGET_P99_MS:.0f} ms: {'met' if met else 'MISSED'}; "
          f"p99 is {ours['p99_ms'] / max(base['p99_ms'], 0.1):.1f}× the baseline's")  # fmt: skip
    print(f"server CPU per message delivered: {service_figures['cpu_us_per_delivery']} µs (baseline "
          f"{baseline['cpu_us_per_delivery']} µs); load average at the start and end of the events: "
          f"{service_figures['load_average']}")  # fmt: skip
    print(f"p99 of each event (ms): {service_figures['p99_ms_per_event']}; of the warm-up event(s), not "
          f"counted: {service_figures['warm_up_p99_ms']}")  # fmt: skip
    print("garbage collections during the events, per API process: " + "; ".join(
        f"{g['collections']}, the longest ≤ {g['longest_at_most_ms']} ms" for g in service_figures["gc_during_events"]
    ))  # fmt: skip
    print(f"publishDirective round trip p50: {service_figures['publish_mutation_p50_ms']} ms")
    print("memory per idle subscriber (RSS delta / subscribers):")
    for n, (m, b) in enumerate(zip(service_figures["memory"], baseline["memory"], strict=True), start=1):
        print(f"  API process {n}: {m['kb_per_idle_subscriber']} KiB ({m['rss_before_mb']} → {m['rss_idle_mb']} MiB, "
              f"{m['subscribers']} subscribers); baseline relay: {b['kb_per_idle_subscriber']} KiB")  # fmt: skip
    args.results.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "subscribers": args.subscribers,
        "events": args.events,
        "target_p99_ms": TARGET_P99_MS,
        "target_met": met,
        "service": service_figures,
        "baseline": baseline,
        "cpu_count": psutil.cpu_count(),
    }
    args.results.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()
