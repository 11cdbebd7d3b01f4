from __future__ import annotations

import re
import uuid
from datetime import date, time
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.care import errors, rules
from branchdesk.care import follow_ups as work
from branchdesk.care import service as care
from branchdesk.graphql import permissions as p
from branchdesk.graphql.care.queries import follow_up_uuid, plan_uuid
from branchdesk.graphql.care.types import (
    CareAssignee,
    CareBirthdayCalendar,
    CareChannel,
    CarePlanNode,
    CarePriority,
    CareSettingsInfo,
    CareShift,
    CareTrigger,
    FollowUpNode,
    FollowUpOutcome,
)
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.segments.queries import segment_uuid
from branchdesk.platform.errors import DomainError

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def clock(value: str, field: str) -> time:
    found = _CLOCK.match(value.strip())
    if found is None:
        raise DomainError(errors.TIME_OF_DAY, field=field)
    return time(int(found.group(1)), int(found.group(2)))


@strawberry.input(description="A care plan as it should be (its trigger and segment stay what they were).")
class CarePlanChangesInput:
    name: str = text("The plan's name, unique in the branch.", max_length=100)
    trigger: CareTrigger = strawberry.field(description="What makes it contact a client.")
    channel: CareChannel = strawberry.field(description="How the client is contacted (their consent is checked).")
    title: str = text("What each follow-up asks for.", max_length=200)
    offsets: list[int] | None = strawberry.field(
        default=None,
        description="Days from the trigger's date, 1 to 10 of them, -400 to 400 (business days for callbacks); "
        "the trigger's usual ones when left out (onboarding 1, 7, 30; KYC expiry -30…).",
    )
    assign_to: CareAssignee = strawberry.field(
        default=rules.Assignee.OWNER, description="The client's owner, or a holder of `assigneeRole`."
    )
    assignee_role: str | None = text("The role whose holder takes the follow-ups.", max_length=40, default=None)
    priority: CarePriority = strawberry.field(
        default=rules.Priority.NORMAL, description="How urgent; a higher one wins the weekly cap."
    )
    shift: CareShift = strawberry.field(default=rules.Shift.NEXT, description="Where a due date on a day off moves.")
    contact_from: str = text("Contact hours start, HH:MM branch time.", max_length=5, default="09:00")
    contact_until: str = text("Contact hours end, HH:MM branch time.", max_length=5, default="18:00")
    retry_days: int = strawberry.field(default=2, description="Try a client not reached again after 1 to 30 days.")
    max_retries: int = strawberry.field(default=2, description="How many times (0 to 10).")
    tier: str | None = text("For a tier rhythm: the value tier's code.", max_length=30, default=None)
    every_months: int | None = strawberry.field(default=None, description="For a tier rhythm: 1, 3, 6 or 12 months.")
    birthday_calendar: CareBirthdayCalendar = strawberry.field(
        default=rules.BirthdayCalendar.SOLAR,
        description="For a birthday plan: greet on the solar (default) or the lunar birthday (农历生日); a client "
        "without a lunar birthday is skipped with a reason. 生日祝福按公历（默认）或农历。",
    )


@strawberry.input(description="A care plan: what contact, for whom, when, by whom.")
class CarePlanInput(CarePlanChangesInput):
    segment_id: strawberry.ID | None = strawberry.field(default=None, description="For segment entry: the segment.")


@strawberry.input(description="Change a care plan (from today on: follow-ups already made are kept).")
class UpdateCarePlanInput:
    id: strawberry.ID = strawberry.field(description="The plan.")
    plan: CarePlanChangesInput = strawberry.field(
        description="The plan as it should be; `trigger` must be the plan's own (another trigger is another plan)."
    )


@strawberry.input(description="Pause or resume a care plan.")
class CarePlanStateInput:
    id: strawberry.ID = strawberry.field(description="The plan.")


@strawberry.input(description="Record the contact a follow-up asked for.")
class CompleteFollowUpInput:
    id: strawberry.ID = strawberry.field(description="The follow-up.")
    outcome: FollowUpOutcome = strawberry.field(description="How it went.")
    note: str | None = text("What was said (also on the client's timeline).", max_length=2000, default=None)
    next_on: date | None = strawberry.field(
        default=None, description="For `RESCHEDULED`: the working day the client asked to be contacted."
    )


