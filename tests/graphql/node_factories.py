"""One object of each Node type, made in a given branch through the services, as its owner would.

Each factory returns the object's global id and a marker: a value unique to that object (a code, an
employee number, a name) that must never appear in an answer given to another branch.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import any_, literal, select
from strawberry import relay

from branchdesk.access.principal import Principal
from branchdesk.access_reviews import service as reviews
from branchdesk.calendars import service as calendars
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.crm.interactions import service as interactions
from branchdesk.crm.rules import InteractionChannel, InteractionKind
from branchdesk.directives import kinds as directive_kinds
from branchdesk.feedback import rules as feedback_rules
from branchdesk.feedback import service as feedback
from branchdesk.holdings import catalogue
from branchdesk.holdings import feed as holdings_feed
from branchdesk.holdings import service as holdings
from branchdesk.notifications import service as notifications
from branchdesk.platform.clock import utcnow
from branchdesk.platform.pagination import PageRequest
from branchdesk.rbac import service as rbac
from branchdesk.rbac.models import PolicyChange
from branchdesk.segments import service as segments
from branchdesk.segments.models import ClientScoreChange
from branchdesk.segments.scoring import service as scoring
from branchdesk.service_accounts import service as accounts
from branchdesk.surveys import service as surveys
from branchdesk.surveys.rules import QuestionKind as SurveyQuestionKind
from branchdesk.surveys.rules import SurveyPurpose
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import Membership
from tests.conftest import add_member, enter


@dataclass(frozen=True)
class Made:
    type_name: str
    id: uuid.UUID | str  # the node id inside the global id (a membership's is "branch:staff")
    marker: str

    @property
    def global_id(self) -> str:
        return str(relay.GlobalID(self.type_name, str(self.id)))

    def fingerprints(self) -> list[str]:
        return [self.global_id, str(self.id), self.marker]


@asynccontextmanager
async def acting(rt: Any, branch: Any, employee_number: str) -> AsyncIterator[tuple[Any, Principal]]:
    """A transaction in ``branch`` as that member, committed at the end."""
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, employee_number)
        yield session, await enter(rt, session, staff.id, branch.code)


async def _staff_id(rt: Any, employee_number: str) -> uuid.UUID:
    async with rt.db.session(None) as session:
        return (await tenants.staff_by_employee_number(session, employee_number)).id


def _marker() -> str:
    return f"iso-{secrets.token_hex(6)}"


async def make_branch(rt: Any, branch: Any, owner: str) -> Made:
    return Made("Branch", branch.id, branch.code)


async def make_staff_member(rt: Any, branch: Any, owner: str) -> Made:
    number = await add_member(rt, branch, ["teller"])
    return Made("StaffMember", await _staff_id(rt, number), number)


async def make_branch_membership(rt: Any, branch: Any, owner: str) -> Made:
    number = await add_member(rt, branch, ["teller"])
    return Made("BranchMembership", f"{branch.id}:{await _staff_id(rt, number)}", number)


async def make_policy_change(rt: Any, branch: Any, owner: str) -> Made:
    member, reason = await _staff_id(rt, await add_member(rt, branch, ["teller"])), _marker()
    async with acting(rt, branch, owner) as (session, principal):
        await rbac.assign_role(session, principal, member, "lobby_manager", True, reason)
        change = await session.scalar(select(PolicyChange.id).where(PolicyChange.reason == reason))
    return Made("PolicyChange", change, reason)


async def make_access_review(rt: Any, branch: Any, owner: str) -> Made:
    name = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        review = await reviews.open_review(session, principal, name)
    return Made("AccessReview", review.id, name)


async def make_access_review_item(rt: Any, branch: Any, owner: str) -> Made:
    """The item about a new member, so that nobody deciding it decides about themselves."""
    number = await add_member(rt, branch, ["teller"])
    member = await _staff_id(rt, number)
    async with acting(rt, branch, owner) as (session, principal):
        review = await reviews.open_review(session, principal, _marker())
        rows = await reviews.report(session, principal, review.id)
    item = next(row.item for row in rows if row.item.staff_id == member)
    return Made("AccessReviewItem", item.id, number)


async def make_service_account(rt: Any, branch: Any, owner: str) -> Made:
    slug = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        issued = await accounts.create_service_account(session, principal, f"Feed {slug}", slug, ["branch:read"])
    return Made("ServiceAccount", issued.account.id, issued.account.client_id)


_closure_days = itertools.count()


async def make_branch_closure(rt: Any, branch: Any, owner: str) -> Made:
    """A one-day closure far ahead, a different day each time (closures of a branch never overlap)."""
    day, reason = date(2060, 1, 1) + timedelta(days=next(_closure_days)), _marker()
    async with acting(rt, branch, owner) as (session, principal):
        closure = await calendars.add_closure(session, principal, day, day, reason)
    return Made("BranchClosure", closure.id, reason)


Factory = Callable[[Any, Any, str], Awaitable[Made]]
FACTORIES: dict[str, Factory] = {
    "Branch": make_branch,
    "StaffMember": make_staff_member,
    "BranchMembership": make_branch_membership,
    "PolicyChange": make_policy_change,
    "AccessReview": make_access_review,
    "AccessReviewItem": make_access_review_item,
    "ServiceAccount": make_service_account,
    "BranchClosure": make_branch_closure,
}


async def make_client(rt: Any, branch: Any, owner: str) -> Made:
    """A client owned by ``owner``, recorded by the system (a branch head holds branch scope, not a book)."""
    number = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        system = Principal.system("tests", principal.branch)
        draft = crm.ClientDraft(client_number=number, name=f"客户{number}", owner_id=principal.staff_id)
        client = await records.create_client(session, system, draft)
    return Made("Client", client.id, number)


FACTORIES["Client"] = make_client


async def make_interaction(rt: Any, branch: Any, owner: str) -> Made:
    """A note on a client's timeline, logged by the client's owner (a customer manager of the branch)."""
    marker = _marker()
    made = await make_client(rt, branch, owner)
    async with acting(rt, branch, owner) as (session, principal):
        draft = interactions.InteractionDraft(
            made.id,
            InteractionKind.NOTE,
            InteractionChannel.BRANCH,
            utcnow(),
            f"备注{marker}",  # type: ignore[arg-type]
        )
        entry = await interactions.log_interaction(session, principal, draft)
    return Made("Interaction", entry.id, marker)


FACTORIES["Interaction"] = make_interaction


async def make_feedback(rt: Any, branch: Any, owner: str) -> Made:
    """A complaint recorded by ``owner`` (the branch head), anonymous."""
    summary = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        draft = feedback.FeedbackDraft(
            kind=feedback_rules.FeedbackKind.COMPLAINT,
            channel=feedback_rules.Channel.COUNTER,
            category="waiting_time",
            severity=feedback_rules.Severity.MEDIUM,
            summary=summary,
        )
        made = await feedback.submit_feedback(session, principal, draft)
    return Made("Feedback", made.id, summary)


FACTORIES["Feedback"] = make_feedback


async def make_holding(rt: Any, branch: Any, owner: str) -> Made:
    """A holding of a new client of ``owner``, fed as the core-banking feed does (the system here)."""
    made_client = await make_client(rt, branch, owner)
    reference = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        system = Principal.system("tests", principal.branch)
        await catalogue.define_products(session, system, [catalogue.ProductDraft("NODE-SEED", "节点", "Node seed")])
        line = {"reference": reference, "client_number": made_client.marker, "product_code": "NODE-SEED", "balance": 1}
        await holdings_feed.feed_holdings(session, system, date(2026, 1, 5), [line])
        found = await holdings.holdings_of(session, system, [made_client.id], PageRequest(first=1))
    return Made("Holding", found[made_client.id].items[0][1].id, reference)


FACTORIES["Holding"] = make_holding


async def make_segment(rt: Any, branch: Any, owner: str) -> Made:
    """A segment the branch head defines (its name is the marker), matching every client."""
    name = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        made = await segments.define_segment(session, principal, name, None, {"aum": {"min": 0}})
    return Made("Segment", made.id, name)


FACTORIES["Segment"] = make_segment


async def make_segment_member(rt: Any, branch: Any, owner: str) -> Made:
    """A new client's stay in a segment of exactly that client (by its tag, the marker)."""
    made = await make_client(rt, branch, owner)
    tag = made.marker[:40]
    async with acting(rt, branch, owner) as (session, principal):
        system = Principal.system("tests", principal.branch)
        await records.update_client(session, system, made.id, crm.ClientDraft(tags=[tag]), frozenset({"tags"}))
        segment = await segments.define_segment(session, principal, _marker(), None, {"tag": tag})
        members = await segments.list_members(session, principal, segment.id, PageRequest(first=1))
    return Made("SegmentMember", members.items[0][1].id, made.marker)


