"""GraphQL types of care plans, follow-ups and the workbench."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import Row
from strawberry import relay
from strawberry.types import Info

from branchdesk.care import follow_ups as work
from branchdesk.care import rules, workbench
from branchdesk.care import service as care
from branchdesk.care.models import CarePlan, CarePlanRun, CareSettings, FollowUp
from branchdesk.graphql.completion import prefetched
from branchdesk.graphql.crm.types import Client
from branchdesk.graphql.labels import graphql_enum
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.segments.types import SegmentNode
from branchdesk.graphql.tenants.types import StaffMember, member_or_none

CareTrigger = graphql_enum(rules.Trigger, "CareTrigger", "What makes a care plan contact a client.")
CareBirthdayCalendar = graphql_enum(
    rules.BirthdayCalendar,
    "CareBirthdayCalendar",
    "Which birthday a birthday plan greets: the solar (公历) or the lunar (农历) one. 按公历还是农历生日祝福。",
)
CareChannel = graphql_enum(rules.Channel, "CareChannel", "How a follow-up contacts the client.")
CarePriority = graphql_enum(rules.Priority, "CarePriority", "How urgent a plan's follow-ups are.")
CareAssignee = graphql_enum(rules.Assignee, "CareAssignee", "Who takes a plan's follow-ups.")
CareShift = graphql_enum(rules.Shift, "CareShift", "Where a due date on a day the branch does not work moves.")
CarePlanState = graphql_enum(rules.PlanState, "CarePlanState", "Whether the planner runs a plan.")
FollowUpState = graphql_enum(rules.FollowUpState, "FollowUpState", "Where a follow-up stands.")
FollowUpOutcome = graphql_enum(rules.Outcome, "FollowUpOutcome", "How a contact went.")
CareSkipReason = graphql_enum(rules.SkipReason, "CareSkipReason", "Why the planner did not make a follow-up.")


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


@strawberry.type(description="How many occurrences a planner run (or a simulation) skipped for one reason.")
class SkipCount:
    reason: CareSkipReason = strawberry.field(description="Why.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many.")

    @classmethod
    def all_of(cls, skipped: dict[str, object]) -> list[SkipCount]:
        known = {r.value for r in rules.SkipReason}
        return [cls(reason=rules.SkipReason(k), count=int(str(v))) for k, v in sorted(skipped.items()) if k in known]


@strawberry.type(description="What the planner's latest pass over a plan did.")
class CarePlanRunInfo:
    run_on: date = strawberry.field(description="The day it planned (the branch's date).")
    ran_at: datetime = strawberry.field(description="When it ran.")
    created: int = strawberry.field(description="Follow-ups it made.")
    skipped: list[SkipCount] = strawberry.field(description="Occurrences it did not make, by reason.")

    @classmethod
    def of(cls, run: CarePlanRun) -> CarePlanRunInfo:
        return cls(run_on=run.run_on, ran_at=run.ran_at, created=run.created, skipped=SkipCount.all_of(run.skipped))


@strawberry.type(
    name="CarePlan",
    description="A care plan (客户关怀计划): what contact, for whom (a trigger and its offsets), when (due on a "
    "working day of the branch), by whom (the client's owner or a role's holder), how urgent.",
)
class CarePlanNode(LoadedNode):
    node_loader = "care_plan"
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The plan's name, unique in the branch.")
    trigger: CareTrigger = strawberry.field(description="What makes it contact a client.")  # type: ignore[valid-type]
    offsets: list[int] = strawberry.field(
        description="Days from the trigger's date (negative: before it; business days for callbacks): one "
        "follow-up per offset, e.g. 1, 7 and 30 for onboarding."
    )
    channel: CareChannel = strawberry.field(description="How the client is contacted.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="What each follow-up asks for.")
    assign_to: CareAssignee = strawberry.field(description="Who takes the follow-ups.")  # type: ignore[valid-type]
    assignee_role: str | None = strawberry.field(description="The role whose holder takes them, when a role does.")
    priority: CarePriority = strawberry.field(description="How urgent; wins the weekly cap over lower ones.")  # type: ignore[valid-type]
    shift: CareShift = strawberry.field(description="Where a due date on a day off moves.")  # type: ignore[valid-type]
    contact_from: str = strawberry.field(description="Contact hours start (branch time, HH:MM).")
    contact_until: str = strawberry.field(description="Contact hours end (branch time, HH:MM).")
    retry_days: int = strawberry.field(description="A client not reached is tried again after this many days.")
    max_retries: int = strawberry.field(description="How many times a client not reached is tried again.")
    state: CarePlanState = strawberry.field(description="Active or paused.")  # type: ignore[valid-type]
    effective_from: date = strawberry.field(
        description="Occurrences due from this day follow the plan as it is now (set by each change)."
    )
    tier: str | None = strawberry.field(description="For a tier rhythm: the value tier's code.")
    every_months: int | None = strawberry.field(description="For a tier rhythm: every 1, 3, 6 or 12 months.")
    birthday_calendar: CareBirthdayCalendar = strawberry.field(  # type: ignore[valid-type]
        description="For a birthday plan: the solar birthday or the lunar one (clients without a lunar birthday are "
        "skipped on their solar birthday with the reason NO_LUNAR_BIRTHDAY); SOLAR for other plans. "
        "生日祝福按公历或农历。"
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")
    segment_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: CarePlan) -> CarePlanNode:
        return cls(
            id=str(found.id),
            name=found.name,
            trigger=rules.Trigger(found.trigger),
            offsets=list(found.offsets),
            channel=rules.Channel(found.channel),
            title=found.title,
            assign_to=rules.Assignee(found.assign_to),
            assignee_role=found.assignee_role,
            priority=rules.PRIORITY_OF_RANK[found.priority],
            shift=rules.Shift(found.shift),
            contact_from=hhmm(found.contact_from),
            contact_until=hhmm(found.contact_until),
            retry_days=found.retry_days,
            max_retries=found.max_retries,
            state=rules.PlanState(found.state),
            effective_from=found.effective_from,
            tier=found.tier,
            every_months=found.every_months,
            birthday_calendar=rules.BirthdayCalendar(found.birthday_calendar),
            updated_at=found.updated_at,
            segment_id=found.segment_id,
        )

    @strawberry.field(description="For segment entry: the segment (null if you may not read segments).")
    async def segment(self, info: Info) -> SegmentNode | None:
        if self.segment_id is None:
            return None
        found: SegmentNode | None = await info.context.loaders.segment.load(self.segment_id)
        return found

    @strawberry.field(description="What the planner's latest pass over it did; null before its first.")
    async def latest_run(self, info: Info) -> CarePlanRunInfo | None:
        run: CarePlanRun | None = await info.context.loaders.care_plan_run.load(uuid.UUID(self.id))
        return CarePlanRunInfo.of(run) if run is not None else None


@strawberry.type(name="CarePlanConnection", description="A page of care plans.")
class CarePlanConnection(CountedConnection[CarePlanNode]):
    pass


@strawberry.enum(description="What a list of care plans is sorted by.")
class CarePlanOrderField(Enum):
    PRIORITY = strawberry.enum_value("priority", description="Most urgent first; ties by id.")
    NAME = strawberry.enum_value("name", description="By name; ties by id.")
    CREATED_AT = strawberry.enum_value("created_at", description="When defined; ties by id.")


@strawberry.input(description="How a list of care plans is sorted.")
class CarePlanOrder:
    field: CarePlanOrderField = CarePlanOrderField.PRIORITY
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type(
    description="What the assignee of a follow-up sees of its client: the client number and the masked name "
    "(a cover from another branch sees this, not the client's file)."
)
class FollowUpClientCard:
    client_number: str = strawberry.field(description="The core-banking client number.")
    masked_name: str = strawberry.field(description="The name, masked (王**).")
    preferred_language: str = strawberry.field(description="The language the client prefers.")

    @classmethod
    def of(cls, card: work.ClientCard) -> FollowUpClientCard:
        return cls(
            client_number=card.client_number, masked_name=card.masked_name, preferred_language=card.preferred_language
        )


@strawberry.type(
    name="FollowUp",
    description="A care follow-up (客户跟进): one contact a plan asks of a staff member, due on a working day.",
)
class FollowUpNode(LoadedNode):
    node_loader = "follow_up"
    id: relay.NodeID[str]
    occurrence: date = strawberry.field(description="The date the plan's trigger gave (its key with the client).")
    due_on: date = strawberry.field(description="The working day it is due.")
    channel: CareChannel = strawberry.field(description="How to contact the client.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="What to do.")
    priority: CarePriority = strawberry.field(description="How urgent.")  # type: ignore[valid-type]
    contact_from: str = strawberry.field(description="Contact the client from (branch time, HH:MM; quiet hours cut).")
    contact_until: str = strawberry.field(description="Contact the client until (branch time, HH:MM).")
    state: FollowUpState = strawberry.field(description="Open, done or cancelled.")  # type: ignore[valid-type]
    outcome: FollowUpOutcome | None = strawberry.field(description="How the latest attempt went.")  # type: ignore[valid-type]
    attempts: int = strawberry.field(description="Contacts attempted so far.")
    note: str | None = strawberry.field(description="The assignee's latest note.")
    completed_at: datetime | None = strawberry.field(description="When it was done.")
    escalated_at: datetime | None = strawberry.field(description="When the branch head was told it is overdue.")
    created_at: datetime = strawberry.field(description="When the planner made it.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    plan_id: strawberry.Private[uuid.UUID]
    client_id: strawberry.Private[uuid.UUID]
    assignee_id: strawberry.Private[uuid.UUID]
    covering_for_id: strawberry.Private[uuid.UUID | None]
    read_card: strawberry.Private[tuple[FollowUpClientCard | None] | None] = None  # read ahead ("my day")
    read_plan: strawberry.Private[tuple[CarePlanNode | None] | None] = None

    @classmethod
    def of(cls, found: FollowUp | Row[Any]) -> FollowUpNode:
        return cls(
            id=str(found.id),
            occurrence=found.occurrence,
            due_on=found.due_on,
            channel=rules.Channel(found.channel),
            title=found.title,
            priority=rules.PRIORITY_OF_RANK[found.priority],
            contact_from=hhmm(found.contact_from),
            contact_until=hhmm(found.contact_until),
            state=rules.FollowUpState(found.state),
            outcome=rules.Outcome(found.outcome) if found.outcome else None,
            attempts=found.attempts,
            note=found.note,
            completed_at=found.completed_at,
            escalated_at=found.escalated_at,
            created_at=found.created_at,
            updated_at=found.updated_at,
            plan_id=found.plan_id,
            client_id=found.client_id,
            assignee_id=found.assignee_id,
            covering_for_id=found.covering_for_id,
        )

    @strawberry.field(description="The plan it comes from (null without `care:read`).")
    @prefetched("read_plan")
    async def plan(self, info: Info) -> CarePlanNode | None:
        if self.read_plan is not None:
            return self.read_plan[0]
        found: CarePlanNode | None = await info.context.loaders.care_plan.load(self.plan_id)
        return found

    @strawberry.field(description="The client's file; null when the client is outside your `client:read` scope.")
    async def client(self, info: Info) -> Client | None:
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found

    @strawberry.field(description="The client's card for this follow-up: what its assignee needs to make contact.")
    @prefetched("read_card")
    async def card(self, info: Info) -> FollowUpClientCard | None:
        if self.read_card is not None:
            return self.read_card[0]
        found: work.ClientCard | None = await info.context.loaders.follow_up_card.load(self.client_id)
        return FollowUpClientCard.of(found) if found is not None else None

    @strawberry.field(description="Who it is assigned to (null for a former member).")
    async def assignee(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.assignee_id)

    @strawberry.field(description="Whose it is while they are away, when a cover holds it; null otherwise.")
    async def covering_for(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.covering_for_id)


@strawberry.type(name="FollowUpConnection", description="A page of follow-ups.")
class FollowUpConnection(CountedConnection[FollowUpNode]):
    pass


@strawberry.enum(description="What a list of follow-ups is sorted by.")
class FollowUpOrderField(Enum):
    DUE_ON = strawberry.enum_value("due_on", description="By due date; ties by id.")
    PRIORITY = strawberry.enum_value("priority", description="Most urgent first, then due date; ties by id.")
    CREATED_AT = strawberry.enum_value("created_at", description="When made; ties by id.")


@strawberry.input(description="How a list of follow-ups is sorted.")
class FollowUpOrder:
    field: FollowUpOrderField = FollowUpOrderField.DUE_ON
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Which follow-ups a list shows (all given conditions hold).")
class FollowUpFilter:
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only those assigned to them (without `follow_up:manage`: only yourself)."
    )
    state: FollowUpState | None = strawberry.field(default=None, description="Only in this state.")  # type: ignore[valid-type]
    due_from: date | None = strawberry.field(default=None, description="Only those due on or after this day.")
    due_until: date | None = strawberry.field(default=None, description="Only those due on or before this day.")
    plan_id: strawberry.ID | None = strawberry.field(default=None, description="Only those of this plan.")
    client_id: strawberry.ID | None = strawberry.field(default=None, description="Only those of this client.")


@strawberry.type(description="My day (我的一天): my open follow-ups, overdue, due today and coming up, by priority.")
class MyDay:
    today: date = strawberry.field(description="Today in the branch's time zone.")
    overdue: list[FollowUpNode] = strawberry.field(description="Past their due day, most urgent first (at most 50).")
    due_today: list[FollowUpNode] = strawberry.field(description="Due today, most urgent first (at most 50).")
    upcoming: list[FollowUpNode] = strawberry.field(description="Due in the next seven days (at most 50).")

    @classmethod
    def of(cls, found: workbench.MyDay, plans: dict[uuid.UUID, CarePlanNode | None]) -> MyDay:
        """With each follow-up's card and plan read ahead, so that the lists complete as plain values."""
        cards = {key: FollowUpClientCard.of(card) for key, card in found.cards.items()}

        def node(row: Row[Any]) -> FollowUpNode:
            made = FollowUpNode.of(row)
            made.read_card, made.read_plan = (cards.get(row.client_id),), (plans.get(row.plan_id),)
            return made

        return cls(
            today=found.today,
            overdue=[node(f) for f in found.overdue],
            due_today=[node(f) for f in found.due_today],
            upcoming=[node(f) for f in found.upcoming],
        )


