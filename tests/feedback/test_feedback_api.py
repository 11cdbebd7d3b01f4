"""Feedback and complaints through the API: anonymous notes, the client in the caller's scope (else not
found), the workflow's mutations with their typed errors, the list's filters and both-way pages."""

from __future__ import annotations

import pytest

from tests.crm.conftest import create

pytestmark = pytest.mark.external

FIELDS = """id kind state anonymous summary breached acknowledgeDueAt resolveDueAt resolution
  category { code name } client { id } assignee { employeeNumber } history { action fromState toState note }"""
SUBMIT = f"""mutation($i: SubmitFeedbackInput!) {{ submitFeedback(input: $i) {{
  feedback {{ {FIELDS} }} errors {{ code field message }} }} }}"""
STEP = """mutation($i: ComplaintStepInput!) {{ {name}(input: $i) {{
  feedback {{ id state }} errors {{ code field message }} }} }}"""
RESOLVE = """mutation($i: ResolveComplaintInput!) { resolveComplaint(input: $i) {
  feedback { id state resolution } errors { code field message } } }"""
ASSIGN = """mutation($i: AssignComplaintInput!) { assignComplaint(input: $i) {
  feedback { id assignee { employeeNumber } } errors { code field } } }"""
LIST = """query($f: FeedbackFilter, $first: Int, $last: Int, $after: String, $before: String, $o: FeedbackOrder) {
  feedback(filter: $f, first: $first, last: $last, after: $after, before: $before, orderBy: $o) {
  totalCount edges { cursor node { id summary } } pageInfo { hasNextPage hasPreviousPage } } }"""
ME = "{ me { staff { id } } }"


def complaint(**fields):
    return {"kind": "COMPLAINT", "channel": "COUNTER", "category": "service_attitude", "summary": "柜员态度", **fields}


async def submitted(post, **fields):
    body = await post(SUBMIT, {"i": complaint(**fields)})
    payload = body["data"]["submitFeedback"]
    assert payload["errors"] == [], payload
    return payload["feedback"]


async def test_an_anonymous_opinion_box_note(as_staff, crm_branch):
    teller = await as_staff(crm_branch.teller)
    note = await submitted(teller, kind="SUGGESTION", channel="OPINION_BOX", category="facilities", summary="增加座椅")
    assert note["anonymous"] and note["client"] is None
    assert note["state"] is None and note["acknowledgeDueAt"] is None and note["history"] == []
    anonymous = await submitted(teller, channel="OPINION_BOX")
    assert anonymous["anonymous"] and anonymous["state"] == "RECEIVED" and anonymous["acknowledgeDueAt"]


async def test_the_client_must_be_in_the_callers_scope(as_staff, crm_branch):
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    mine = await create(cm1, name="赵敏")
    # cm1 names their own client
    found = await submitted(cm1, clientId=mine["id"])
    assert found["client"] == {"id": mine["id"]} and not found["anonymous"]
    # another customer manager's client is not found, and nothing is recorded
    body = await cm2(SUBMIT, {"i": complaint(clientId=mine["id"], summary="越权")})
    payload = body["data"]["submitFeedback"]
    assert payload["feedback"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "clientId")]
    # a teller, who reads routing cards only, names any client of the branch they serve at the counter
    teller = await as_staff(crm_branch.teller)
    at_counter = await submitted(teller, clientId=mine["id"])
    assert at_counter["client"] is None  # recorded against the client, whose profile the teller does not read


async def test_a_complaint_through_its_workflow(as_staff, crm_branch):
    lobby, head = await as_staff(crm_branch.lobby), await as_staff(crm_branch.head)
    made = await submitted(lobby, severity="HIGH")
    assert made["state"] == "RECEIVED" and [h["action"] for h in made["history"]] == ["receive"]
    step = lambda name, **extra: head(STEP.format(name=name), {"i": {"id": made["id"], **extra}})  # noqa: E731
    # a refused transition is a typed error naming the current state
    refused = (await step("closeComplaint"))["data"]["closeComplaint"]
    assert refused["feedback"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("COMPLAINT_TRANSITION_REFUSED", "id")]
    assert "received" in refused["errors"][0]["message"]
    assert (await step("acknowledgeComplaint", note="已致电客户"))["data"]["acknowledgeComplaint"]["feedback"][
        "state"
    ] == "ACKNOWLEDGED"
    assert (await step("startInvestigation"))["data"]["startInvestigation"]["feedback"]["state"] == "INVESTIGATING"
    # resolving needs the resolution
    blank = (await head(RESOLVE, {"i": {"id": made["id"], "resolution": " "}}))["data"]["resolveComplaint"]
    assert [(e["code"], e["field"]) for e in blank["errors"]] == [("COMPLAINT_RESOLUTION_REQUIRED", "resolution")]
    resolved = (await head(RESOLVE, {"i": {"id": made["id"], "resolution": "已道歉并加强培训"}}))["data"][
        "resolveComplaint"
    ]
    assert resolved["feedback"] == {"id": made["id"], "state": "RESOLVED", "resolution": "已道歉并加强培训"}
    assert (await step("closeComplaint"))["data"]["closeComplaint"]["feedback"]["state"] == "CLOSED"
    assert (await step("reopenComplaint"))["data"]["reopenComplaint"]["feedback"]["state"] == "INVESTIGATING"
    # assigned to a member of the branch
    cm_id = (await (await as_staff(crm_branch.cm1))(ME))["data"]["me"]["staff"]["id"]
    assigned = (await head(ASSIGN, {"i": {"id": made["id"], "assigneeId": cm_id}}))["data"]["assignComplaint"]
    assert assigned["feedback"]["assignee"] == {"employeeNumber": crm_branch.cm1}