FACTORIES["SegmentMember"] = make_segment_member


async def make_tier_change(rt: Any, branch: Any, owner: str) -> Made:
    """A client's first tier, found by a scoring run whose reason is the marker."""
    made = await make_client(rt, branch, owner)
    reason = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        system = Principal.system("tests", principal.branch)
        await scoring.rescore(session, system, reason)
        change = await session.scalar(
            select(ClientScoreChange.id).where(ClientScoreChange.client_id == made.id, ClientScoreChange.kind == "tier")
        )
    return Made("TierChange", change, reason)


FACTORIES["TierChange"] = make_tier_change


async def make_survey(rt: Any, branch: Any, owner: str) -> Made:
    """A satisfaction survey of the branch, defined by ``owner`` (the branch head)."""
    title = _marker()
    question = surveys.QuestionDraft(SurveyQuestionKind.SCALE, "满意吗", "Satisfied?")
    async with acting(rt, branch, owner) as (session, principal):
        draft = surveys.SurveyDraft(title, title, SurveyPurpose.SATISFACTION, [question])
        made = await surveys.define_survey(session, principal, draft)
    return Made("Survey", made.id, title)


FACTORIES["Survey"] = make_survey


async def make_visit(rt: Any, branch: Any, owner: str) -> Made:
    """An anonymous walk-in registered by ``owner`` (the branch head), the marker in its note."""
    from branchdesk.visits import service as visits

    note = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        made = await visits.register_visit(session, principal, visits.VisitDraft("cash", "counter", note=note))
    return Made("Visit", made.id, note)


