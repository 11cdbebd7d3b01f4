"""How a job runs: a transient failure is retried with backoff a few times, then left to the outbox relay;
a payload the job cannot take gives its outbox row up at once, with the reason; outcomes are counted."""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import redis.exceptions
import structlog
from arq.typing import WorkerCoroutine
from arq.worker import Retry
from sqlalchemy.exc import DBAPIError

from branchdesk.platform import metrics, outbox

log = structlog.get_logger(__name__)

# Serialization failure, deadlock, lock timeout, the server shutting the connection (pg_terminate_backend,
# a restart), too many connections; SQLSTATE class 08 (connection exceptions) is transient as a whole.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"})
RETRY_DELAY_CAP_SECONDS = 60.0
# ARQ counts a run cut short by a killed worker as a try too: room for two such kills before ARQ gives
# the job up to the relay.
KILLED_RUNS_ALLOWED = 2


class BadPayload(Exception):
    """The job cannot take what it was given: running it again cannot help."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_transient(exc: BaseException) -> bool:
    """A failure of the servers, not of the work: the same run may well succeed a moment later."""
    for cause in _chain(exc):
        if isinstance(cause, DBAPIError):
            if cause.connection_invalidated:
                return True
            code = getattr(cause.orig, "sqlstate", None)
            if code and (code in TRANSIENT_SQLSTATES or code.startswith("08")):
                return True
        if isinstance(cause, redis.exceptions.AuthenticationError):
            return False
        if isinstance(cause, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return True
        if isinstance(cause, ConnectionError | TimeoutError):
            return True
    return False


def retry_delay(job_try: int, base_seconds: float) -> float:
    """Exponential backoff: base, 2 × base, 4 × base … capped."""
    return min(base_seconds * 2.0 ** max(job_try - 1, 0), RETRY_DELAY_CAP_SECONDS)


def resilient(fn: Callable[..., Awaitable[Any]], *, for_outbox: bool = True, retry: bool = True) -> WorkerCoroutine:
    """Wrap a job function. Outbox jobs take ``(ctx, branch_id, outbox_id, **payload)``; with ``retry`` a
    transient failure is retried in place ``job_transient_retries`` times (the setting), then fails: the
    relay sends the row again later."""
    name = fn.__name__
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        settings = ctx["runtime"].settings
        try:
            try:
                signature.bind(ctx, *args, **kwargs)
            except TypeError as exc:
                raise BadPayload(str(exc)) from exc
            result = await fn(ctx, *args, **kwargs)
        except BadPayload as exc:
            metrics.jobs.labels(name, "failed").inc()
            if for_outbox:
                await _give_up(ctx, name, args, f"bad payload: {exc}")
                return "dead"
            raise
        except Exception as exc:
            job_try = ctx.get("job_try", 1)
            if retry and is_transient(exc) and job_try <= settings.job_transient_retries:
                delay = retry_delay(job_try, settings.job_retry_base_seconds)
                log.warning("job retried", job=name, job_id=ctx.get("job_id"), job_try=job_try, error=repr(exc))
                metrics.jobs_retried.labels(name).inc()
                raise Retry(defer=delay) from exc
            metrics.jobs.labels(name, "failed").inc()
            raise
        metrics.jobs.labels(name, "done").inc()
        return result

    return run


def max_tries(transient_retries: int) -> int:
    """ARQ's cap on runs of one dispatch: the first, its retries, and runs cut short by a killed worker."""
    return 1 + transient_retries + KILLED_RUNS_ALLOWED


async def _give_up(ctx: dict[str, Any], name: str, args: tuple[Any, ...], reason: str) -> None:
    branch_id, message_id = uuid.UUID(args[0]), uuid.UUID(args[1])
    async with ctx["runtime"].db.session(branch_id) as session:
        given_up = await outbox.give_up(session, branch_id, message_id, reason)
    if given_up is not None:  # once committed, and only by the delivery that did it
        log.error("outbox row dead", job=name, branch=str(branch_id), id=str(message_id), reason=reason)
        metrics.outbox_dead.labels(name).inc()
