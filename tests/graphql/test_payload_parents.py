"""A mutation's payload returns the parent whose derived fields it changed, with its id, so a client
cache updates in place instead of refetching."""

from __future__ import annotations

import pytest

from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

OPEN = """mutation($i: OpenAccessReviewInput!) { openAccessReview(input: $i) {
  accessReview { id counts { pending confirmed } items(first: 50) { totalCount edges { node { id employeeNumber } } } }
  errors { code } } }"""
DECIDE = """mutation($i: DecideAccessReviewItemInput!) { decideAccessReviewItem(input: $i) {
  item { id decision } accessReview { id counts { pending confirmed revoked total } } errors { code } } }"""
GRANT = """mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) {
  role accessMatrix { id cells { role permission granted source } } errors { code } } }"""
MATRIX = "{ accessMatrix { id cells { role permission granted source } } }"


@pytest.fixture
async def branch(rt, world):
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    teller = await add_member(rt, branch, ["teller"])
    auditor = await add_member(rt, branch, ["branch_head", "compliance_officer"])
    return branch, head, teller, auditor


async def test_deciding_an_item_returns_its_review_with_fresh_counts(api, branch):
    found, head, teller, _ = branch
    token = await api.token(head)
    opened = await api.post(OPEN, {"i": {"name": "Q4"}}, token=token, branch=found.code)
    review = opened["data"]["openAccessReview"]["accessReview"]
    item = next(e["node"]["id"] for e in review["items"]["edges"] if e["node"]["employeeNumber"] == teller)

    body = await api.post(DECIDE, {"i": {"itemId": item, "decision": "CONFIRMED"}}, token=token, branch=found.code)

    payload = body["data"]["decideAccessReviewItem"]
    assert payload["errors"] == [] and payload["item"]["decision"] == "CONFIRMED"
    assert payload["accessReview"]["id"] == review["id"]
    assert payload["accessReview"]["counts"] == {
        "pending": review["counts"]["pending"] - 1,
        "confirmed": 1,
        "revoked": 0,
        "total": review["items"]["totalCount"],
    }


async def test_a_refused_decision_returns_no_review(api, branch):
    found, head, _, _ = branch
    token = await api.token(head)
    body = await api.post(
        DECIDE, {"i": {"itemId": "bm9wZQ==", "decision": "CONFIRMED"}}, token=token, branch=found.code
    )
    payload = body["data"]["decideAccessReviewItem"]
    assert payload["accessReview"] is None and [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]


async def test_a_grant_returns_the_branchs_matrix_under_the_id_the_query_gives(api, branch):
    found, _, _, auditor = branch
    token = await api.token(auditor)
    before = (await api.post(MATRIX, token=token, branch=found.code))["data"]["accessMatrix"]
    change = {"role": "teller", "permission": "client.pii:read"}

    body = await api.post(GRANT, {"i": change}, token=token, branch=found.code)

    matrix = body["data"]["grantRolePermission"]["accessMatrix"]
    assert matrix["id"] == before["id"]
    cell = {"role": "teller", "permission": "client.pii:read", "granted": True, "source": "GRANT"}
    assert cell in matrix["cells"] and cell not in before["cells"]


async def test_a_grant_by_someone_who_may_not_audit_still_answers_without_the_matrix(api, branch):
    found, head, _, _ = branch  # a branch head manages the policy but does not audit it

    body = await api.post(
        GRANT, {"i": {"role": "teller", "permission": "client:read"}}, token=await api.token(head), branch=found.code
    )

    assert body["data"]["grantRolePermission"] == {"role": "teller", "accessMatrix": None, "errors": []}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["grantRolePermission", "accessMatrix"], "FORBIDDEN")
    ]


async def test_matrices_of_two_branches_have_two_ids(api, world, branch):
    found, _, _, auditor = branch
    elsewhere = await add_member(api.client._transport.app.state.runtime, world.branch_b, ["compliance_officer"])
    here = await api.post(MATRIX, token=await api.token(auditor), branch=found.code)
    there = await api.post(MATRIX, token=await api.token(elsewhere), branch=world.branch_b.code)
    assert here["data"]["accessMatrix"]["id"] != there["data"]["accessMatrix"]["id"]
