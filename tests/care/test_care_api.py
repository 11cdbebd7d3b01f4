"""The care API: my day (a pinned statement count, whatever the number of follow-ups), typed errors that
write nothing, completing through the API, both-way pages of follow-ups, the signed calendar feed, and
absences."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from branchdesk.calendars import service as calendars
from branchdesk.care.models import CarePlan
from branchdesk.crm.models import Interaction
from branchdesk.platform.clock import utcnow
from tests.care.conftest import acting, define, make_client, plan

pytestmark = pytest.mark.external

MY_DAY = """{ myDay { today
  overdue { id title dueOn priority card { clientNumber maskedName } plan { name } }
  dueToday { id title dueOn priority card { clientNumber maskedName } plan { name } }
  upcoming { id title dueOn priority card { clientNumber maskedName } plan { name } } } }"""


async def _today(rt, branch):
    async with acting(rt, branch) as (session, by):
        _, today = await calendars.branch_today(session, by)
        calendar = await calendars.branch_calendar(session, by, today, today + timedelta(days=40))
    return today, calendar


async def _follow_ups_for(rt, care_branch, count: int):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    today, _ = await _today(rt, branch)
    for n in range(count):
        await make_client(rt, branch, cm1, kyc_expires_on=today + timedelta(days=1 + n % 5))
    await define(rt, branch, offsets=[0])
    await plan(rt, branch, today)


async def _count(api, sql_counter, query, token, branch):
    await api.post(query, token=token, branch=branch)  # warm: policy and branch code cached
    sql_counter.count = 0
    with sql_counter:
        body = await api.post(query, token=token, branch=branch)
    assert "errors" not in body, body
    return sql_counter.count, body


async def test_my_day_costs_the_same_statements_for_two_follow_ups_or_eight(rt, api, world, sql_counter):
    from tests.care.conftest import make_branch

    few, many = await make_branch(rt, world), await make_branch(rt, world)
    await _follow_ups_for(rt, few, 2)
    await _follow_ups_for(rt, many, 8)
    counted = []
    for made in (few, many):
        token = await api.token(made.cm1)
        count, body = await _count(api, sql_counter, MY_DAY, token, made.branch.code)
        day = body["data"]["myDay"]
        counted.append((count, len(day["overdue"]) + len(day["dueToday"]) + len(day["upcoming"])))
    assert [n for _, n in counted] == [2, 8]
    # entry (1), the branch's today, the follow-ups with their clients' cards, then one batch for the plans
    assert [c for c, _ in counted] == [4, 4]
    shown = body["data"]["myDay"]["upcoming"]
    assert {(f["card"]["maskedName"], len(f["card"]["clientNumber"]), f["plan"] is not None) for f in shown} == {
        ("王**", 11, True)
    }
    # the other manager holds none of them: their day is empty, whatever the branch holds
    token = await api.token(many.cm2)
    count, body = await _count(api, sql_counter, MY_DAY, token, many.branch.code)
    assert [body["data"]["myDay"][k] for k in ("overdue", "dueToday", "upcoming")] == [[], [], []]
    assert count == 3  # no follow-ups: no plans to load


async def test_a_bad_plan_is_refused_with_typed_errors_and_nothing_written(rt, api, care_branch):
    token = await api.token(care_branch.head)
    body = await api.post(
        """mutation($i: CarePlanInput!) { defineCarePlan(input: $i) { plan { id } errors { code field } } }""",
        {
            "i": {
                "name": "坏计划",
                "trigger": "KYC_EXPIRY",
                "channel": "PHONE",
                "title": "x",
                "offsets": [3, 3],
                "contactFrom": "18:00",
                "contactUntil": "09:00",
            }
        },
        token=token,
        branch=care_branch.branch.code,
    )
    payload = body["data"]["defineCarePlan"]
    assert payload["plan"] is None
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == [
        ("CARE_CONTACT_HOURS", "contactUntil"),
        ("CARE_PLAN_OFFSETS", "offsets"),
    ]
    async with rt.db.session(care_branch.branch.id) as session:
        assert await session.scalar(select(func.count()).select_from(CarePlan)) == 0


async def test_a_customer_manager_completes_a_follow_up_through_the_api(rt, api, care_branch):
    await _follow_ups_for(rt, care_branch, 1)
    token = await api.token(care_branch.cm1)
    page = await api.post(
        "{ followUps(first: 5) { totalCount edges { node { id state } } } }",
        token=token,
        branch=care_branch.branch.code,
    )
    [edge] = page["data"]["followUps"]["edges"]
    body = await api.post(
        """mutation($i: CompleteFollowUpInput!) { completeFollowUp(input: $i) {
          followUp { state outcome attempts client { id } } errors { code field } } }""",
        {"i": {"id": edge["node"]["id"], "outcome": "REACHED", "note": "客户将于周五来网点"}},
        token=token,
        branch=care_branch.branch.code,
    )
    done = body["data"]["completeFollowUp"]
    assert done["errors"] == [] and done["followUp"]["state"] == "DONE" and done["followUp"]["attempts"] == 1
    async with rt.db.session(care_branch.branch.id) as session:
        logged = await session.scalar(select(func.count()).select_from(Interaction))
    assert logged == 1
    # the second manager, who does not hold it, finds nothing to complete
    other = await api.token(care_branch.cm2)
    again = await api.post(
        """mutation($i: CompleteFollowUpInput!) { completeFollowUp(input: $i) { errors { code field } } }""",
        {"i": {"id": edge["node"]["id"], "outcome": "REACHED"}},
        token=other,
        branch=care_branch.branch.code,
    )
    assert again["data"]["completeFollowUp"]["errors"] == [{"code": "NOT_FOUND", "field": "id"}]


async def test_follow_ups_page_both_ways_with_a_total(rt, api, care_branch):
    await _follow_ups_for(rt, care_branch, 5)
    token = await api.token(care_branch.head)
    query = """query($f: Int, $l: Int, $a: String, $b: String) { followUps(first: $f, last: $l, after: $a,
      before: $b, orderBy: {field: DUE_ON, direction: ASC}) { totalCount edges { cursor node { id dueOn } }
      pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } }"""
    forward = await api.post(query, {"f": 3}, token=token, branch=care_branch.branch.code)
    rest = await api.post(
        query, {"f": 3, "a": forward["data"]["followUps"]["pageInfo"]["endCursor"]}, token=token,
        branch=care_branch.branch.code,
    )  # fmt: skip
    backward = await api.post(query, {"l": 2}, token=token, branch=care_branch.branch.code)
    ids = [e["node"]["id"] for e in forward["data"]["followUps"]["edges"] + rest["data"]["followUps"]["edges"]]
    assert forward["data"]["followUps"]["totalCount"] == 5 and len(set(ids)) == 5
    assert [e["node"]["id"] for e in backward["data"]["followUps"]["edges"]] == ids[-2:]
    dues = [e["node"]["dueOn"] for e in forward["data"]["followUps"]["edges"] + rest["data"]["followUps"]["edges"]]
    assert dues == sorted(dues)


async def test_the_calendar_feed_answers_the_signed_link_only(rt, api, client, care_branch):
    await _follow_ups_for(rt, care_branch, 2)
    token = await api.token(care_branch.cm1)
    body = await api.post("{ myCareCalendar { path expiresAt } }", token=token, branch=care_branch.branch.code)
    path = body["data"]["myCareCalendar"]["path"]
    feed = await client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    text = feed.text
    assert text.startswith("BEGIN:VCALENDAR") and text.count("BEGIN:VEVENT") == 2 and "提醒客户更新身份信息" in text
    assert "王小明" not in text  # no client names leave the bank in a calendar
    parts = urlsplit(path)
    forged = parts.path.replace(str(care_branch.ids[care_branch.cm1]), str(care_branch.ids[care_branch.cm2]))
    refused = await client.get(f"{forged}?{parts.query}")
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == "CARE_FEED_LINK"
    expired = parts.query.replace("expires=", "expires=1")
    assert (await client.get(f"{parts.path}?{expired}")).status_code == 403


async def test_absences_through_the_api(rt, api, care_branch):
    token = await api.token(care_branch.head)
    start = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    staff_gid = await _gid(api, token, care_branch, care_branch.cm1)
    cover_gid = await _gid(api, token, care_branch, care_branch.cm2)
    recorded = await api.post(
        """mutation($i: RecordAbsenceInput!) { recordAbsence(input: $i) {
          absence { id reason staff { employeeNumber } cover { employeeNumber } } errors { code field } } }""",
        {
            "i": {
                "staffId": staff_gid,
                "startsAt": start.isoformat(),
                "endsAt": (start + timedelta(days=5)).isoformat(),
                "reason": "年假",
                "coverId": cover_gid,
            }
        },
        token=token,
        branch=care_branch.branch.code,
    )
    absence = recorded["data"]["recordAbsence"]["absence"]
    assert absence["cover"]["employeeNumber"] == care_branch.cm2
    listed = await api.post(
        "query($f: DateTime!, $t: DateTime!) { absences(from: $f, to: $t) { id reason } }",
        {"f": start.isoformat(), "t": (start + timedelta(days=1)).isoformat()},
        token=token,
        branch=care_branch.branch.code,
    )
    assert listed["data"]["absences"] == [{"id": absence["id"], "reason": "年假"}]
    cancelled = await api.post(
        "mutation($i: CancelAbsenceInput!) { cancelAbsence(input: $i) { absence { id } errors { code } } }",
        {"i": {"id": absence["id"]}},
        token=token,
        branch=care_branch.branch.code,
    )
    assert cancelled["data"]["cancelAbsence"] == {"absence": {"id": absence["id"]}, "errors": []}


async def _gid(api, token, care_branch, number):
    body = await api.post(
        "query($s: String) { staff(first: 5, search: $s) { edges { node { id employeeNumber } } } }",
        {"s": number},
        token=token,
        branch=care_branch.branch.code,
    )
    [edge] = [e for e in body["data"]["staff"]["edges"] if e["node"]["employeeNumber"] == number]
    return edge["node"]["id"]
