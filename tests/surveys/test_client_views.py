"""What the client 360 gains here: its survey responses (batched: the same statements for any page),
when it was last contacted, and an interaction's client (through the scoped client loader)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from branchdesk.tenants.models import BranchLevel
from tests.conftest import onboard, unique_code, unique_employee_number
from tests.crm.conftest import create
from tests.surveys.conftest import define, new_client, respond

pytestmark = pytest.mark.external

PAGE = """query($n: Int) { clients(first: $n) { edges { node {
  id lastContactAt surveyResponses { respondedAt survey { id title } answers { question value } } } } } }"""
LOG = """mutation($i: LogInteractionInput!) { logInteraction(input: $i) {
  interaction { id client { id lastContactAt } } errors { code field } } }"""
TIMELINE = """query($id: ID!) { client(id: $id) { interactions(first: 5) { edges { node { client { id } } } } } }"""


async def test_a_page_with_survey_responses_costs_the_same_statements_whatever_its_size(rt, api, world, sql_counter):
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    survey = await define(rt, branch, head)
    for n in range(6):
        client = await new_client(rt, branch, head, [])
        await respond(rt, branch, head, survey.id, 1 + n % 5, n, client_id=client.id)
    token = await api.token(head)
    counts = []
    for size in (2, 6):
        await api.post(PAGE, {"n": size}, token=token, branch=branch.code)  # warm: policy and branch cached
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(PAGE, {"n": size}, token=token, branch=branch.code)
        assert "errors" not in body, body
        edges = body["data"]["clients"]["edges"]
        assert len(edges) == size and all(len(e["node"]["surveyResponses"]) == 1 for e in edges)
        counts.append(sql_counter.count)
    # entry (1), the page, then one batch each: responses, their answers, their surveys
    assert counts == [5, 5]


async def test_logging_a_call_sets_last_contact_and_the_interaction_names_its_client(as_staff, crm_branch):
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    mine = await create(cm1, name="周芷若")
    occurred = datetime.now(UTC).isoformat()
    call = {"clientId": mine["id"], "kind": "CALL", "channel": "PHONE", "occurredAt": occurred, "summary": "回访"}
    body = await cm1(LOG, {"i": call})
    logged = body["data"]["logInteraction"]
    assert logged["errors"] == [], logged
    assert logged["interaction"]["client"]["id"] == mine["id"] and logged["interaction"]["client"]["lastContactAt"]
    timeline = await cm1(TIMELINE, {"id": mine["id"]})
    assert [e["node"]["client"]["id"] for e in timeline["data"]["client"]["interactions"]["edges"]] == [mine["id"]]
    # another manager reaches neither the client nor, through it, its timeline
    assert (await cm2(TIMELINE, {"id": mine["id"]}))["data"]["client"] is None