@strawberry.input(description="Move an open follow-up to another working day.")
class RescheduleFollowUpInput:
    id: strawberry.ID = strawberry.field(description="The follow-up.")
    due_on: date = strawberry.field(description="A working day from today up to 90 days ahead.")
    note: str | None = text("Why.", max_length=2000, default=None)


@strawberry.input(description="Give open follow-ups (one or many) to a member of the branch.")
class ReassignFollowUpsInput:
    ids: list[strawberry.ID] = strawberry.field(description="The follow-ups, 1 to 200.")
    assignee_id: strawberry.ID = strawberry.field(description="Who takes them (a member of the branch).")


@strawberry.input(description="The branch's care settings.")
class SetCareSettingsInput:
    quiet_start: str = text("Quiet hours start, HH:MM branch time.", max_length=5, default="21:00")
    quiet_end: str = text(
        "Quiet hours end, HH:MM (earlier than the start: the next morning).", max_length=5, default="08:00"
    )
    weekly_cap: int = strawberry.field(description="Contacts per client per week across all plans, 1 to 20.")
    escalate_after_days: int = strawberry.field(description="Escalate a follow-up overdue by 1 to 30 business days.")


async def _plan_now(root: CarePlanPayload, info: Info) -> CarePlanNode | None:
    if root.plan_id is None:
        return None
    found: CarePlanNode | None = await info.context.loaders.care_plan.load(root.plan_id)
    return found


async def _follow_up_now(root: FollowUpPayload, info: Info) -> FollowUpNode | None:
    if root.follow_up_id is None:
        return None
    found: FollowUpNode | None = await info.context.loaders.follow_up.load(root.follow_up_id)
    return found


async def _follow_ups_now(root: ReassignFollowUpsPayload, info: Info) -> list[FollowUpNode] | None:
    if root.follow_up_ids is None:
        return None
    found = await info.context.loaders.follow_up.load_many(root.follow_up_ids)
    return [f for f in found if f is not None]


@payload
class CarePlanPayload:
    plan: CarePlanNode | None = strawberry.field(resolver=_plan_now, description="The plan after the change.")
    plan_id: strawberry.Private[uuid.UUID | None] = None


@payload
class FollowUpPayload:
    follow_up: FollowUpNode | None = strawberry.field(
        resolver=_follow_up_now, description="The follow-up after the change."
    )
    follow_up_id: strawberry.Private[uuid.UUID | None] = None


@payload
class ReassignFollowUpsPayload:
    follow_ups: list[FollowUpNode] | None = strawberry.field(
        resolver=_follow_ups_now, description="The follow-ups as they are now (null when refused)."
    )
    follow_up_ids: strawberry.Private[list[uuid.UUID] | None] = None


@payload
class CareSettingsPayload:
    settings: CareSettingsInfo | None = strawberry.field(default=None, description="The settings as they are now.")


def draft_of(given: CarePlanChangesInput) -> care.PlanDraft:
    return care.PlanDraft(
        name=given.name,
        trigger=rules.Trigger(given.trigger.value),
        channel=rules.Channel(given.channel.value),
        title=given.title,
        offsets=given.offsets,
        assign_to=rules.Assignee(given.assign_to.value),
        assignee_role=given.assignee_role,
        priority=rules.Priority(given.priority.value),
        shift=rules.Shift(given.shift.value),
        contact_from=clock(given.contact_from, "contactFrom"),
        contact_until=clock(given.contact_until, "contactUntil"),
        retry_days=given.retry_days,
        max_retries=given.max_retries,
        segment_id=segment_uuid(given.segment_id, "segmentId")
        if isinstance(given, CarePlanInput) and given.segment_id is not None
        else None,
        tier=given.tier,
        every_months=given.every_months,
        birthday_calendar=rules.BirthdayCalendar(given.birthday_calendar.value),
    )