FACTORIES["Visit"] = make_visit


async def make_holding(rt: Any, branch: Any, owner: str) -> Made:
    """A holding of a new client of ``owner``, fed as the core-banking feed does (the system here)."""
    made_client = await make_client(rt, branch, owner)
    reference = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        system = Principal.system("tests", principal.branch)
        await catalogue.define_products(session, system, [catalogue.ProductDraft("NODE-SEED", "节点", "Node seed")])
        line = {"reference": reference, "client_number": made_client.marker, "product_code": "NODE-SEED", "balance": 1}
        await holdings_feed.feed_holdings(session, system, date(2026, 1, 5), [line])
        found = await holdings.holdings_of(session, system, [made_client.id], PageRequest(first=1))
    return Made("Holding", found[made_client.id].items[0][1].id, reference)


FACTORIES["Holding"] = make_holding


async def make_handoff(rt: Any, branch: Any, owner: str) -> Made:
    """An IT-help handoff raised by ``owner`` (the branch head)."""
    from branchdesk.handoffs import service as handoffs

    marker = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        made = await handoffs.raise_handoff(session, principal, handoffs.HandoffDraft("it_help", marker))
    return Made("Handoff", made.id, marker)


FACTORIES["Handoff"] = make_handoff


async def make_comment(rt: Any, branch: Any, owner: str) -> Made:
    """A comment by ``owner`` on a handoff they raised."""
    from branchdesk.handoffs import comments
    from branchdesk.handoffs import service as handoffs
    from branchdesk.handoffs.rules import SubjectType

    marker = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        work = await handoffs.raise_handoff(session, principal, handoffs.HandoffDraft("it_help", "打印机卡纸"))
        made = await comments.add_comment(session, principal, SubjectType.HANDOFF, work.id, marker)
    return Made("Comment", made.id, marker)


FACTORIES["Comment"] = make_comment


async def make_support_ticket(rt: Any, branch: Any, owner: str) -> Made:
    from branchdesk.tickets import rules as ticket_rules
    from branchdesk.tickets import service as tickets

    marker = _marker()
    draft = tickets.TicketDraft(
        ticket_rules.TicketQueue.IT_SUPPORT,
        ticket_rules.TicketCategory.HARDWARE,
        ticket_rules.Severity.MEDIUM,
        marker,
        "叫号机无法出票",
    )
    async with acting(rt, branch, owner) as (session, principal):
        made = await tickets.open_ticket(session, principal, draft)
    return Made("SupportTicket", made.id, marker)


FACTORIES["SupportTicket"] = make_support_ticket


