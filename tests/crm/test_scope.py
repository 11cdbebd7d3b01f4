"""Data scope: a customer manager's book, the branch head's branch, routing cards for the counter, a policy
change that widens a scope at once, and another branch's clients not found anywhere."""

from __future__ import annotations

import pytest

from tests.conftest import add_member
from tests.crm.conftest import create

pytestmark = pytest.mark.external

LIST = "query($f: ClientFilter) { clients(first: 100, filter: $f) { totalCount edges { node { id name } } } }"
ONE = "query($id: ID!) { client(id: $id) { id name } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Client { name } } }"
UPDATE = (
    """mutation($i: UpdateClientInput!) { updateClient(input: $i) { client { id notes } errors { code field } } }"""
)
ASSIGN = """mutation($i: AssignClientsInput!) { assignClients(input: $i) {
  moved clients { id owner { employeeNumber } } errors { code field } } }"""
CARD = """query($id: ID!) { clientRoutingCard(clientId: $id) {
  maskedName lifecycle openWork owner { employeeNumber } } }"""
GRANT = """mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) { errors { code field } } }"""
ME = "{ me { staff { id } } }"


def names(body):
    return {edge["node"]["name"] for edge in body["data"]["clients"]["edges"]}


async def staff_id(post) -> str:
    return (await post(ME))["data"]["me"]["staff"]["id"]


async def test_a_customer_manager_reads_changes_and_moves_only_their_own_clients(as_staff, crm_branch):
    # given a client of each customer manager
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    mine = await create(cm1, name="李娜")
    theirs = await create(cm2, name="王芳")

    # then each lists only their own, and the other's is not found through every door
    listed = await cm1(LIST)
    assert mine["name"] in names(listed) and theirs["name"] not in names(listed)
    assert (await cm1(ONE, {"id": theirs["id"]}))["data"]["client"] is None
    assert (await cm1(NODE, {"id": theirs["id"]}))["data"]["node"] is None
    updated = await cm1(UPDATE, {"i": {"id": theirs["id"], "notes": "not mine"}})
    assert updated["data"]["updateClient"] == {"client": None, "errors": [{"code": "NOT_FOUND", "field": "id"}]}
    moved = await cm1(ASSIGN, {"i": {"clientIds": [theirs["id"]], "toOwnerId": await staff_id(cm1), "reason": "x"}})
    assert moved["data"]["assignClients"]["errors"] == [{"code": "NOT_FOUND", "field": "clientIds"}]
    # and their own they can change
    own = await cm1(UPDATE, {"i": {"id": mine["id"], "notes": "prefers mornings"}})
    assert own["data"]["updateClient"]["client"]["notes"] == "prefers mornings"
    assert (await cm2(ONE, {"id": theirs["id"]}))["data"]["client"]["name"] == "王芳"


async def test_the_branch_head_sees_every_client_of_the_branch(as_staff, crm_branch):
    cm1, cm2, head = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2), await as_staff(crm_branch.head)
    a, b = await create(cm1, name="赵敏"), await create(cm2, name="周杰")
    assert {a["name"], b["name"]} <= names(await head(LIST))


async def test_a_teller_gets_the_routing_card_and_not_the_profile(as_staff, crm_branch):
    cm1, teller, lobby = (
        await as_staff(crm_branch.cm1),
        await as_staff(crm_branch.teller),
        await as_staff(crm_branch.lobby),
    )
    client = await create(cm1, name="欧阳娜娜", lifecycle="ACTIVE")
    for post in (teller, lobby):
        refused = await post(ONE, {"id": client["id"]})
        assert refused["data"]["client"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await post(NODE, {"id": client["id"]}))["data"]["node"] is None
        card = (await post(CARD, {"id": client["id"]}))["data"]["clientRoutingCard"]
        assert card == {
            "maskedName": "欧阳**",
            "lifecycle": "ACTIVE",
            "openWork": 0,
            "owner": {"employeeNumber": crm_branch.cm1},
        }


