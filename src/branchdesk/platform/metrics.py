"""Prometheus metrics: GraphQL operations by name and outcome, their latency, jobs by outcome."""

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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
outbox_dead = Counter(
    "branchdesk_outbox_dead", "Outbox rows given up after too many dispatches, by job", ["job"], registry=REGISTRY
)


def render() -> bytes:
    return generate_latest(REGISTRY)