@strawberry.type(description="Completion figures of a group of follow-ups due in a range (cancelled ones left out).")
class CompletionFigures:
    due: int = strawberry.field(description="Follow-ups due in the range.")
    done: int = strawberry.field(description="Of those, done.")
    on_time: int = strawberry.field(description="Done by the end of their due day.")
    overdue: int = strawberry.field(description="Still open past their due day.")
    rate: float = strawberry.field(description="done / due (0 when nothing was due).")


@strawberry.type(description="A staff member's completion figures.")
class StaffCompletion:
    figures: CompletionFigures = strawberry.field(description="Their figures.")
    staff_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The staff member (null for a former member).")
    async def staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.staff_id)


@strawberry.type(description="A care plan's completion figures.")
class PlanCompletion:
    figures: CompletionFigures = strawberry.field(description="Its figures.")
    plan_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The plan.")
    async def plan(self, info: Info) -> CarePlanNode | None:
        found: CarePlanNode | None = await info.context.loaders.care_plan.load(self.plan_id)
        return found


def figures(row: workbench.CompletionRow) -> CompletionFigures:
    return CompletionFigures(due=row.due, done=row.done, on_time=row.on_time, overdue=row.overdue, rate=row.rate)


@strawberry.type(description="The branch head's view of how follow-ups due in a range were done, per staff and plan.")
class CareCompletion:
    first: date = strawberry.field(description="The first due day counted.")
    last: date = strawberry.field(description="The last due day counted.")
    by_staff: list[StaffCompletion] = strawberry.field(description="Per assignee.")
    by_plan: list[PlanCompletion] = strawberry.field(description="Per care plan.")

    @classmethod
    def of(cls, found: workbench.Completion) -> CareCompletion:
        return cls(
            first=found.first,
            last=found.last,
            by_staff=[StaffCompletion(figures=figures(r), staff_id=r.key) for r in found.by_staff],
            by_plan=[PlanCompletion(figures=figures(r), plan_id=r.key) for r in found.by_plan],
        )


