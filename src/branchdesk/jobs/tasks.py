"""Job functions: thin. Each receives ids, opens a session bound to its branch, calls a service."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.access.unit_of_work import system_work
from branchdesk.credentials import notices
from branchdesk.credentials import service as credentials
from branchdesk.directives import service as directives
from branchdesk.feedback import service as feedback
from branchdesk.jobs.running import BadPayload
from branchdesk.jobs.schedule import Daily, Every, Scheduled, tick
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


async def staff_created(ctx: dict[str, Any], branch_id: str, outbox_id: str, staff_id: str) -> str:
    """A new staff identity (``staffing.service.create_staff``): where activation is sent from (the
    activation work hooks in here); until then the row is only marked done."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        return "already done" if session is None else f"staff {staff_id} created"


async def staff_deactivated(ctx: dict[str, Any], branch_id: str, outbox_id: str, staff_id: str) -> str:
    """A member of the branch left the bank (``staffing.service.deactivate``): each domain that holds open
    work of theirs reassigns it here, in the branch's transaction; no domain holds any yet."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        return "already done" if session is None else f"staff {staff_id} left; no open work to reassign"


async def complaint_sla_watch(ctx: dict[str, Any], branch_id: str, outbox_id: str, period: str) -> str:
    """Escalate the branch's complaints past their SLA (found by a query on the stored deadlines), each
    breach once however often the watch runs (scheduled: see ``SCHEDULES``)."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("complaint_sla_watch", BranchRef(uuid.UUID(branch_id)))
        escalated = await feedback.escalate_breaches(session, system)
        return f"{len(escalated)} escalated"


async def complaint_escalated(
    ctx: dict[str, Any], branch_id: str, outbox_id: str, escalation_id: str, feedback_id: str, breach: str
) -> str:
    """Tell the branch's heads that a complaint breached its SLA (once per escalation)."""
    try:
        escalation = uuid.UUID(escalation_id)
    except ValueError as exc:
        raise BadPayload(f"escalation_id {escalation_id!r}") from exc
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("complaint_sla_watch", BranchRef(uuid.UUID(branch_id)))
        announced = await feedback.announce_escalation(session, system, escalation)
        return f"{breach} breach of {feedback_id} announced" if announced else "announced before"


async def directive_published(ctx: dict[str, Any], branch_id: str, outbox_id: str, directive_id: str) -> str:
    """Deliver a new directive to every branch it reaches, one transaction each (a branch's
    ``directive_watch`` delivers whatever this misses); each member is told once however often it runs."""
    try:
        directive = uuid.UUID(directive_id)
    except ValueError as exc:
        raise BadPayload(f"directive_id {directive_id!r}") from exc
    db = ctx["runtime"].db
    async with outbox_job(db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("directive_published", BranchRef(uuid.UUID(branch_id)))
        reached = await directives.reached_branches(session, system, directive)
        for branch in reached:
            async with system_work(db, "directive_published", branch) as (there, by):
                await directives.deliver(there, by)
        return f"delivered to {len(reached)} branches"


async def directive_watch(ctx: dict[str, Any], branch_id: str, outbox_id: str, period: str) -> str:
    """The branch's directives: deliver new ones, remind before the deadline, escalate after it (each once)."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("directive_watch", BranchRef(uuid.UUID(branch_id)))
        done = await directives.watch(session, system)
        return f"{done.delivered} delivered, {done.reminded} reminded, {done.escalated} escalated"


# Work that follows from the calendar, per branch in its time zone.
SCHEDULES = [
    Scheduled("nightly_audit_check", Daily(at=time(2, 0))),
    # Acknowledgement deadlines are in business hours: a breach is escalated within a quarter of an hour. No
    # catch-up: each run finds every breach there is, so a missed quarter is covered by the next.
    Scheduled("complaint_sla_watch", Every(minutes=15, catch_up=0)),
    # Each run finds every directive due (delivery, reminder, escalation) by a query: no catch-up needed.
    Scheduled("directive_watch", Every(minutes=15, catch_up=0)),
]


async def run_schedules(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """The tick: every due period of every schedule without a run yet goes to the outbox."""
    return await tick(ctx["runtime"].db, SCHEDULES, now)
