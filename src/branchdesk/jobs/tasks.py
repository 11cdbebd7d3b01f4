"""Job functions: thin. Each receives ids, opens a session bound to its branch, calls a service."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.access.unit_of_work import system_work
from branchdesk.care import service as care
from branchdesk.care import workbench as care_workbench
from branchdesk.credentials import notices
from branchdesk.credentials import service as credentials
from branchdesk.directives import service as directives
from branchdesk.feedback import service as feedback
from branchdesk.handoffs import service as handoffs
from branchdesk.holdings import feed as holdings_feed
from branchdesk.jobs.running import BadPayload
from branchdesk.jobs.schedule import Daily, Every, Scheduled, tick
from branchdesk.platform import audit
from branchdesk.platform.outbox import outbox_job
from branchdesk.segments import service as segments
from branchdesk.surveys import invitations as survey_invitations


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
    work of theirs hands it on here, in the branch's transaction — follow-ups to the branch head, handoffs
    routed again as new ones would be."""
    try:
        leaver = uuid.UUID(staff_id)
    except ValueError as exc:
        raise BadPayload(f"staff_id {staff_id!r}") from exc
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("staff_deactivated", BranchRef(uuid.UUID(branch_id)))
        follow_ups = await care_workbench.release_leaver(session, system, leaver)
        handed = await handoffs.release_leaver(session, system, leaver)
        return f"staff {staff_id} left: {follow_ups} follow-ups and {handed} handoffs handed on"


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


async def send_complaint_survey(ctx: dict[str, Any], branch_id: str, outbox_id: str, feedback_id: str) -> str:
    """A resolved complaint sends its satisfaction survey: one invitation per complaint (sent, or recorded
    as not sent with the reason), delivered through ``survey_notifier`` before the row completes."""
    try:
        complaint = uuid.UUID(feedback_id)
    except ValueError as exc:
        raise BadPayload(f"feedback_id {feedback_id!r}") from exc
    rt = ctx["runtime"]
    async with outbox_job(rt.db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system(survey_invitations.JOB, BranchRef(uuid.UUID(branch_id)))
        outcome = await survey_invitations.invite_after_complaint(session, system, complaint)
        if outcome is None:
            return "no such complaint"
        if outcome.invitation_id is None:
            return "invited before"
        if outcome.delivery is not None:
            await survey_invitations.deliver(rt.settings.survey_notifier, outcome.delivery)
            return "sent"
        return f"not sent: {outcome.reason}"


def _period_day(period: str) -> date:
    try:
        return date.fromisoformat(period)
    except ValueError as exc:
        raise BadPayload(f"period {period!r}") from exc


async def care_planner(ctx: dict[str, Any], branch_id: str, outbox_id: str, period: str) -> str:
    """The nightly planner of a branch's care plans for one local day: one statement per plan, each
    follow-up made once (a run delivered twice, or a missed night made up later, adds nothing twice)."""
    day = _period_day(period)
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("care_planner", BranchRef(uuid.UUID(branch_id)))
        results = await care.plan_day(session, system, day)
        return f"{sum(r.created for r in results)} follow-ups made by {len(results)} plans"


async def care_morning(ctx: dict[str, Any], branch_id: str, outbox_id: str, period: str) -> str:
    """A branch's morning round at its own 09:00: covers take an absent colleague's follow-ups, each
    assignee hears what is due today, the branch head what is overdue (each notification once)."""
    day = _period_day(period)
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("care_morning", BranchRef(uuid.UUID(branch_id)))
        done = await care_workbench.morning(session, system, day)
        if not done.working_day:
            return "not a working day"
        return f"{done.handed_over} handed over, {done.reminded} reminded, {done.escalated} escalated"


async def handoff_sla_watch(ctx: dict[str, Any], branch_id: str, outbox_id: str, period: str) -> str:
    """Escalate the branch's handoffs past due to its heads (each once, however often the watch runs) and
    expire those past their type's hard limit: both found by a query (scheduled: see ``SCHEDULES``)."""
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("handoff_sla_watch", BranchRef(uuid.UUID(branch_id)))
        found = await handoffs.watch(session, system)
        return f"{len(found.escalated)} escalated, {len(found.expired)} expired"


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
    # Before the branch opens: tiers, scores and segments as of the night (care plans read them).
    Scheduled("nightly_scoring", Daily(at=time(1, 30), catch_up=0)),
    # After the night's scoring (segments, tiers); the planner looks a week back, the tick makes up a night.
    Scheduled("care_planner", Daily(at=time(3, 0))),
    # Yesterday's reminders are stale by today: no catch-up (the overdue escalation covers what slipped).
    Scheduled("care_morning", Daily(at=time(9, 0), catch_up=0)),
    # Handoff SLAs are in business hours too; each run finds every breach and expiry there is.
    Scheduled("handoff_sla_watch", Every(minutes=15, catch_up=0)),
    # Each run finds every directive due (delivery, reminder, escalation) by a query: no catch-up needed.
    Scheduled("directive_watch", Every(minutes=15, catch_up=0)),
]


async def run_schedules(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """The tick: every due period of every schedule without a run yet goes to the outbox."""
    return await tick(ctx["runtime"].db, SCHEDULES, now)


async def holdings_fed(ctx: dict[str, Any], branch_id: str, outbox_id: str, fed_at: str, as_of: str) -> str:
    """After a holdings feed (``holdings.feed.apply_holdings_feed``, at ``fed_at``): AUM is already current
    from the feed's own transaction; the branch is rescored (tiers, lifecycle, segments) here, safe to run
    twice (a second run changes nothing)."""
    try:
        business_date = datetime.fromisoformat(as_of).date()
    except ValueError as exc:
        raise BadPayload(f"as_of {as_of!r}") from exc
    async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
        if session is None:
            return "already done"
        system = Principal.system("holdings_fed", BranchRef(uuid.UUID(branch_id)))
        refreshed = await holdings_feed.after_feed(session, system, business_date)
        # Tiers, RFM, lifecycle and segments read AUM and holding movements: rescored in the same transaction
        run = await segments.run_branch(session, system, "holdings feed")
        return (
            f"feed of {fed_at}: {refreshed} clients' AUM refreshed; {run.scored.tier_changes} tier changes, "
            f"{run.segments} segments (+{run.entered} -{run.left})"
        )
