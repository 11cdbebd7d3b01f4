"""The ARQ worker: job functions, the cron schedule, and the outbox relay that feeds the queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from arq import cron
from arq.connections import ArqRedis, RedisSettings
from arq.cron import CronJob
from arq.worker import Function, Worker, func

from branchdesk.jobs import tasks
from branchdesk.jobs.relay import relay_forever
from branchdesk.jobs.running import max_tries, resilient
from branchdesk.platform.settings import Settings
from branchdesk.runtime import Runtime

log = structlog.get_logger(__name__)


# The longest each job may run, in seconds (capped by the ``job_timeout_seconds`` setting). ARQ runs a job
# whose worker died again once its in-progress marker lapses: the longest timeout of all + 10 s.
JOBS: list[tuple[Callable[..., Awaitable[Any]], float]] = [
    (tasks.verify_audit_chain, 60),
    (tasks.nightly_audit_check, 60),
    (tasks.deliver_activation_notice, 30),
    (tasks.staff_created, 30),
    (tasks.staff_deactivated, 30),
    (tasks.complaint_sla_watch, 60),
    (tasks.complaint_escalated, 30),
    (tasks.holdings_fed, 60),
    (tasks.nightly_scoring, 120),
    (tasks.branch_rescore, 120),
]
TICK_TIMEOUT = 30
TICK_MINUTES = set(range(0, 60, 5))


def functions(settings: Settings) -> list[Function]:
    cap = settings.job_timeout_seconds
    return [func(resilient(fn), name=fn.__name__, timeout=min(timeout, cap)) for fn, timeout in JOBS]


def cron_jobs(settings: Settings) -> list[CronJob]:
    # A tick at start-up catches up at once after the worker was down; then every five minutes.
    tick = resilient(tasks.run_schedules, for_outbox=False, retry=False)
    timeout = min(TICK_TIMEOUT, settings.job_timeout_seconds)
    return [cron(tick, name="run_schedules", minute=TICK_MINUTES, run_at_startup=True, timeout=timeout)]


def build_worker(rt: Runtime, **overrides: Any) -> Worker:
    settings = rt.settings
    options: dict[str, Any] = {
        "functions": functions(settings),
        "cron_jobs": cron_jobs(settings),
        # Its own connection pool: Worker.close() closes the pool it runs on.
        "redis_settings": redis_settings(rt),
        "ctx": {"runtime": rt},
        "handle_signals": False,
        # Results are never kept: a kept failure would make ARQ refuse the relay's next send of its row.
        "keep_result": 0,
        "max_jobs": 10,
        "job_timeout": settings.job_timeout_seconds,
        "max_tries": max_tries(settings.job_transient_retries),
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
