"""Lists: pages from either end, totals, orders and staff search, all keyset (cursors stay opaque)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from branchdesk.onboarding import service as onboarding
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel
from tests.conftest import SYSTEM, add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

STAFF = """query($first: Int, $after: String, $last: Int, $before: String, $search: String, $order: StaffOrder) {
  staff(first: $first, after: $after, last: $last, before: $before, search: $search, orderBy: $order) {
    edges { cursor node { employeeNumber displayName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
COUNTED = "query($search: String) { staff(first: 1, search: $search) { totalCount edges { cursor } } }"
CHANGES = """query($first: Int, $after: String, $last: Int, $before: String, $order: PolicyChangeOrder) {
  policyChanges(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { changedAt permission } }
    pageInfo { hasNextPage hasPreviousPage }
  }
}"""
GRANT = """mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) { errors { code } } }"""
OPEN = """mutation($i: OpenAccessReviewInput!) { openAccessReview(input: $i) { errors { code } } }"""
REVIEWS = """query($order: AccessReviewOrder, $last: Int) {
  accessReviews(first: null, last: $last, orderBy: $order) { totalCount edges { node { name } } }
}"""


@dataclass
class Shop:
    branch: Any
    head: str
    officer: str
    numbers: list[str]  # every member's employee number, sorted


async def _member(rt, branch, number: str, name: str) -> str:
    async with rt.db.session(None) as session:
        staff = await service.ensure_staff(session, service.StaffDraft(number, name))
        await onboarding.grant_membership(session, SYSTEM, branch, staff, ["teller"])
    return number


@pytest.fixture
async def shop(rt, world) -> Shop:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    officer = await add_member(rt, branch, ["compliance_officer"])
    prefix = "L" + secrets.token_hex(3).upper()
    names = ["Zhang Wei", "zhao LEI", "Li Ming", "Wang 100%", "Chen_Jing", "Liu Fang"]
    numbers = [await _member(rt, branch, f"{prefix}{i}", name) for i, name in enumerate(names)]
    return Shop(branch, head, officer, sorted([head, officer, *numbers]))


@pytest.fixture
async def as_head(api, shop):
    token = await api.token(shop.head)

    async def post(query: str, variables: dict | None = None) -> dict:
        return await api.post(query, variables, token=token, branch=shop.branch.code)

    return post


def numbers(body: dict, field: str = "staff") -> list[str]:
    return [e["node"]["employeeNumber"] for e in body["data"][field]["edges"]]


def codes(body: dict) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body.get("errors", [])]


async def test_pages_read_forward_and_backward_give_the_same_list(shop, as_head):
    forward, after, pages = [], None, []
    while True:
        body = await as_head(STAFF, {"first": 3, "after": after})
        forward += numbers(body)
        pages.append(body["data"]["staff"]["pageInfo"])
        if not pages[-1]["hasNextPage"]:
            break
        after = pages[-1]["endCursor"]
    backward, before, back_pages = [], None, []
    while True:
        body = await as_head(STAFF, {"last": 3, "before": before})
        backward = numbers(body) + backward
        back_pages.append(body["data"]["staff"]["pageInfo"])
        if not back_pages[-1]["hasPreviousPage"]:
            break
        before = back_pages[-1]["startCursor"]

    assert forward == backward == shop.numbers
    assert [p["hasPreviousPage"] for p in pages] == [False, True, True]
    assert [p["hasNextPage"] for p in back_pages] == [False, True, True]


async def test_last_reads_the_tail_in_order(shop, as_head):
    body = await as_head(STAFF, {"last": 2})
    assert numbers(body) == shop.numbers[-2:]
    assert body["data"]["staff"]["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": body["data"]["staff"]["edges"][0]["cursor"],
        "endCursor": body["data"]["staff"]["edges"][1]["cursor"],
    }


async def test_first_and_last_together_or_a_bad_before_cursor_are_typed_errors(as_head):
    both = await as_head(STAFF, {"first": 2, "last": 2})
    forged = await as_head(STAFF, {"last": 2, "before": "bm90IG91cnM="})
    too_many = await as_head(STAFF, {"last": 10_000})
    assert both["data"] == {"staff": None} and codes(both) == [("INVALID_VALUE", "last")]
    assert codes(forged) == [("INVALID_CURSOR", "before")]
    assert codes(too_many) == [("PAGE_SIZE_EXCEEDED", "last")]


async def test_a_cursor_of_another_order_is_refused(as_head):
    page = await as_head(STAFF, {"first": 1})
    cursor = page["data"]["staff"]["edges"][0]["cursor"]
    body = await as_head(STAFF, {"first": 1, "after": cursor, "order": {"field": "DISPLAY_NAME"}})
    assert codes(body) == [("INVALID_CURSOR", "after")]


async def test_staff_by_name_descending_pages_both_ways(shop, as_head):
    order = {"field": "DISPLAY_NAME", "direction": "DESC"}
    everyone = await as_head(STAFF, {"first": 50, "order": order})
    names = [e["node"]["displayName"] for e in everyone["data"]["staff"]["edges"]]
    assert names == sorted(names, reverse=True) and len(names) == len(shop.numbers)
    first = await as_head(STAFF, {"first": 2, "order": order})
    rest = await as_head(STAFF, {"first": 50, "after": first["data"]["staff"]["pageInfo"]["endCursor"], "order": order})
    tail = await as_head(STAFF, {"last": 2, "order": order})
    assert numbers(first) + numbers(rest) == numbers(everyone)
    assert numbers(tail) == numbers(everyone)[-2:]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("zhang", ["Zhang Wei"]),  # a name, any case
        ("LEI", ["zhao LEI"]),
        ("li", ["Li Ming", "Liu Fang"]),
        ("ing", ["Li Ming", "Chen_Jing"]),  # anywhere in the name
        ("100%", ["Wang 100%"]),  # wildcards are literal
        ("g_w", []),  # `_` as a wildcard would match "Zhang Wei"
        ("_", ["Chen_Jing"]),
    ],
)
async def test_staff_search_matches_names_case_insensitively(as_head, search, expected):
    body = await as_head(STAFF, {"first": 50, "search": search})
    assert sorted(e["node"]["displayName"] for e in body["data"]["staff"]["edges"]) == sorted(expected)


async def test_staff_search_matches_the_start_of_an_employee_number(shop, as_head):
    member = next(n for n in shop.numbers if n.startswith("L"))
    prefix = await as_head(STAFF, {"first": 50, "search": member[:7].lower()})
    middle = await as_head(STAFF, {"first": 50, "search": member[2:]})
    assert member in numbers(prefix) and len(numbers(prefix)) >= 6
    assert numbers(middle) == []


async def test_a_search_longer_than_its_limit_is_refused(as_head):
    body = await as_head(STAFF, {"first": 5, "search": "x" * 101})
    assert codes(body) == [("TOO_LONG", "search")]


async def test_total_count_counts_the_filtered_list_not_the_page(shop, as_head):
    everyone = await as_head(COUNTED)
    some = await as_head(COUNTED, {"search": "li"})
    assert everyone["data"]["staff"]["totalCount"] == len(shop.numbers)
    assert some["data"]["staff"]["totalCount"] == 2


async def test_policy_changes_newest_first(api, shop, as_head):
    for permission in ("client:read", "client.pii:read", "cash:approve"):
        body = await as_head(GRANT, {"i": {"role": "it_support", "permission": permission}})
        assert body["data"]["grantRolePermission"]["errors"] == [], body
    officer = await api.token(shop.officer)

    async def changes(**variables: Any) -> dict:
        return await api.post(CHANGES, variables, token=officer, branch=shop.branch.code)

    oldest_first = await changes(first=50)
    newest_first = await changes(first=50, order={"field": "CHANGED_AT", "direction": "DESC"})
    newest = await changes(first=2, order={"field": "CHANGED_AT", "direction": "DESC"})
    after = await changes(
        first=50,
        after=newest["data"]["policyChanges"]["edges"][-1]["cursor"],
        order={"field": "CHANGED_AT", "direction": "DESC"},
    )
    oldest_two = await changes(last=2, order={"field": "CHANGED_AT", "direction": "DESC"})

    def of(body: dict) -> list[str]:
        return [e["cursor"] for e in body["data"]["policyChanges"]["edges"]]

    assert of(newest_first) == of(oldest_first)[::-1] and len(of(oldest_first)) >= 3
    stamps = [e["node"]["changedAt"] for e in newest_first["data"]["policyChanges"]["edges"]]
    assert stamps == sorted(stamps, reverse=True)
    assert newest_first["data"]["policyChanges"]["edges"][0]["node"]["permission"] == "cash:approve"
    assert of(newest) + of(after) == of(newest_first)
    assert newest["data"]["policyChanges"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    assert of(oldest_two) == of(newest_first)[-2:]
    assert oldest_two["data"]["policyChanges"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}


async def test_access_reviews_newest_first_and_counted(as_head):
    for name in ("Q1", "Q2", "Q3"):
        body = await as_head(OPEN, {"i": {"name": name}})
        assert body["data"]["openAccessReview"]["errors"] == [], body
    newest = await as_head(REVIEWS, {"order": {"field": "OPENED_AT", "direction": "DESC"}})
    latest_two = await as_head(REVIEWS, {"last": 2})
    assert [e["node"]["name"] for e in newest["data"]["accessReviews"]["edges"]] == ["Q3", "Q2", "Q1"]
    assert [e["node"]["name"] for e in latest_two["data"]["accessReviews"]["edges"]] == ["Q2", "Q3"]
    assert newest["data"]["accessReviews"]["totalCount"] == 3
