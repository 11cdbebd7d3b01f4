"""Tenancy in a client's cache: one global id never changes meaning with X-Branch. What depends on the
branch (roles) lives on BranchMembership, whose id is the branch and the member; `me` gives the staff
member's node and global id."""

from __future__ import annotations

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.settings import Settings
from tests.conftest import add_member

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
