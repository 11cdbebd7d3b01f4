"""Recording clients: every bad field named, nothing half-written; derived birthdays; the list's filters
and orders; a page costs the same number of statements whatever its size."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from branchdesk.crm.models import Client
from tests.crm.conftest import CREATE, client_input, create, mobile, resident_id

pytestmark = pytest.mark.external

LIST = """query($f: ClientFilter, $o: ClientOrder, $n: Int, $after: String, $last: Int, $before: String) {
  clients(first: $n, after: $after, last: $last, before: $before, filter: $f, orderBy: $o) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { node { id name } } } }"""


async def _count_clients(rt, branch_id) -> int:
    async with rt.db.session(branch_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Client).where(Client.tenant_id == branch_id)))


async def test_a_resident_id_gives_the_birthday_and_gender(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    number = resident_id(date(1990, 2, 28), sequence=123)  # the 17th digit, 3, is odd: male
    client = await create(cm1, idType="RESIDENT_ID", idNumber=number.lower(), phone="139 1234 5678")
    assert client["birthday"] == "1990-02-28" and client["gender"] == "MALE"
    assert client["idNumber"] == number  # the owner holds client.pii:read: unmasked, upper-case X
    assert client["phone"] == "13912345678"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"idType": "RESIDENT_ID", "idNumber": "110105198506151230"}, "CLIENT_ID_CHECK_DIGIT", "idNumber"),
        ({"idType": "RESIDENT_ID", "idNumber": "11010519850615123"}, "CLIENT_ID_NUMBER_FORMAT", "idNumber"),
        ({"idType": "RESIDENT_ID", "idNumber": "110105198502301234"}, "CLIENT_ID_NUMBER_FORMAT", "idNumber"),
        ({"idType": "PASSPORT"}, "CLIENT_ID_NUMBER_REQUIRED", "idNumber"),
        ({"phone": "12345678901"}, "CLIENT_PHONE_FORMAT", "phone"),
        ({"phone": "+0861391234"}, "CLIENT_PHONE_FORMAT", "phone"),
        ({"doNotContact": True, "consents": ["SMS"], "phone": "13912345678"}, "CLIENT_CONSENT_CONFLICT", "consents"),
        ({"consents": ["WECHAT"]}, "CLIENT_CONSENT_NEEDS_PHONE", "consents"),
        (
            {"idType": "RESIDENT_ID", "idNumber": resident_id(date(1985, 6, 15)), "birthday": "1985-06-16"},
            "CLIENT_BIRTHDAY_MISMATCH",
            "birthday",
        ),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    as_staff, crm_branch, rt, fields, code, field
):
    cm1 = await as_staff(crm_branch.cm1)
    before = await _count_clients(rt, crm_branch.branch.id)
    body = await cm1(CREATE, {"i": client_input(**fields)})
    payload = body["data"]["createClient"]
    assert payload["client"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload
    assert await _count_clients(rt, crm_branch.branch.id) == before


async def test_every_bad_field_is_reported_at_once(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    body = await cm1(CREATE, {"i": client_input(idType="RESIDENT_ID", idNumber="110105198506151230", phone="42")})
    assert {e["field"] for e in body["data"]["createClient"]["errors"]} == {"idNumber", "phone"}


async def test_a_client_number_is_unique_in_the_branch(as_staff, crm_branch, rt):
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    first = await create(cm1)
    before = await _count_clients(rt, crm_branch.branch.id)
    body = await cm2(CREATE, {"i": client_input(clientNumber=first["clientNumber"])})
    assert body["data"]["createClient"]["errors"][0]["code"] == "CLIENT_NUMBER_TAKEN"
    assert body["data"]["createClient"]["errors"][0]["field"] == "clientNumber"
    assert await _count_clients(rt, crm_branch.branch.id) == before
    other = await create(cm2)
    renumbered = await cm2(
        """mutation($i: UpdateClientInput!) { updateClient(input: $i) { client { id } errors { code field } } }""",
        {"i": {"id": other["id"], "clientNumber": first["clientNumber"]}},
    )
    assert renumbered["data"]["updateClient"]["errors"] == [{"code": "CLIENT_NUMBER_TAKEN", "field": "clientNumber"}]


async def test_an_update_changes_only_what_is_given_and_rederives_from_a_new_id(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    client = await create(cm1, idType="RESIDENT_ID", idNumber=resident_id(date(1980, 1, 2), sequence=221))
    update = """mutation($i: UpdateClientInput!) { updateClient(input: $i) {
      client { name birthday gender idNumber occupation } errors { code field } } }"""
    body = await cm1(update, {"i": {"id": client["id"], "idNumber": resident_id(date(1975, 3, 4), sequence=222)}})
    changed = body["data"]["updateClient"]["client"]
    assert changed["birthday"] == "1975-03-04" and changed["gender"] == "FEMALE" and changed["name"] == "张伟"
    cleared = await cm1(update, {"i": {"id": client["id"], "occupation": "教师"}})
    assert cleared["data"]["updateClient"]["client"]["birthday"] == "1975-03-04"
    assert cleared["data"]["updateClient"]["client"]["occupation"] == "教师"


async def test_the_list_filters_and_pages_both_ways(as_staff, crm_branch, rt):
    cm = await as_staff(crm_branch.cm2)
    today = date.today()
    soon = today + timedelta(days=2)
    born = date(1988, soon.month, min(soon.day, 28))
    tag = "filter-test"
    a = await create(cm, name="筛选1", tags=[tag], lifecycle="DORMANT", kycExpiresOn=str(today + timedelta(days=5)))
    b = await create(cm, name="筛选3", tags=[tag], birthday=str(born), phone=(phone := mobile()))
    c = await create(cm, name="筛选2", tags=[tag], idType="PASSPORT", idNumber="E12345678")

    async def ids(f, **extra):
        body = await cm(LIST, {"f": {"tag": tag, **f}, "n": 10, **extra})
        assert "errors" not in body, body
        return [e["node"]["id"] for e in body["data"]["clients"]["edges"]]

    assert await ids({}) == [a["id"], c["id"], b["id"]]  # by name
    assert await ids({"lifecycle": "DORMANT"}) == [a["id"]]
    assert await ids({"kycExpiringBefore": str(today + timedelta(days=10))}) == [a["id"]]
    if (born.month, born.day) == (soon.month, soon.day):
        assert await ids({"birthdayWithinDays": 3}) == [b["id"]]
    assert await ids({"phone": phone}) == [b["id"]]
    assert await ids({"phone": "+86" + phone}) == [b["id"]]
    assert await ids({"idNumber": "e12345678"}) == [c["id"]]
    assert await ids({"namePrefix": "筛选3"}) == [b["id"]]
    assert await ids({"namePrefix": "筛%"}) == []

    first = await cm(LIST, {"f": {"tag": tag}, "n": 2})
    page = first["data"]["clients"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = await cm(LIST, {"f": {"tag": tag}, "n": 2, "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in rest["data"]["clients"]["edges"]] == [b["id"]]
    tail = await cm(LIST, {"f": {"tag": tag}, "n": None, "last": 2})
    assert [e["node"]["id"] for e in tail["data"]["clients"]["edges"]] == [c["id"], b["id"]]
    desc = await cm(LIST, {"f": {"tag": tag}, "n": 3, "o": {"field": "NAME", "direction": "DESC"}})
    assert [e["node"]["id"] for e in desc["data"]["clients"]["edges"]] == [b["id"], c["id"], a["id"]]


PAGE = """query($n: Int!) { clients(first: $n) { edges { node {
  id name lifecycle owner { employeeNumber displayName } team { employeeNumber } } } } }"""


async def test_a_page_costs_the_same_statements_for_10_or_100_clients_with_owner_and_team(api, rt, world, sql_counter):
    from branchdesk.tenants.models import BranchLevel
    from tests.conftest import add_member, onboard, unique_code, unique_employee_number

    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    managers = [await add_member(rt, branch, ["customer_manager"]) for _ in range(3)]
    tokens = [await api.token(m) for m in managers]
    ids = [(await api.post("{ me { staff { id } } }", token=t, branch=branch.code)) for t in tokens]
    staff = [body["data"]["me"]["staff"]["id"] for body in ids]
    for i in range(110):
        body = await api.post(
            CREATE,
            {"i": client_input(name=f"计数{i:03d}", coOwnerIds=[staff[(i + 1) % 3]])},
            token=tokens[i % 3],
            branch=branch.code,
        )
        assert body["data"]["createClient"]["errors"] == [], body
    token = await api.token(head)

    async def count(n):
        await api.post(PAGE, {"n": n}, token=token, branch=branch.code)  # warm: branch and policy cached
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(PAGE, {"n": n}, token=token, branch=branch.code)
        assert "errors" not in body, body
        assert len(body["data"]["clients"]["edges"]) == n
        assert all(e["node"]["team"] and e["node"]["owner"] for e in body["data"]["clients"]["edges"])
        return sql_counter.count

    ten, hundred = await count(10), await count(100)
    # entry (1), the page with each client's team, the members (owners and teams in one batch): the same for
    # any page size
    assert ten == hundred == 3


async def test_a_page_reads_its_owners_and_teams_ahead_and_answers_as_graphql_core_does(
    api, rt, settings, crm_branch, as_staff, monkeypatch
):
    import httpx

    from branchdesk.api import create_app
    from branchdesk.graphql.crm import types

    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    cm2_id = (await cm2("{ me { staff { id } } }"))["data"]["me"]["staff"]["id"]
    tag = "read-ahead"
    for i in range(3):
        await create(cm1, name=f"预读{i}", tags=[tag], coOwnerIds=[cm2_id] if i != 1 else [])
    query = """query($f: ClientFilter) { clients(first: 10, filter: $f) { edges { node {
      id name owner { employeeNumber displayName } team { employeeNumber } } } } }"""
    body = {"query": query, "variables": {"f": {"tag": tag}}}
    headers = {"Authorization": f"Bearer {await api.token(crm_branch.head)}", "X-Branch": crm_branch.code}
    resolved = []
    member_or_none = types.member_or_none

    async def counted(info, staff_id):
        resolved.append(staff_id)
        return await member_or_none(info, staff_id)

    monkeypatch.setattr(types, "member_or_none", counted)
    answers = []
    for compiled in (True, False):
        app = create_app(settings, rt, compiled_completion=compiled)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            answers.append((await client.post("/graphql", json=body, headers=headers)).content)

    planned, plain = answers
    assert planned == plain
    edges = json.loads(planned)["data"]["clients"]["edges"]
    assert [e["node"]["owner"]["employeeNumber"] for e in edges] == [crm_branch.cm1] * 3
    assert [len(e["node"]["team"]) for e in edges] == [1, 0, 1]
    assert resolved == []  # no client's owner was resolved on its own: the page read them ahead
