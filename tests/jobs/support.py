"""What the job tests share: outbox rows, the relay, a worker in this process or in another one."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from branchdesk.jobs.relay import relay
from branchdesk.jobs.worker import build_worker, queue_of
from branchdesk.platform import metrics, outbox
from branchdesk.platform.audit import AuditChainCheck
from branchdesk.platform.outbox import OutboxMessage
from branchdesk.runtime import Runtime

NOW = timedelta(0)
LATER = timedelta(minutes=5)


def quick(rt: Runtime, **settings: Any) -> Runtime:
    """The same servers, with job settings that keep a test short (retries 0.1 s apart)."""
    values = {"job_retry_base_seconds": 0.1, **settings}
    return dataclasses.replace(rt, settings=rt.settings.model_copy(update=values))


async def enqueue(rt: Runtime, branch_id: uuid.UUID, job: str = "verify_audit_chain", **payload: Any) -> uuid.UUID:
    async with rt.db.session(branch_id) as session:
        return (await outbox.enqueue(session, branch_id, job, **payload)).id


RELAY_BATCH = 200  # rows the relay sends in one call (its default)


async def send(rt: Runtime, redispatch_after: timedelta = LATER, max_dispatches: int = 20) -> int:
    """Relay every due row in one pass: other tests leave rows behind (each onboarding's activation notice),
    more than the relay's usual batch, and a test must see its own rows sent."""
    return await relay(
        rt.db, queue_of(rt), redispatch_after=redispatch_after, max_dispatches=max_dispatches, batch=1_000_000
    )


async def run_worker(rt: Runtime, **overrides: Any) -> None:
    """A worker in this process until the queue is empty (deferred retries included)."""
    worker = build_worker(rt, burst=True, poll_delay=0.05, cron_jobs=[], **overrides)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def drain(rt: Runtime) -> None:
    """Finish whatever earlier tests left queued, so each test sees only its own work."""
    await send(rt)
    await run_worker(rt)


async def message(rt: Runtime, branch_id: uuid.UUID, message_id: uuid.UUID) -> OutboxMessage:
    async with rt.db.session(branch_id) as session:
        found = await session.get(OutboxMessage, (branch_id, message_id))
        assert found is not None
        return found


async def checks(rt: Runtime, branch_id: uuid.UUID, source: str) -> int:
    async with rt.db.session(branch_id) as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(AuditChainCheck)
                .where(AuditChainCheck.tenant_id == branch_id, AuditChainCheck.source == source)
            )
        ) or 0


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def wait_for(condition: Any, *, within: float, every: float = 0.1) -> float:
    """Poll an async condition; returns the seconds it took, or fails after ``within``."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > within:
            raise AssertionError(f"not reached within {within} s")
        await asyncio.sleep(every)
    return time.monotonic() - started


class WorkerProcess:
    """``branchdesk worker`` (relay, cron tick and ARQ worker) in its own process, on the test servers."""

    def __init__(self, rt: Runtime, **settings: str) -> None:
        env = {
            **os.environ,
            "BRANCHDESK_DATABASE_URL": rt.endpoints.admin_url,
            "BRANCHDESK_REDIS_URL": rt.endpoints.redis_url,
            "BRANCHDESK_DATA_DIR": str(rt.settings.data_dir),
            **{f"BRANCHDESK_{k.upper()}": v for k, v in settings.items()},
        }
        command = [str(Path(sys.executable).parent / "branchdesk"), "worker"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
