"""Job functions: thin. Each receives ids, opens a session bound to its branch, calls a service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.outbox import outbox_job
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import BranchStatus


async def verify_audit_chain(ctx: dict[str, Any], branch_id: str, outbox_id: str) -> str:
    """Verify a branch's audit chain because something asked for it (for example onboarding)."""
    db = ctx["runtime"].db
    async with outbox_job(db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        check = await audit.check_and_record(session, uuid.UUID(branch_id), source=f"outbox:{outbox_id}")
        return "intact" if check.ok else f"broken at {check.first_broken_seq}"


async def nightly_audit_check(ctx: dict[str, Any], branch_id: str, day: str) -> str:
    branch = uuid.UUID(branch_id)
    async with ctx["runtime"].db.session(branch) as session:
        check = await audit.check_and_record(session, branch, source=f"nightly:{day}")
        return "intact" if check.ok else f"broken at {check.first_broken_seq}"


NIGHTLY_HOUR = 2


async def schedule_nightly_audit_checks(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Hourly cron: every active branch where it is now 02:00 local time gets its nightly check."""
    rt = ctx["runtime"]
    now = now or utcnow()
    async with rt.db.session(None) as session:
        branches = await tenants.all_branches(session)
    queued = 0
    for branch in branches:
        local = now.astimezone(ZoneInfo(branch.timezone))
        if branch.status is BranchStatus.ACTIVE and local.hour == NIGHTLY_HOUR:
            day = local.date().isoformat()
            job = await ctx["redis"].enqueue_job(
                "nightly_audit_check", str(branch.id), day, _job_id=f"nightly-audit:{branch.id}:{day}"
            )
            queued += job is not None
    return queued
