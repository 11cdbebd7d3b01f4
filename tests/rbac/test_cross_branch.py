"""Branch B's things are out of reach from branch A, whatever headers the caller forges."""

from __future__ import annotations

import pytest

from branchdesk.graphql.permissions import PUBLIC, SIGNED_IN
from tests.conftest import add_member
from tests.rbac.operations import operations

pytestmark = pytest.mark.external
GUARDED = [op for op in operations() if op.permission not in (PUBLIC, SIGNED_IN)]


async def test_no_operation_reaches_another_branch_through_a_forged_header(api, world):
    token = await api.token(world.head_a)
    reached = []
    for op in GUARDED:
        body = await api.post(op.document, token=token, branch=world.branch_b.code)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        if codes != ["BRANCH_ACCESS_DENIED"] or any((body.get("data") or {}).values()):
            reached.append(f"{op.name}: {body}")
    assert not reached, "\n".join(reached)


async def test_staff_of_two_branches_act_in_each_under_that_branchs_roles(rt, api, world):
    # given a teller of A who is compliance officer in B
    number = await add_member(rt, world.branch_a, ["teller"])
    await add_member(rt, world.branch_b, ["compliance_officer"], employee_number=number)
    token = await api.token(number)
    mine = "{ myPermissions { permission { name } } }"
    matrix = "{ accessMatrix { cells { role } } }"

    in_a = {
        p["permission"]["name"]
        for p in (await api.post(mine, token=token, branch=world.branch_a.code))["data"]["myPermissions"]
    }
    in_b = {
        p["permission"]["name"]
        for p in (await api.post(mine, token=token, branch=world.branch_b.code))["data"]["myPermissions"]
    }
    assert "cash:initiate" in in_a and "policy:audit" not in in_a
    assert "policy:audit" in in_b and "cash:initiate" not in in_b

    refused = await api.post(matrix, token=token, branch=world.branch_a.code)
    allowed = await api.post(matrix, token=token, branch=world.branch_b.code)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "errors" not in allowed
