"""Job functions: thin. Each receives ids, opens a session bound to its branch, calls a service."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.credentials import notices
from branchdesk.credentials import service as credentials
from branchdesk.feedback import service as feedback
from branchdesk.holdings import feed as holdings_feed
from branchdesk.jobs.running import BadPayload
from branchdesk.jobs.schedule import Daily, Every, Scheduled, tick
from branchdesk.platform import audit
from branchdesk.platform.outbox import outbox_job
from branchdesk.segments import service as segments


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


async def nightly_scoring(ctx: dict[str, Any], branch_id: str, outbox_id: str, period: str) -> str:
    """Rescore the branch (tiers, RFM, lifecycle: one statement) and bring its segments up to date, once
    per local night (scheduled: see ``SCHEDULES``). Safe twice: a second run changes nothing."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("nightly_scoring", BranchRef(uuid.UUID(branch_id)))
        run = await segments.run_branch(session, system, f"nightly {period}")
        return f"{run.scored.tier_changes} tier changes, {run.segments} segments (+{run.entered} -{run.left})"


async def branch_rescore(ctx: dict[str, Any], branch_id: str, outbox_id: str, reason: str = "holdings feed") -> str:
    """Rescore the branch after something its scores read changed (the holdings feed enqueues this after a
    feed, through the outbox in the feed's transaction)."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("branch_rescore", BranchRef(uuid.UUID(branch_id)))
        run = await segments.run_branch(session, system, reason[:200] or "rescore")
        return f"{run.scored.tier_changes} tier changes, {run.segments} segments (+{run.entered} -{run.left})"


# Work that follows from the calendar, per branch in its time zone.
SCHEDULES = [
    Scheduled("nightly_audit_check", Daily(at=time(2, 0))),
    # Acknowledgement deadlines are in business hours: a breach is escalated within a quarter of an hour. No
    # catch-up: each run finds every breach there is, so a missed quarter is covered by the next.
    Scheduled("complaint_sla_watch", Every(minutes=15, catch_up=0)),
    # Before the branch opens: tiers, scores and segments as of the night (care plans read them).
    Scheduled("nightly_scoring", Daily(at=time(1, 30), catch_up=0)),
]


async def run_schedules(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """The tick: every due period of every schedule without a run yet goes to the outbox."""
    return await tick(ctx["runtime"].db, SCHEDULES, now)


async def holdings_fed(ctx: dict[str, Any], branch_id: str, outbox_id: str, fed_at: str, as_of: str) -> str:
    """After a holdings feed (``holdings.feed.apply_holdings_feed``, at ``fed_at``): AUM is already current
    from the feed's own transaction; what follows a feed runs here, safe to run twice."""
    try:
        business_date = datetime.fromisoformat(as_of).date()
    except ValueError as exc:
        raise BadPayload(f"as_of {as_of!r}") from exc
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("holdings_fed", BranchRef(uuid.UUID(branch_id)))
        refreshed = await holdings_feed.after_feed(session, system, business_date)
        return f"feed of {fed_at}: {refreshed} clients' AUM refreshed"