async def test_a_teller_cannot_work_complaints(as_staff, crm_branch):
    teller = await as_staff(crm_branch.teller)
    made = await submitted(teller)
    body = await teller(STEP.format(name="acknowledgeComplaint"), {"i": {"id": made["id"]}})
    assert not (body["data"] or {}).get("acknowledgeComplaint")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_list_filters_counts_and_pages_both_ways(as_staff, crm_branch):
    head = await as_staff(crm_branch.head)
    marker = "分页测试"
    made = [await submitted(head, category="loans", summary=f"{marker}{n}") for n in range(3)]
    await submitted(head, kind="PRAISE", category="loans", summary="表扬")
    wanted = {"kind": "COMPLAINT", "category": "loans", "state": "RECEIVED", "breached": False}
    first = (await head(LIST, {"f": wanted, "first": 2}))["data"]["feedback"]
    assert first["totalCount"] >= 3 and first["pageInfo"]["hasNextPage"]
    newest = [e["node"]["summary"] for e in first["edges"]]
    assert newest == [f"{marker}2", f"{marker}1"]
    rest = (await head(LIST, {"f": wanted, "first": 5, "after": first["edges"][-1]["cursor"]}))["data"]["feedback"]
    assert rest["edges"][0]["node"]["summary"] == f"{marker}0"
    back = (await head(LIST, {"f": wanted, "last": 1, "before": first["edges"][-1]["cursor"]}))["data"]["feedback"]
    assert [e["node"]["id"] for e in back["edges"]] == [made[2]["id"]]
    oldest_first = await head(LIST, {"f": wanted, "first": 100, "o": {"field": "RECEIVED_AT", "direction": "ASC"}})
    summaries = [e["node"]["summary"] for e in oldest_first["data"]["feedback"]["edges"]]
    assert summaries.index(f"{marker}0") < summaries.index(f"{marker}2")
    praise = (await head(LIST, {"f": {"kind": "PRAISE", "category": "loans"}}))["data"]["feedback"]
    assert {e["node"]["summary"] for e in praise["edges"]} == {"表扬"}
    unknown = await head(LIST, {"f": {"category": "nope"}})
    assert unknown["errors"][0]["extensions"]["code"] == "FEEDBACK_UNKNOWN_CATEGORY"


async def test_categories_and_the_sla_table_are_head_offices(as_staff, crm_branch, api, world):
    head = await as_staff(crm_branch.head)
    categories = (await head("{ feedbackCategories { code name } }"))["data"]["feedbackCategories"]
    assert {"code": "waiting_time", "name": "Waiting time"} in categories
    slas = (await head("{ complaintSlas { category severity acknowledgeHours resolveDays } }"))["data"]["complaintSlas"]
    assert {"category": "*", "severity": "CRITICAL", "acknowledgeHours": 2, "resolveDays": 2} in slas
    setting = """mutation($i: SetComplaintSlaInput!) { setComplaintSla(input: $i) {
      sla { category acknowledgeHours } errors { code field } } }"""
    values = {"category": "loans", "severity": "LOW", "acknowledgeHours": 12, "resolveDays": 10}
    refused = await head(setting, {"i": values})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    token = await api.token(world.ho_admin)
    done = await api.post(setting, {"i": values}, token=token, branch=world.head_office.code)
    assert done["data"]["setComplaintSla"] == {"sla": {"category": "loans", "acknowledgeHours": 12}, "errors": []}


PAGE = """query($f: FeedbackFilter, $n: Int) { feedback(first: $n, filter: $f) { edges { node {
  id summary state breached category { code name } client { id name } assignee { employeeNumber }
  history { action at } escalations { breach } } } } }"""


async def test_a_page_of_complaints_costs_the_same_statements_whatever_its_size(as_staff, crm_branch, api, sql_counter):
    head = await as_staff(crm_branch.head)
    cm = await as_staff(crm_branch.cm1)
    client = await create(cm, name="钱多多")
    cm_id = (await cm(ME))["data"]["me"]["staff"]["id"]
    for n in range(6):
        await submitted(head, category="account_services", clientId=client["id"], assigneeId=cm_id, summary=f"计数{n}")
    token = await api.token(crm_branch.head)
    counts = []
    for size in (2, 6):
        variables = {"f": {"category": "account_services"}, "n": size}
        await api.post(PAGE, variables, token=token, branch=crm_branch.code)  # warm: policy and branch cached
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(PAGE, variables, token=token, branch=crm_branch.code)
        assert "errors" not in body, body
        assert len(body["data"]["feedback"]["edges"]) == size
        counts.append(sql_counter.count)
    # entry (1), the category filter's lookup, the page, then one batch each: categories, clients, members,
    # history, escalations
    assert counts == [8, 8]