def _state(state: rules.PlanState, input: CarePlanStateInput) -> Any:
    async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
        return {"plan_id": (await care.set_plan_state(session, by, plan_uuid(input.id), state)).id}

    return run


@strawberry.type
class Mutations:
    @p.mutation("care:plan", "Define a care plan, active from today (the next planner run makes its follow-ups).")
    async def define_care_plan(self, info: Info, input: CarePlanInput) -> CarePlanPayload:
        async def define(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"plan_id": (await care.define_plan(session, by, draft_of(input))).id}

        return await mutate(info, CarePlanPayload, define)

    @p.mutation(
        "care:plan", "Change a care plan: occurrences due from today follow it; follow-ups already made are kept."
    )
    async def update_care_plan(self, info: Info, input: UpdateCarePlanInput) -> CarePlanPayload:
        async def update(session: AsyncSession, by: Principal) -> dict[str, object]:
            changed = await care.update_plan(session, by, plan_uuid(input.id), draft_of(input.plan))
            return {"plan_id": changed.id}

        return await mutate(info, CarePlanPayload, update)

    @p.mutation("care:plan", "Pause a care plan: the planner skips it; its open follow-ups stay.")
    async def pause_care_plan(self, info: Info, input: CarePlanStateInput) -> CarePlanPayload:
        return await mutate(info, CarePlanPayload, _state(rules.PlanState.PAUSED, input))

    @p.mutation("care:plan", "Resume a paused care plan from today (what fell due while paused is not made up).")
    async def resume_care_plan(self, info: Info, input: CarePlanStateInput) -> CarePlanPayload:
        return await mutate(info, CarePlanPayload, _state(rules.PlanState.ACTIVE, input))

    @p.mutation(
        "follow_up:work",
        "Record a follow-up's contact (logged on the client's timeline): `NOT_REACHED` retries after the plan's "
        "days until its retries are spent, `RESCHEDULED` moves it to `nextOn`, otherwise it is done.",
    )
    async def complete_follow_up(self, info: Info, input: CompleteFollowUpInput) -> FollowUpPayload:
        async def complete(session: AsyncSession, by: Principal) -> dict[str, object]:
            outcome = rules.Outcome(input.outcome.value)
            done = await work.complete(session, by, follow_up_uuid(input.id), outcome, input.note, input.next_on)
            return {"follow_up_id": done.id}

        return await mutate(info, FollowUpPayload, complete)

    @p.mutation("follow_up:work", "Move an open follow-up to another working day (today up to 90 days ahead).")
    async def reschedule_follow_up(self, info: Info, input: RescheduleFollowUpInput) -> FollowUpPayload:
        async def reschedule(session: AsyncSession, by: Principal) -> dict[str, object]:
            moved = await work.reschedule(session, by, follow_up_uuid(input.id), input.due_on, input.note)
            return {"follow_up_id": moved.id}

        return await mutate(info, FollowUpPayload, reschedule)

    @p.mutation(
        "follow_up:manage",
        "Give open follow-ups (one or many, all or none) to a member of the branch, who is notified.",
    )
    async def reassign_follow_ups(self, info: Info, input: ReassignFollowUpsInput) -> ReassignFollowUpsPayload:
        async def reassign(session: AsyncSession, by: Principal) -> dict[str, object]:
            ids = [follow_up_uuid(i, "ids") for i in input.ids]
            moved = await work.reassign(session, by, ids, staff_uuid(input.assignee_id, "assigneeId"))
            return {"follow_up_ids": moved}

        return await mutate(info, ReassignFollowUpsPayload, reassign)

    @p.mutation("care:plan", "Set the branch's quiet hours, weekly contact cap and escalation delay.")
    async def set_care_settings(self, info: Info, input: SetCareSettingsInput) -> CareSettingsPayload:
        async def save(session: AsyncSession, by: Principal) -> dict[str, object]:
            saved = await care.set_settings(
                session,
                by,
                clock(input.quiet_start, "quietStart"),
                clock(input.quiet_end, "quietEnd"),
                input.weekly_cap,
                input.escalate_after_days,
            )
            return {"settings": CareSettingsInfo.of(saved)}

        return await mutate(info, CareSettingsPayload, save)