async def make_incident(rt: Any, branch: Any, owner: str) -> Made:
    """An incident declared and closed by ``owner`` (closed: the branch may be asked for another)."""
    from branchdesk.tickets import rules as ticket_rules
    from branchdesk.tickets import service as tickets

    marker = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        made = await tickets.declare_incident(session, principal, ticket_rules.IncidentKind.CROWDING, marker)
        await tickets.close_incident(session, principal, made.id, "客流回落")
    return Made("Incident", made.id, marker)


FACTORIES["Incident"] = make_incident


async def make_meeting(rt: Any, branch: Any, owner: str) -> Made:
    from branchdesk.meetings import service as meetings

    marker = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        made = await meetings.record_meeting(
            session, principal, meetings.MeetingDraft(title=marker, held_at=utcnow(), agenda="晨会")
        )
    return Made("Meeting", made.id, marker)


FACTORIES["Meeting"] = make_meeting


async def make_notification(rt: Any, branch: Any, owner: str) -> Made:
    """A notification to the branch's compliance officers: the node-isolation scene's caller is one, and
    reads it in B as themselves (a notification is only ever its recipient's)."""
    title = _marker()
    officers = select(Membership.staff_id).where(
        Membership.tenant_id == branch.id, literal("compliance_officer") == any_(Membership.roles)
    )
    async with acting(rt, branch, owner) as (session, _):
        members = list(await session.scalars(officers))
        made = await notifications.notify(
            session, branch.id, members, kind=directive_kinds.PUBLISHED, key=title, title=title
        )
    return Made("Notification", made[-1], title)


FACTORIES["Notification"] = make_notification


async def make_care_plan(rt: Any, branch: Any, owner: str) -> Made:
    """A care plan the branch head defines (its name is the marker)."""
    from branchdesk.care import rules as care_rules
    from branchdesk.care import service as care

    name = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        draft = care.PlanDraft(name, care_rules.Trigger.KYC_EXPIRY, care_rules.Channel.PHONE, "更新身份信息")
        made = await care.define_plan(session, principal, draft)
    return Made("CarePlan", made.id, name)


FACTORIES["CarePlan"] = make_care_plan


async def make_follow_up(rt: Any, branch: Any, owner: str) -> Made:
    """A follow-up the planner makes for a new client of ``owner`` whose KYC expires in two days; its plan's
    title is the marker."""
    from branchdesk.care import rules as care_rules
    from branchdesk.care import service as care
    from branchdesk.care.models import FollowUp
    from branchdesk.crm.rules import ContactChannel

    title = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        client = await records.create_client(
            session,
            principal,
            crm.ClientDraft(
                client_number=_marker(),
                name="跟进",
                kyc_expires_on=utcnow().date() + timedelta(days=2),
                consents=[ContactChannel.PHONE],
                phone=f"139{secrets.randbelow(10**8):08d}",
            ),
        )
        # the plans of earlier calls would reach this client too, and the weekly cap would keep this one out
        for _, earlier in (
            await care.list_plans(session, principal, PageRequest(first=100), care_rules.PlanState.ACTIVE)
        ).items:
            await care.set_plan_state(session, principal, earlier.id, care_rules.PlanState.PAUSED)
        draft = care.PlanDraft(_marker(), care_rules.Trigger.KYC_EXPIRY, care_rules.Channel.PHONE, title, offsets=[0])
        plan = await care.define_plan(session, principal, draft)
        await care.plan_day(session, principal)
        made = await session.scalar(
            select(FollowUp.id).where(FollowUp.plan_id == plan.id, FollowUp.client_id == client.id)
        )
    return Made("FollowUp", made, title)


FACTORIES["FollowUp"] = make_follow_up


_ABSENCE_SLOTS = itertools.count()  # one absence of the same owner never overlaps another


async def make_staff_absence(rt: Any, branch: Any, owner: str) -> Made:
    """An absence of ``owner`` (the branch head) a year ahead; its reason is the marker."""
    from branchdesk.availability import service as availability

    reason = _marker()
    async with acting(rt, branch, owner) as (session, principal):
        assert principal.staff_id is not None
        start = utcnow().replace(microsecond=0) + timedelta(days=500, hours=2 * next(_ABSENCE_SLOTS))
        made = await availability.record_absence(
            session, principal, principal.staff_id, start, start + timedelta(hours=1), reason
        )
    return Made("StaffAbsence", made.id, reason)


FACTORIES["StaffAbsence"] = make_staff_absence