async def test_a_policy_change_to_branch_scope_takes_effect_without_a_restart(as_staff, crm_branch, rt):
    cm1, cm2, head = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2), await as_staff(crm_branch.head)
    theirs = await create(cm2, name="孙俪")
    assert (await cm1(ONE, {"id": theirs["id"]}))["data"]["client"] is None

    # when the branch head widens the customer managers' client:read to the whole branch
    change = {"role": "customer_manager", "permission": "client:read", "dataScope": "BRANCH", "reason": "cover"}
    assert (await head(GRANT, {"i": change}))["data"]["grantRolePermission"]["errors"] == []
    try:
        # then the next request sees it, in this process, with nothing restarted
        assert (await cm1(ONE, {"id": theirs["id"]}))["data"]["client"]["name"] == "孙俪"
        # and the scope is visible where compliance looks
        compliance = await add_member(rt, crm_branch.branch, ["compliance_officer"])
        audit = await as_staff(compliance)
        matrix = await audit("{ accessMatrix { cells { role permission granted source dataScope } } }")
        cell = next(
            c
            for c in matrix["data"]["accessMatrix"]["cells"]
            if c["role"] == "customer_manager" and c["permission"] == "client:read"
        )
        assert cell == {
            "role": "customer_manager",
            "permission": "client:read",
            "granted": True,
            "source": "GRANT",
            "dataScope": "BRANCH",
        }
        held = await audit(
            "query($s: ID!) { effectivePermissions(staffId: $s) { permission { name dataScoped } dataScope } }",
            {"s": await staff_id(cm1)},
        )
        scoped = {p["permission"]["name"]: p["dataScope"] for p in held["data"]["effectivePermissions"]}
        assert scoped["client:read"] == "BRANCH" and scoped["client:write"] == "OWN"
    finally:
        # back to the baseline's own scope: the override goes
        back = {**change, "dataScope": "OWN", "reason": "cover over"}
        assert (await head(GRANT, {"i": back}))["data"]["grantRolePermission"]["errors"] == []
    assert (await cm1(ONE, {"id": theirs["id"]}))["data"]["client"] is None


async def test_a_scope_is_refused_on_a_permission_without_one(as_staff, crm_branch):
    head = await as_staff(crm_branch.head)
    body = await head(GRANT, {"i": {"role": "teller", "permission": "staff:read", "dataScope": "BRANCH"}})
    assert body["data"]["grantRolePermission"]["errors"] == [
        {"code": "PERMISSION_NOT_DATA_SCOPED", "field": "dataScope"}
    ]


async def test_a_whole_portfolio_moves_in_one_mutation_with_its_history(as_staff, crm_branch, rt):
    leaving = await add_member(rt, crm_branch.branch, ["customer_manager"])
    departing, head, cm2 = await as_staff(leaving), await as_staff(crm_branch.head), await as_staff(crm_branch.cm2)
    made = [await create(departing, name=f"离职交接{i}") for i in range(3)]
    body = await head(
        ASSIGN,
        {
            "i": {
                "fromOwnerId": await staff_id(departing),
                "toOwnerId": await staff_id(cm2),
                "reason": "客户经理离职，整体移交",
            }
        },
    )
    payload = body["data"]["assignClients"]
    assert payload["errors"] == [] and payload["moved"] == 3
    assert {c["owner"]["employeeNumber"] for c in payload["clients"]} == {crm_branch.cm2}
    assert (await departing(LIST))["data"]["clients"]["totalCount"] == 0
    history = await cm2(
        "query($id: ID!) { client(id: $id) { assignmentHistory { reason actedBy fromOwner { employeeNumber } "
        "toOwner { employeeNumber } } } }",
        {"id": made[0]["id"]},
    )
    entries = history["data"]["client"]["assignmentHistory"]
    assert [e["reason"] for e in entries] == ["created", "客户经理离职，整体移交"]
    assert entries[1]["fromOwner"] == {"employeeNumber": leaving}
    assert entries[1]["toOwner"] == {"employeeNumber": crm_branch.cm2}
    assert crm_branch.head in entries[1]["actedBy"]


