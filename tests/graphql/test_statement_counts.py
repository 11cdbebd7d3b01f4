"""The SQL statements a request sends, pinned exactly (Zulip style): a change that adds a round trip to
the request path fails here. Counted once the process knows the branch (its policy and code are cached,
as they are for every request after a branch's first)."""

from __future__ import annotations

import pytest

from tests.conftest import add_member

pytestmark = pytest.mark.external

STAFF_PAGE = "{ staff(first: 20) { edges { node { id employeeNumber displayName email roles } } } }"


async def _count(api, sql_counter, query, token, branch, variables=None):
    await api.post(query, variables, token=token, branch=branch)  # warm: policy and branch code cached
    sql_counter.count = 0
    with sql_counter:
        body = await api.post(query, variables, token=token, branch=branch)
    assert "errors" not in body, body
    return sql_counter.count, body


async def test_entering_a_branch_costs_one_statement(api, world, sql_counter):
    token = await api.token(world.head_a)
    count, _ = await _count(api, sql_counter, "{ __typename }", token, world.branch_a.code)
    assert count == 1  # enter_branch: binding the branch, then the caller's standing there, in one call


async def test_me_costs_entry_plus_one(api, world, sql_counter):
    token = await api.token(world.head_a)
    count, body = await _count(
        api, sql_counter, "{ me { employeeNumber memberships { branch { code } roles } } }", token, world.branch_a.code
    )
    assert body["data"]["me"]["employeeNumber"] == world.head_a
    assert count == 2  # entry, then the staff member with their memberships across branches, in one


async def test_my_name_and_number_cost_entry_only(api, world, sql_counter):
    token = await api.token(world.head_a)
    count, body = await _count(api, sql_counter, "{ me { employeeNumber displayName } }", token, world.branch_a.code)
    assert body["data"]["me"]["employeeNumber"] == world.head_a
    assert count == 1  # entering the branch reads them already; the cross-branch read only when asked


async def test_me_without_a_branch_costs_one(api, world, sql_counter):
    token = await api.token(world.head_a)
    count, body = await _count(
        api, sql_counter, "{ me { employeeNumber staff { id } branchMemberships { id } } }", token, None
    )
    assert body["data"]["me"]["employeeNumber"] == world.head_a
    assert count == 1  # no branch entered: the staff member with their memberships across branches, read once


async def test_a_staff_page_costs_entry_plus_one(api, world, sql_counter):
    for _ in range(3):
        await add_member(api.client._transport.app.state.runtime, world.branch_a, ["teller"])
    token = await api.token(world.head_a)
    count, body = await _count(api, sql_counter, STAFF_PAGE, token, world.branch_a.code)
    assert len(body["data"]["staff"]["edges"]) >= 4
    assert count == 2  # entry, then one page of members with their roles, however many there are


async def test_the_last_staff_page_costs_entry_plus_one(api, world, sql_counter):
    token = await api.token(world.head_a)
    query = STAFF_PAGE.replace("first: 20", "last: 20")
    count, body = await _count(api, sql_counter, query, token, world.branch_a.code)
    assert body["data"]["staff"]["edges"]
    assert count == 2  # entry, then the tail read in reverse (turned back in Python, not by another query)


async def test_total_count_costs_one_statement_and_only_when_asked(api, world, sql_counter):
    token = await api.token(world.head_a)
    query = STAFF_PAGE.replace("staff(first: 20) {", "staff(first: 20) { totalCount")
    count, body = await _count(api, sql_counter, query, token, world.branch_a.code)
    assert body["data"]["staff"]["totalCount"] >= len(body["data"]["staff"]["edges"])
    assert count == 3  # entry, the page, the count


async def test_node_costs_entry_plus_one(api, world, sql_counter):
    token = await api.token(world.head_a)
    page = await api.post(STAFF_PAGE, token=token, branch=world.branch_a.code)
    staff_id = page["data"]["staff"]["edges"][0]["node"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on StaffMember { employeeNumber } } }"
    count, body = await _count(api, sql_counter, query, token, world.branch_a.code, {"id": staff_id})
    assert body["data"]["node"]["employeeNumber"]
    assert count == 2  # entry, then the batch's members with their roles (no personal data asked, none read)
    twice = "query($id: ID!) { a: node(id: $id) { id } b: node(id: $id) { ... on StaffMember { employeeNumber } } }"
    count, body = await _count(api, sql_counter, twice, token, world.branch_a.code, {"id": staff_id})
    assert body["data"]["a"]["id"] == staff_id and body["data"]["b"]["employeeNumber"]
    assert count == 2  # the same id asked for twice at once is read once


