"""A policy change made in one process is enforced by another process without a restart."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from branchdesk.access.policy import staff_subject
from branchdesk.rbac import service
from branchdesk.tenants import repository
from tests.conftest import enter

pytestmark = pytest.mark.external
ROOT = Path(__file__).resolve().parents[2]


async def _line(stream: asyncio.StreamReader) -> str:
    return (await stream.readline()).decode().strip()


async def test_a_revocation_reaches_another_process(rt, settings, staffed):
    async with rt.db.session(None) as session:
        teller = await repository.staff_by_employee_number(session, staffed.teller)
        head = await repository.staff_by_employee_number(session, staffed.head)
    env = {
        **os.environ,
        "BRANCHDESK_DATABASE_URL": settings.database_url,
        "BRANCHDESK_REDIS_URL": settings.redis_url,
        "BRANCHDESK_DATA_DIR": str(settings.data_dir),
        "PYTHONPATH": str(ROOT),
    }
    watcher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.rbac.watch_policy",
        str(staffed.branch.id),
        staff_subject(teller.id),
        "cash:initiate",
        stdout=asyncio.subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        async with asyncio.timeout(60):
            assert await _line(watcher.stdout) == "READY True"

        # when the branch head revokes the permission here
        async with rt.db.session(None) as session:
            principal = await enter(rt, session, head.id, staffed.code)
            await service.set_permission(session, principal, "teller", "cash:initiate", False)
        committed = time.time()

        # then the other process stops allowing it, having reloaded once (no polling of the database)
        async with asyncio.timeout(20):
            changed = await _line(watcher.stdout)
        assert changed.startswith("CHANGED loads=2"), changed
        seen = float(changed.rsplit("at=", 1)[1])
        print(f"other process enforced the change {1000 * (seen - committed):.0f} ms after commit")
    finally:
        if watcher.returncode is None:
            watcher.kill()
        await watcher.wait()