async def test_a_customer_manager_hands_their_own_client_to_a_colleague(as_staff, crm_branch):
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    client = await create(cm1, name="钱多多")
    body = await cm1(ASSIGN, {"i": {"clientIds": [client["id"]], "toOwnerId": await staff_id(cm2), "reason": "休假"}})
    assert body["data"]["assignClients"]["moved"] == 1
    assert body["data"]["assignClients"]["clients"] == []  # no longer in their scope: not shown
    assert (await cm2(ONE, {"id": client["id"]}))["data"]["client"]["name"] == "钱多多"


async def test_another_branchs_client_is_not_found_through_every_query_and_mutation(api, as_staff, crm_branch, world):
    cm1, head = await as_staff(crm_branch.cm1), await as_staff(crm_branch.head)
    client = await create(cm1, name="异地客户")
    other = await api.token(world.head_b)

    async def elsewhere(query, variables=None):
        return await api.post(query, variables, token=other, branch=world.branch_b.code)

    me_there = (await elsewhere(ME))["data"]["me"]["staff"]["id"]
    assert client["name"] not in names(await elsewhere(LIST))
    assert (await elsewhere(ONE, {"id": client["id"]}))["data"]["client"] is None
    assert (await elsewhere(NODE, {"id": client["id"]}))["data"]["node"] is None
    assert (await elsewhere(CARD, {"id": client["id"]}))["data"]["clientRoutingCard"] is None
    updated = await elsewhere(UPDATE, {"i": {"id": client["id"], "notes": "x"}})
    assert updated["data"]["updateClient"]["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    moved = await elsewhere(ASSIGN, {"i": {"clientIds": [client["id"]], "toOwnerId": me_there, "reason": "x"}})
    assert moved["data"]["assignClients"]["errors"] == [{"code": "NOT_FOUND", "field": "clientIds"}]
    assert (await head(ONE, {"id": client["id"]}))["data"]["client"]["name"] == "异地客户"


async def test_team_scope_reaches_the_books_of_colleagues_one_shares_a_client_with(as_staff, crm_branch, rt):
    # given cm1 on the team of one of a colleague's clients, and clients of that colleague and of cm2
    colleague = await add_member(rt, crm_branch.branch, ["customer_manager"])
    cm1, other, cm2 = await as_staff(crm_branch.cm1), await as_staff(colleague), await as_staff(crm_branch.cm2)
    head = await as_staff(crm_branch.head)
    shared = await create(other, name="共管客户", coOwnerIds=[await staff_id(cm1)])
    colleagues = await create(other, name="同事客户")
    strangers = await create(cm2, name="他人客户")
    seen = lambda body: names(body) & {"共管客户", "同事客户", "他人客户"}  # noqa: E731
    assert seen(await cm1(LIST)) == {"共管客户"}  # own scope: owned or co-owned

    # when the branch gives customer managers the team scope
    change = {"role": "customer_manager", "permission": "client:read", "dataScope": "TEAM", "reason": "desks"}
    assert (await head(GRANT, {"i": change}))["data"]["grantRolePermission"]["errors"] == []
    try:
        # then cm1 also reads the colleague's book, and still not cm2's
        assert seen(await cm1(LIST)) == {"共管客户", "同事客户"}
        assert (await cm1(ONE, {"id": colleagues["id"]}))["data"]["client"]["name"] == "同事客户"
        assert (await cm1(ONE, {"id": strangers["id"]}))["data"]["client"] is None
    finally:
        assert (await head(GRANT, {"i": {**change, "dataScope": "OWN"}}))["data"]["grantRolePermission"]["errors"] == []
    assert shared["name"] == "共管客户"
