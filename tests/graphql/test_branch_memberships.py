"""Tenancy in a client's cache: one global id never changes meaning with X-Branch. What depends on the
branch (roles) lives on BranchMembership, whose id is the branch and the member; `me` gives the staff
member's node and global id."""

from __future__ import annotations

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.settings import Settings
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

ME = """{ me { staff { id employeeNumber }
              branchMemberships { id branch { code } roles { name label } } } }"""
STAFF = "{ staff(first: 100) { edges { node { id employeeNumber membership { id roles { name } } } } } }"


async def test_a_member_of_two_branches_has_one_membership_node_per_branch(api, rt, world):
    number = await add_member(rt, world.branch_a, ["customer_manager"])
    await add_member(rt, world.branch_b, ["teller"], number)
    token = await api.token(number)

    seen_from_a = (await api.post(ME, token=token, branch=world.branch_a.code))["data"]["me"]
    seen_from_b = (await api.post(ME, token=token, branch=world.branch_b.code))["data"]["me"]

    # the same objects under the same ids whichever branch is active: a cache can hold both
    assert seen_from_a == seen_from_b
    by_branch = {m["branch"]["code"]: m for m in seen_from_a["branchMemberships"]}
    assert by_branch[world.branch_a.code]["roles"] == [{"name": "customer_manager", "label": "Customer manager"}]
    assert by_branch[world.branch_b.code]["roles"] == [{"name": "teller", "label": "Teller"}]
    assert by_branch[world.branch_a.code]["id"] != by_branch[world.branch_b.code]["id"]


async def test_role_labels_follow_accept_language(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    token = await api.token(number)
    body = await api.post(ME, token=token, branch=world.branch_a.code, headers={"Accept-Language": "zh-CN"})
    [membership] = body["data"]["me"]["branchMemberships"]
    assert membership["roles"] == [{"name": "teller", "label": "柜员"}]


async def test_a_staff_list_carries_each_members_membership_of_the_active_branch(api, rt, world):
    number = await add_member(rt, world.branch_a, ["customer_manager"])
    await add_member(rt, world.branch_b, ["teller"], number)
    token_a, token_b = await api.token(world.head_a), await api.token(world.head_b)

    def mine(body):
        return next(e["node"] for e in body["data"]["staff"]["edges"] if e["node"]["employeeNumber"] == number)

    in_a = mine(await api.post(STAFF, token=token_a, branch=world.branch_a.code))
    in_b = mine(await api.post(STAFF, token=token_b, branch=world.branch_b.code))
    assert in_a["id"] == in_b["id"]  # the person
    assert in_a["membership"]["id"] != in_b["membership"]["id"]  # their place in each branch
    assert in_a["membership"]["roles"] == [{"name": "customer_manager"}]
    assert in_b["membership"]["roles"] == [{"name": "teller"}]


async def test_a_membership_is_a_node_of_its_own_branch_only(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    await add_member(rt, world.branch_b, ["teller"], number)
    token = await api.token(number)
    me = (await api.post(ME, token=token, branch=world.branch_a.code))["data"]["me"]
    ids = {m["branch"]["code"]: m["id"] for m in me["branchMemberships"]}
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on BranchMembership { roles { name } } } }"

    body = await api.post(
        query, {"ids": [ids[world.branch_a.code], ids[world.branch_b.code]]}, token=token, branch=world.branch_a.code
    )

    assert body["data"]["nodes"] == [{"id": ids[world.branch_a.code], "roles": [{"name": "teller"}]}, None]


async def test_me_gives_a_global_id_that_arguments_accept(api, rt, world):
    token = await api.token(await add_member(rt, world.branch_a, ["compliance_officer"]))
    me = (await api.post("{ me { staff { id } } }", token=token, branch=world.branch_a.code))["data"]["me"]
    body = await api.post(
        "query($s: ID!) { effectivePermissions(staffId: $s) { permission { name } } }",
        {"s": me["staff"]["id"]},
        token=token,
        branch=world.branch_a.code,
    )
    assert "errors" not in body and body["data"]["effectivePermissions"]


def test_the_branch_dependent_and_raw_fields_are_deprecated_with_a_reason():
    types = build_schema(Settings())._schema.type_map
    assert "membership" in types["StaffMember"].fields["roles"].deprecation_reason
    assert "staff.id" in types["Me"].fields["id"].deprecation_reason


async def test_personal_data_is_masked_per_branch_on_the_membership_whose_id_says_which(api, rt, world):
    from branchdesk.tenants import repository

    # given a member of both branches, and a viewer who may see personal data in A but not in B (branches of
    # the test's own: the shared ones must not gain personal data that other tests would read)
    branch_a, branch_b = [
        await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("M"))
        for _ in range(2)
    ]
    member = await add_member(rt, branch_a, ["teller"])
    await add_member(rt, branch_b, ["teller"], member)
    viewer = await add_member(rt, branch_a, ["compliance_officer"])
    await add_member(rt, branch_b, ["teller"], viewer)
    async with rt.db.session(None) as session:
        staff = await repository.staff_by_employee_number(session, member)
        staff.phone, staff.id_number, staff.address = "13812345678", "110101199001011234", "上海市浦东新区世纪大道100号"
    token = await api.token(viewer)
    query = "{ staff(first: 100) { edges { node { id employeeNumber membership { id phone idNumber address } } } } }"

    def theirs(body):
        return next(e["node"] for e in body["data"]["staff"]["edges"] if e["node"]["employeeNumber"] == member)

    # when the viewer lists staff in each branch
    in_a = theirs(await api.post(query, token=token, branch=branch_a.code))
    in_b = theirs(await api.post(query, token=token, branch=branch_b.code))

    # then the person is one node, and each branch's view of their data is a node of its own
    assert in_a["id"] == in_b["id"] and in_a["membership"]["id"] != in_b["membership"]["id"]
    assert in_a["membership"] | {"id": None} == {
        "id": None,
        "phone": "13812345678",
        "idNumber": "110101199001011234",
        "address": "上海市浦东新区世纪大道100号",
    }
    assert in_b["membership"]["phone"] == "138****5678"
    assert in_b["membership"]["idNumber"] == "110101********1234"


def test_personal_data_on_staff_member_is_deprecated_for_the_membership():
    fields = build_schema(Settings())._schema.type_map["StaffMember"].fields
    for name in ("phone", "idNumber", "address"):
        assert f"membership {{ {name} }}" in fields[name].deprecation_reason
