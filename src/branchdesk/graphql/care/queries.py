from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.care import follow_ups as work
from branchdesk.care import rules, workbench
from branchdesk.care import service as care
from branchdesk.graphql import permissions as p
from branchdesk.graphql.care.types import (
    CareCalendarFeed,
    CareCompletion,
    CarePlanConnection,
    CarePlanNode,
    CarePlanOrder,
    CarePlanState,
    CareSettingsInfo,
    CareTrigger,
    FollowUpConnection,
    FollowUpFilter,
    FollowUpNode,
    FollowUpOrder,
    MyDay,
    PlanSimulation,
)
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.ids import node_uuid, staff_uuid
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.platform.errors import NotFound


def plan_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "CarePlan", NotFound("Care plan", "关怀计划", field=field))


def follow_up_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "FollowUp", NotFound("Follow-up", "客户跟进", field=field))


def filters_of(given: FollowUpFilter | None) -> work.FollowUpFilters:
    if given is None:
        return work.FollowUpFilters()
    return work.FollowUpFilters(
        assignee_id=staff_uuid(given.assignee_id, "assigneeId") if given.assignee_id is not None else None,
        state=rules.FollowUpState(given.state.value) if given.state else None,
        due_from=given.due_from,
        due_until=given.due_until,
        plan_id=plan_uuid(given.plan_id, "planId") if given.plan_id is not None else None,
        client_id=client_uuid(given.client_id, "clientId") if given.client_id is not None else None,
    )


@strawberry.type
class Queries:
    @p.field("care:read", "The branch's care plans, most urgent first unless `orderBy` says otherwise.")
    async def care_plans(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        state: Annotated[
            CarePlanState | None,
            strawberry.argument(description="Only active or only paused plans."),
        ] = None,
        trigger: Annotated[
            CareTrigger | None,
            strawberry.argument(description="Only plans with this trigger."),
        ] = None,
        order_by: CarePlanOrder | None = None,
    ) -> CarePlanConnection | None:
        ctx = info.context
        order = order_by or CarePlanOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted_state = rules.PlanState(state.value) if state else None
        wanted_trigger = rules.Trigger(trigger.value) if trigger else None
        page = await ctx.call(care.list_plans, request, wanted_state, wanted_trigger)
        return connection(
            page,
            CarePlanNode.of,
            CarePlanConnection,
            total=lambda: ctx.call(care.count_plans, wanted_state, wanted_trigger),
        )

    @p.field("care:read", "One care plan of the branch; null for an id of nothing (or of another branch).")
    async def care_plan(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The plan's id.")]
    ) -> CarePlanNode | None:
        found: CarePlanNode | None = await info.context.loaders.care_plan.load(plan_uuid(id))
        return found

    @p.field(
        "care:plan",
        "What a care plan would create over the next `days` days (today included) if the planner ran now, and "
        "what it would skip and why; nothing is written.",
    )
    async def simulate_plan(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The plan's id.")],
        days: Annotated[int, strawberry.argument(description="How many days ahead, 1 to 30.")] = 30,
    ) -> PlanSimulation | None:
        found = await info.context.call(care.simulate_plan, plan_uuid(id), max(1, min(days, 30)))
        return PlanSimulation.of(found)

    @p.field(
        "follow_up:work",
        "Care follow-ups: your own, or the branch's with `follow_up:manage`; by due date unless `orderBy` says "
        "otherwise.",
    )
    async def follow_ups(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            FollowUpFilter | None, strawberry.argument(description="Which follow-ups; all conditions hold.")
        ] = None,
        order_by: FollowUpOrder | None = None,
    ) -> FollowUpConnection | None:
        ctx = info.context
        order = order_by or FollowUpOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted = filters_of(filter)
        page = await ctx.call(work.list_follow_ups, request, wanted)
        return connection(
            page, FollowUpNode.of, FollowUpConnection, total=lambda: ctx.call(work.count_follow_ups, wanted)
        )

    @p.field(
        "follow_up:work",
        "My day (我的一天): your open follow-ups overdue, due today and in the coming week, most urgent first.",
    )
    async def my_day(self, info: Info) -> MyDay | None:
        found = await info.context.call(workbench.my_day)
        plan_ids = list({row.plan_id: None for row in (*found.overdue, *found.due_today, *found.upcoming)})
        plans = await info.context.loaders.care_plan.load_many(plan_ids)  # one batch (null without care:read)
        return MyDay.of(found, dict(zip(plan_ids, plans, strict=True)))

    @p.field(
        "follow_up:manage",
        "How the follow-ups due from `first` to `last` were done, per staff member and per plan (branch head).",
    )
    async def care_completion(
        self,
        info: Info,
        first: Annotated[date, strawberry.argument(description="The first due day counted.")],
        last: Annotated[date, strawberry.argument(description="The last due day counted (at most 366 days on).")],
    ) -> CareCompletion | None:
        return CareCompletion.of(await info.context.call(workbench.completion, first, last))

    @p.field("care:read", "The branch's care settings: quiet hours, the weekly contact cap, the escalation delay.")
    async def care_settings(self, info: Info) -> CareSettingsInfo | None:
        return CareSettingsInfo.of(await info.context.call(care.settings))

    @p.field(
        "follow_up:work",
        "A signed link (valid 90 days) to your open follow-ups as an iCalendar feed for your own calendar app.",
    )
    async def my_care_calendar(self, info: Info) -> CareCalendarFeed | None:
        found = await info.context.call(workbench.feed_link)
        return CareCalendarFeed(path=found.path, expires_at=found.expires_at)