@strawberry.type(description="A follow-up a plan would make (or skip) if the planner ran now.")
class SimulatedFollowUp:
    occurrence: date = strawberry.field(description="The trigger's date for the client.")
    due_on: date = strawberry.field(description="The working day it would be due.")
    skip_reason: CareSkipReason | None = strawberry.field(description="Why it would be skipped; null: made.")  # type: ignore[valid-type]
    client_id: strawberry.Private[uuid.UUID]
    assignee_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The client (null outside your `client:read` scope).")
    async def client(self, info: Info) -> Client | None:
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found

    @strawberry.field(description="Who would take it.")
    async def assignee(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.assignee_id)


@strawberry.type(description="What a care plan would create over the coming days, without writing anything.")
class PlanSimulation:
    first: date = strawberry.field(description="The first due day looked at (today).")
    last: date = strawberry.field(description="The last due day looked at.")
    would_create: int = strawberry.field(description="Follow-ups it would make.")
    skipped: list[SkipCount] = strawberry.field(description="Occurrences it would skip, by reason.")
    items: list[SimulatedFollowUp] = strawberry.field(description="The first 200, by due date.")

    @classmethod
    def of(cls, found: care.Simulation) -> PlanSimulation:
        return cls(
            first=found.first,
            last=found.last,
            would_create=found.would_create,
            skipped=SkipCount.all_of(dict(found.skipped)),
            items=[
                SimulatedFollowUp(
                    occurrence=i.occurrence,
                    due_on=i.due_on,
                    skip_reason=rules.SkipReason(i.skip_reason) if i.skip_reason else None,
                    client_id=i.client_id,
                    assignee_id=i.assignee_id,
                )
                for i in found.items
            ],
        )


@strawberry.type(description="The branch's care settings: quiet hours, weekly contact cap, escalation delay.")
class CareSettingsInfo:
    quiet_start: str = strawberry.field(description="Quiet hours start (branch time, HH:MM).")
    quiet_end: str = strawberry.field(description="Quiet hours end (branch time, HH:MM; may be the next morning).")
    weekly_cap: int = strawberry.field(description="Contacts per client per week across all plans, at most.")
    escalate_after_days: int = strawberry.field(
        description="A follow-up this many business days overdue is escalated to the branch head."
    )

    @classmethod
    def of(cls, found: CareSettings) -> CareSettingsInfo:
        return cls(
            quiet_start=hhmm(found.quiet_start),
            quiet_end=hhmm(found.quiet_end),
            weekly_cap=found.weekly_cap,
            escalate_after_days=found.escalate_after_days,
        )


@strawberry.type(description="A signed link to your follow-ups as an iCalendar feed (subscribe in your calendar).")
class CareCalendarFeed:
    path: str = strawberry.field(description="The feed's path on this server, signature included.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")
