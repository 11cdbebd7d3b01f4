"""Prometheus metrics: GraphQL operations by name and outcome, their latency, jobs by outcome, the outbox."""

import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

graphql_requests = Counter(
    "branchdesk_graphql_requests",
    "GraphQL operations by operation name and outcome",
    ["operation", "outcome"],
    registry=REGISTRY,
)
graphql_latency = Histogram(
    "branchdesk_graphql_request_duration_seconds",
    "GraphQL operation latency",
    ["operation"],
    registry=REGISTRY,
)
jobs = Counter("branchdesk_jobs", "Background jobs by name and outcome", ["job", "outcome"], registry=REGISTRY)
outbox_dispatched = Counter("branchdesk_outbox_dispatched", "Outbox rows handed to the job queue", registry=REGISTRY)
jobs_retried = Counter(
    "branchdesk_jobs_retried", "Job runs retried after a transient failure, by job", ["job"], registry=REGISTRY
)
outbox_redispatched = Counter(
    "branchdesk_outbox_redispatched",
    "Outbox rows handed to the job queue again (not completed in time, or lost by Redis), by job",
    ["job"],
    registry=REGISTRY,
)
outbox_dead = Counter(
    "branchdesk_outbox_dead",
    "Outbox rows given up (a payload the job cannot take, or too many dispatches), by job",
    ["job"],
    registry=REGISTRY,
)
gc_pauses = Histogram(
    "branchdesk_gc_pause_seconds",
    "Cyclic garbage collections: how long each stopped the process, by generation",
    ["generation"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5),
    registry=REGISTRY,
)
gc_longest_pause_cpu = Gauge(
    "branchdesk_gc_longest_pause_cpu_seconds",
    "The longest cyclic garbage collection since start, in CPU time of the collecting thread",
    registry=REGISTRY,
)
gc_longest_pause = Gauge(
    "branchdesk_gc_longest_pause_seconds", "The longest cyclic garbage collection since start", registry=REGISTRY
)
subscribers = Gauge("branchdesk_subscribers", "Live subscribers in this process", registry=REGISTRY)
subscribers_dropped = Counter(
    "branchdesk_subscribers_dropped", "Subscribers dropped for falling behind their events", registry=REGISTRY
)
event_listener_reconnects = Counter(
    "branchdesk_event_listener_reconnects", "Times the subscription listener reconnected to Redis", registry=REGISTRY
)
outbox_pending = Gauge("branchdesk_outbox_pending", "Outbox rows not completed and not dead", registry=REGISTRY)
outbox_oldest_pending_age = Gauge(
    "branchdesk_outbox_oldest_pending_age_seconds",
    "Age of the oldest outbox row not completed and not dead (0 when none)",
    registry=REGISTRY,
)


def render() -> bytes:
    return generate_latest(REGISTRY)


class OperationLabels:
    """The operation names that may become label values: a bounded set (the schema's root fields, and
    an allow-list). The caller chooses an operation's name; were every name a label value, any caller
    could create series without end. Any other name counts as ``other``."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}

    def allow_root_fields(self, names: Iterable[str]) -> None:
        """``query branches``, or ``query Branches`` as front-ends spell it, counts as ``branches``."""
        for name in names:
            self._labels[name] = self._labels[name[:1].upper() + name[1:]] = name

    def allow(self, names: Iterable[str]) -> None:
        for name in names:
            self._labels[name] = name

    def label(self, operation_name: str | None) -> str:
        if not operation_name:
            return "anonymous"
        return self._labels.get(operation_name, "other")


OPERATIONS = OperationLabels()


# The counter and histogram of each (operation label, outcome): the labels are a bounded set, and
# prometheus_client's ``labels()`` checks the values and takes a lock on every call.
_OPERATION_SERIES: dict[tuple[str, str], tuple[Any, Any]] = {}


def observe_operation(operation_name: str | None, outcome: str, seconds: float) -> None:
    """One GraphQL operation answered: counted by its label and outcome, its latency observed."""
    key = (OPERATIONS.label(operation_name), outcome)
    series = _OPERATION_SERIES.get(key)
    if series is None:
        series = _OPERATION_SERIES[key] = (graphql_requests.labels(*key), graphql_latency.labels(key[0]))
    series[0].inc()
    series[1].observe(seconds)


_gc_started = 0.0
_gc_cpu_started = 0.0


def observe_gc(phase: str, info: dict[str, int]) -> None:
    """A ``gc.callbacks`` hook: each collection's pause, as a histogram and the longest so far; also the
    longest in CPU time, which a machine busy with other work does not lengthen (the clock pause does)."""
    global _gc_started, _gc_cpu_started
    if phase == "start":
        _gc_started, _gc_cpu_started = time.perf_counter(), time.thread_time()
        return
    pause = time.perf_counter() - _gc_started
    cpu = time.thread_time() - _gc_cpu_started
    gc_pauses.labels(str(info.get("generation", -1))).observe(pause)
    if pause > gc_longest_pause._value.get():
        gc_longest_pause.set(pause)
    if cpu > gc_longest_pause_cpu._value.get():
        gc_longest_pause_cpu.set(cpu)
