"""`orderBy` with a direction on the lists people sort that had none: branches, service accounts and an
access review's items. Each order pages the same from either end (keyset, both directions), and a
descending order is its ascending order reversed."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from branchdesk.onboarding import service as onboarding
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel
from tests.conftest import SYSTEM, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

Post = Callable[..., Awaitable[dict[str, Any]]]
PAGE = "edges { cursor node { %s } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
BRANCHES = (
    "query($first: Int, $after: String, $last: Int, $before: String, $order: BranchOrder) {"
    " list: branches(first: $first, after: $after, last: $last, before: $before, orderBy: $order) { %s } }"
    % (PAGE % "code name createdAt")
)
ACCOUNTS = (
    "query($first: Int, $after: String, $last: Int, $before: String, $order: ServiceAccountOrder) {"
    " list: serviceAccounts(first: $first, after: $after, last: $last, before: $before, orderBy: $order) { %s } }"
    % (PAGE % "clientId name createdAt")
)
ITEMS = (
    "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $order: AccessReviewItemOrder) {"
    " accessReview(id: $id) { list: items(first: $first, after: $after, last: $last, before: $before,"
    " orderBy: $order) { %s } } }" % (PAGE % "employeeNumber displayName role")
)
CREATE_ACCOUNT = """mutation($i: CreateServiceAccountInput!) { createServiceAccount(input: $i) { errors { code } } }"""
OPEN_REVIEW = """mutation($i: OpenAccessReviewInput!) {
  openAccessReview(input: $i) { accessReview { id } errors { code } } }"""


def _list(body: dict[str, Any]) -> dict[str, Any]:
    data = body["data"]
    assert "errors" not in body, body
    return data["accessReview"]["list"] if "accessReview" in data else data["list"]


async def read_both_ways(
    post: Post, query: str, order: dict[str, str], size: int = 2, **variables: Any
) -> list[dict[str, Any]]:
    """The whole list in pages of ``size`` from the start (first/after) and from the end (last/before),
    asserted equal, with the page flags each way."""
    forward: list[dict[str, Any]] = []
    after = None
    while True:
        page = _list(await post(query, {**variables, "first": size, "after": after, "order": order}))
        forward += [edge["node"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backward: list[dict[str, Any]] = []
    before = None
    while True:
        page = _list(await post(query, {**variables, "last": size, "before": before, "order": order}))
        backward = [edge["node"] for edge in page["edges"]] + backward
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert forward == backward
    return forward


async def test_branches_by_name_and_newest_first(api, rt, world):
    tag = secrets.token_hex(3)
    # codes in the opposite order to names, so that each order is seen to be followed
    created, prefix = [], unique_code()[:5]
    for code_end, name in (("Z", "Alpha"), ("Y", "Beta"), ("X", "Gamma")):
        code = prefix + code_end
        head = unique_employee_number("O")
        await onboard(rt, code, BranchLevel.TIER1_BRANCH, world.head_office.code, head, name=f"Order {tag} {name}")
        created.append(code)
    token = await api.token(world.ho_admin)

    async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await api.post(query, variables, token=token, branch=world.head_office.code)

    by_name = await read_both_ways(post, BRANCHES, {"field": "NAME"}, size=50)
    by_name_desc = await read_both_ways(post, BRANCHES, {"field": "NAME", "direction": "DESC"}, size=50)
    newest_first = await read_both_ways(post, BRANCHES, {"field": "CREATED_AT", "direction": "DESC"}, size=50)
    by_code_desc = _list(await post(BRANCHES, {"first": 100, "order": {"field": "CODE", "direction": "DESC"}}))

    ours = [b["code"] for b in by_name if b["name"].startswith(f"Order {tag}")]
    assert ours == created  # Alpha, Beta, Gamma
    assert by_name_desc == by_name[::-1]
    assert [b["code"] for b in newest_first[:3]] == created[::-1]
    stamps = [b["createdAt"] for b in newest_first]
    assert stamps == sorted(stamps, reverse=True)
    codes = [edge["node"]["code"] for edge in by_code_desc["edges"]]
    assert codes == sorted(codes, reverse=True)


async def test_service_accounts_by_client_id_name_and_creation(api, rt, world):
    head = unique_employee_number("O")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    token = await api.token(head)

    async def post(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await api.post(query, variables, token=token, branch=branch.code)

    for slug, name in (("c-feed", "Beta"), ("a-feed", "Gamma"), ("b-feed", "Alpha")):  # created in this order
        body = await post(CREATE_ACCOUNT, {"i": {"name": name, "slug": slug, "permissions": ["branch:read"]}})
        assert body["data"]["createServiceAccount"]["errors"] == [], body

    def slugs(accounts: list[dict[str, Any]]) -> list[str]:
        return [a["clientId"].split(".", 1)[1] for a in accounts]

    default = await read_both_ways(post, ACCOUNTS, {"field": "CLIENT_ID"}, size=1)
    by_name = await read_both_ways(post, ACCOUNTS, {"field": "NAME"}, size=1)
    by_name_desc = await read_both_ways(post, ACCOUNTS, {"field": "NAME", "direction": "DESC"}, size=2)
    newest_first = await read_both_ways(post, ACCOUNTS, {"field": "CREATED_AT", "direction": "DESC"}, size=2)
    oldest_first = await read_both_ways(post, ACCOUNTS, {"field": "CREATED_AT"}, size=1)

    assert slugs(default) == ["a-feed", "b-feed", "c-feed"]
    assert [a["name"] for a in by_name] == ["Alpha", "Beta", "Gamma"]
    assert by_name_desc == by_name[::-1]
    assert slugs(newest_first) == ["b-feed", "a-feed", "c-feed"]
    assert oldest_first == newest_first[::-1]


async def test_a_reviews_items_by_member_name_and_role(api, rt, world):
    head = unique_employee_number("O")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    prefix = "R" + secrets.token_hex(3).upper()
    members = [  # employee numbers in the opposite order to names
        (f"{prefix}3", "Staff Anna", ["teller", "lobby_manager"]),
        (f"{prefix}2", "Staff Bo", ["customer_manager"]),
        (f"{prefix}1", "Staff Chen", ["teller"]),
    ]
    for number, name, roles in members:
        async with rt.db.session(None) as session:
            staff = await service.ensure_staff(session, service.StaffDraft(number, name))
            await onboarding.grant_membership(session, SYSTEM, branch, staff, roles)
    token = await api.token(head)

    async def post(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await api.post(query, variables, token=token, branch=branch.code)

    opened = (await post(OPEN_REVIEW, {"i": {"name": "orders"}}))["data"]["openAccessReview"]
    assert opened["errors"] == []
    review = opened["accessReview"]["id"]

    listed = await read_both_ways(post, ITEMS, {"field": "LISTED"}, id=review)
    by_number = await read_both_ways(post, ITEMS, {"field": "EMPLOYEE_NUMBER"}, id=review)
    by_name_desc = await read_both_ways(post, ITEMS, {"field": "DISPLAY_NAME", "direction": "DESC"}, size=3, id=review)
    by_role = await read_both_ways(post, ITEMS, {"field": "ROLE"}, id=review)
    by_role_desc = await read_both_ways(post, ITEMS, {"field": "ROLE", "direction": "DESC"}, id=review)
    default = _list(await post(ITEMS, {"id": review, "first": 100}))

    def rows(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(i["employeeNumber"], i["role"]) for i in items]

    assert [edge["node"] for edge in default["edges"]] == listed and len(listed) == 5  # 4 roles and the head's
    assert rows(by_number) == sorted(rows(listed))
    ours = [i for i in by_name_desc if i["employeeNumber"].startswith(prefix)]
    assert [(i["displayName"], i["role"]) for i in ours] == [
        ("Staff Chen", "teller"),
        ("Staff Bo", "customer_manager"),
        ("Staff Anna", "teller"),  # descending: ties too
        ("Staff Anna", "lobby_manager"),
    ]
    assert [(i["role"], i["employeeNumber"]) for i in by_role] == sorted((r, n) for n, r in rows(listed))
    assert by_role_desc == by_role[::-1]


async def test_a_cursor_of_one_order_is_refused_by_another(api, world):
    token = await api.token(world.ho_admin)
    page = await api.post(BRANCHES, {"first": 1}, token=token, branch=world.head_office.code)
    cursor = _list(page)["edges"][0]["cursor"]

    variables = {"first": 1, "after": cursor, "order": {"field": "CREATED_AT"}}
    body = await api.post(BRANCHES, variables, token=token, branch=world.head_office.code)

    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("INVALID_CURSOR", "after")
    ]