async def test_a_mutation_costs_a_pinned_number_of_statements(api, world, sql_counter):
    token = await api.token(world.head_a)
    grant = """mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) {
        role permissions { name } errors { code } } }"""
    revoke = grant.replace("grantRolePermission", "revokeRolePermission")
    variables = {"i": {"role": "it_support", "permission": "client:read", "reason": "statement count"}}
    await api.post(revoke, variables, token=token, branch=world.branch_a.code)
    await api.post("{ __typename }", token=token, branch=world.branch_a.code)  # the changed policy reloads
    sql_counter.count = 0
    with sql_counter:
        body = await api.post(grant, variables, token=token, branch=world.branch_a.code)
    assert body["data"]["grantRolePermission"]["errors"] == [], body
    assert sql_counter.count == 12  # entry, savepoint, the change, its history and audit record, the role now


async def test_personal_data_is_read_only_when_the_response_shows_it(api, world, sql_counter):
    token = await api.token(world.head_a)
    with_pii = STAFF_PAGE.replace("email roles", "email roles phone")
    count, body = await _count(api, sql_counter, with_pii, token, world.branch_a.code)
    assert all("phone" in edge["node"] for edge in body["data"]["staff"]["edges"])
    assert count == 3  # entry, the page, then the personal data of the whole page at once


async def test_my_sessions_cost_one_statement(api, world, sql_counter):
    token = await api.token(world.head_a)
    query = "{ me { employeeNumber sessions { id createdAt lastUsedAt userAgent current } } }"
    count, body = await _count(api, sql_counter, query, token, world.branch_a.code)
    assert any(s["current"] for s in body["data"]["me"]["sessions"])
    assert count == 2  # entry (which reads your name and number too), then every active session, in one


async def test_a_cover_in_me_and_the_staff_page_costs_nothing_more(api, world, sql_counter):
    token = await api.token(world.head_a)
    mine = "{ me { branchMemberships { kind startsAt endsAt roles { name } } } }"
    count, _ = await _count(api, sql_counter, mine, token, world.branch_a.code)
    assert count == 2  # the membership's window comes with the memberships, in the same statement
    page = STAFF_PAGE.replace("roles }", "roles membership { kind endsAt } }")
    count, _ = await _count(api, sql_counter, page, token, world.branch_a.code)
    assert count == 2


async def test_a_staff_page_reads_membership_windows_only_when_it_shows_memberships(api, world, sql_counter):
    token = await api.token(world.head_a)
    with sql_counter:
        plain = await api.post(STAFF_PAGE, token=token, branch=world.branch_a.code)
        shown = await api.post(
            STAFF_PAGE.replace("roles }", "roles membership { kind } }"), token=token, branch=world.branch_a.code
        )
    statements = sql_counter.statements
    pages = [s for s in statements if "JOIN memberships" in s and "LIMIT" in s]
    # two timestamps a row, decoded only if shown (nulls stand in for the window otherwise)
    assert ["memberships.starts_at" in page for page in pages] == [False, True]
    assert [{**e["node"], "membership": None} for e in shown["data"]["staff"]["edges"]] == [
        {**e["node"], "membership": None} for e in plain["data"]["staff"]["edges"]
    ]
    assert {e["node"]["membership"]["kind"] for e in shown["data"]["staff"]["edges"]} == {"REGULAR"}


async def test_membership_history_costs_entry_plus_two(api, world, sql_counter):
    token = await api.token(world.head_a)
    history = "query($n: String, $at: DateTime) { membershipHistory(employeeNumber: $n, at: $at) { kind } }"
    count, body = await _count(api, sql_counter, history, token, world.branch_a.code, {"n": world.head_a})
    assert body["data"]["membershipHistory"]
    assert count == 3  # entry, the member, their periods
    now = {"at": "2099-01-01T00:00:00+00:00"}
    count, body = await _count(api, sql_counter, history, token, world.branch_a.code, now)
    assert body["data"]["membershipHistory"]
    assert count == 3  # entry, the periods then, the members they belong to (one batch)
