"""The ARQ worker: job functions, the cron schedule, and the outbox relay that feeds the queue."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from arq import cron
from arq.connections import ArqRedis, RedisSettings
from arq.typing import WorkerCoroutine
from arq.worker import Worker, func

from branchdesk.jobs import tasks
from branchdesk.jobs.relay import relay_forever
from branchdesk.platform import metrics
from branchdesk.runtime import Runtime

log = structlog.get_logger(__name__)


def counted(fn: Callable[..., Awaitable[Any]]) -> WorkerCoroutine:
    @functools.wraps(fn)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            result = await fn(ctx, *args, **kwargs)
        except Exception:
            metrics.jobs.labels(fn.__name__, "failed").inc()
            raise
        metrics.jobs.labels(fn.__name__, "done").inc()
        return result

    return run


FUNCTIONS = [
    func(counted(tasks.verify_audit_chain), name="verify_audit_chain", max_tries=10),
    func(counted(tasks.nightly_audit_check), name="nightly_audit_check", max_tries=5),
]
CRON_JOBS = [cron(counted(tasks.schedule_nightly_audit_checks), name="schedule_nightly_audit_checks", minute=0)]


def build_worker(rt: Runtime, **overrides: Any) -> Worker:
    options: dict[str, Any] = {
        "functions": FUNCTIONS,
        "cron_jobs": CRON_JOBS,
        # Its own connection pool: Worker.close() closes the pool it runs on.
        "redis_settings": redis_settings(rt),
        "ctx": {"runtime": rt},
        "handle_signals": False,
        "keep_result": 3600,
        "max_jobs": 10,
    }
    options.update(overrides)
    return Worker(**options)


def redis_settings(rt: Runtime) -> RedisSettings:
    return RedisSettings.from_dsn(rt.endpoints.redis_url)


def queue_of(rt: Runtime) -> ArqRedis:
    """ARQ's client on the runtime's Redis connection pool."""
    return ArqRedis(connection_pool=rt.redis.connection_pool)


class InProcessWorker:
    """Development: the worker and the relay run inside the API process."""

    def __init__(self, rt: Runtime) -> None:
        self.worker = build_worker(rt)
        self._tasks = [
            asyncio.create_task(self.worker.async_run()),
            asyncio.create_task(relay_forever(rt, queue_of(rt))),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.worker.close()


async def run_worker(rt: Runtime) -> None:
    relay = asyncio.create_task(relay_forever(rt, queue_of(rt)))
    worker = build_worker(rt, handle_signals=True)
    try:
        await worker.async_run()
    finally:
        relay.cancel()
        await worker.close()
