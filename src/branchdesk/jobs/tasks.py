"""Job functions: thin. Each receives ids, opens a session bound to its branch, calls a service."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from branchdesk.credentials import notices
from branchdesk.credentials import service as credentials
from branchdesk.jobs.schedule import Daily, Scheduled, tick
from branchdesk.platform import audit
from branchdesk.platform.outbox import outbox_job


async def verify_audit_chain(ctx: dict[str, Any], branch_id: str, outbox_id: str) -> str:
    """Verify a branch's audit chain because something asked for it (for example onboarding)."""
    db = ctx["runtime"].db
    async with outbox_job(db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        check = await audit.check_and_record(session, uuid.UUID(branch_id), source=f"outbox:{outbox_id}")
        return "intact" if check.ok else f"broken at {check.first_broken_seq}"


async def nightly_audit_check(ctx: dict[str, Any], branch_id: str, outbox_id: str, period: str) -> str:
    """The nightly check of a branch's audit chain, for one local day (scheduled: see ``SCHEDULES``)."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        check = await audit.check_and_record(session, uuid.UUID(branch_id), source=f"nightly:{period}")
        return "intact" if check.ok else f"broken at {check.first_broken_seq}"


async def deliver_activation_notice(
    ctx: dict[str, Any], branch_id: str, outbox_id: str, staff_id: str, code_id: str, reset: bool
) -> str:
    """Tell a person that an activation code was issued for them, through the configured delivery. The
    row is completed only when the delivery returned: a failed delivery is sent again (at least once)."""
    rt = ctx["runtime"]
    async with outbox_job(rt.db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        notice = await credentials.notice_for(session, uuid.UUID(staff_id), uuid.UUID(code_id), reset)
        if notice is None:
            return "nothing to tell"
        await notices.deliver(rt.settings.activation_notifier, notice)
        return "delivered"


# Work that follows from the calendar, per branch in its time zone.
SCHEDULES = [Scheduled("nightly_audit_check", Daily(at=time(2, 0)))]


async def run_schedules(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """The tick: every due period of every schedule without a run yet goes to the outbox."""
    return await tick(ctx["runtime"].db, SCHEDULES, now)
