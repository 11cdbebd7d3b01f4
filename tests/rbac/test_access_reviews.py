"""Access reviews: a branch confirms or revokes every role its members hold; revocations take effect
when the review closes; the result is a report exported as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from branchdesk.onboarding import service as onboarding
from branchdesk.platform.audit import AuditEvent
from branchdesk.rbac.models import PolicyChange
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel
from tests.conftest import SYSTEM, add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

OPEN = """
mutation($i: OpenAccessReviewInput!) {
  openAccessReview(input: $i) {
    accessReview {
      id name status
      counts { pending confirmed revoked total }
      items(first: 100) { edges { node { id employeeNumber displayName role decision } } }
    }
    errors { code field message }
  }
}"""
DECIDE = """
mutation($i: DecideAccessReviewItemInput!) {
  decideAccessReviewItem(input: $i) { item { id decision decidedByName note } errors { code field message } }
}"""
CLOSE = """
mutation($i: CloseAccessReviewInput!) {
  closeAccessReview(input: $i) {
    accessReview { status closedAt counts { pending confirmed revoked } }
    revokedRoles
    errors { code field message }
  }
}"""
REVIEW = """
query($id: ID!) { accessReview(id: $id) { id status counts { pending confirmed revoked total } } }"""
REVIEWS = "{ accessReviews(first: 10) { edges { node { id name counts { total } } } } }"
CSV = "query($id: ID!) { accessReview(id: $id) { csv } }"


@dataclass
class Team:
    """A fresh branch: its head, a teller who also acts as compliance officer, and a plain teller."""

    branch: Any
    head: str
    officer: str
    teller: str


@pytest.fixture
async def team(rt, world) -> Team:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    officer = await add_member(rt, branch, ["teller", "compliance_officer"])
    teller = await add_member(rt, branch, ["teller"])
    return Team(branch, head, officer, teller)


@pytest.fixture
def as_member(api, team):
    """``as_member(employee_number)`` → a function sending GraphQL as that member in the team's branch."""
    tokens: dict[str, str] = {}

    async def send(employee_number: str, branch: str | None = None):
        if employee_number not in tokens:
            tokens[employee_number] = await api.token(employee_number)

        async def post(query: str, variables: dict | None = None, **kwargs: Any) -> dict:
            return await api.post(
                query, variables, token=tokens[employee_number], branch=branch or team.branch.code, **kwargs
            )

        return post

    return send


async def open_review(post, name: str = "2026 Q4 recertification") -> dict:
    result = (await post(OPEN, {"i": {"name": name, "dueOn": "2026-12-31"}}))["data"]["openAccessReview"]
    assert result["errors"] == [], result
    return result["accessReview"]


def item_of(review: dict, employee_number: str, role: str) -> str:
    (found,) = [
        e["node"]["id"]
        for e in review["items"]["edges"]
        if e["node"]["employeeNumber"] == employee_number and e["node"]["role"] == role
    ]
    return found


async def decide(post, item_id: str, decision: str, note: str | None = None) -> dict:
    return (await post(DECIDE, {"i": {"itemId": item_id, "decision": decision, "note": note}}))["data"][
        "decideAccessReviewItem"
    ]


async def decide_all(team: Team, head, officer, review: dict, revoke: set[tuple[str, str]] = frozenset()) -> None:
    """The head decides everyone's items but their own; the officer decides the head's."""
    for edge in review["items"]["edges"]:
        node = edge["node"]
        verdict = "REVOKED" if (node["employeeNumber"], node["role"]) in revoke else "CONFIRMED"
        result = await decide(officer if node["employeeNumber"] == team.head else head, node["id"], verdict)
        assert result["errors"] == [], result


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_a_review_that_revokes_a_role_takes_effect_when_it_closes(rt, team, as_member):
    head, officer = await as_member(team.head), await as_member(team.officer)
    review = await open_review(head)
    assert review["counts"] == {"pending": 4, "confirmed": 0, "revoked": 0, "total": 4}
    await decide_all(team, head, officer, review, revoke={(team.officer, "compliance_officer")})

    # Decided but not closed: the officer still does what the role allows.
    still = await officer(REVIEWS)
    assert codes(still) == [] and review["id"] in [e["node"]["id"] for e in still["data"]["accessReviews"]["edges"]]

    closed = (await head(CLOSE, {"i": {"id": review["id"]}}))["data"]["closeAccessReview"]
    assert closed["errors"] == []
    assert closed["revokedRoles"] == 1
    assert closed["accessReview"]["status"] == "CLOSED" and closed["accessReview"]["closedAt"]
    assert closed["accessReview"]["counts"] == {"pending": 0, "confirmed": 3, "revoked": 1}

    # Closed: the revoked role is gone, the confirmed one stays.
    assert codes(await officer(REVIEWS)) == ["FORBIDDEN"]
    staff = await officer("{ staff(first: 50) { edges { node { employeeNumber roles } } } }")
    roles = {e["node"]["employeeNumber"]: e["node"]["roles"] for e in staff["data"]["staff"]["edges"]}
    assert roles[team.officer] == ["teller"] and roles[team.head] == ["branch_head"]

    async with rt.db.session(team.branch.id) as session:
        change = await session.scalar(
            select(PolicyChange).where(
                PolicyChange.tenant_id == team.branch.id,
                PolicyChange.kind == "roles",
                PolicyChange.reason == "access review: 2026 Q4 recertification",
            )
        )
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == team.branch.id)))
    assert change.before == {"roles": ["compliance_officer", "teller"]} and change.after == {"roles": ["teller"]}
    assert actions.count("access_review.item_decided") == 4
    assert {"access_review.opened", "access_review.closed", "policy.roles_changed"} <= set(actions)


async def test_a_review_with_pending_items_cannot_close(team, as_member):
    head = await as_member(team.head)
    review = await open_review(head)
    await decide(head, item_of(review, team.teller, "teller"), "REVOKED")

    closed = (await head(CLOSE, {"i": {"id": review["id"]}}))["data"]["closeAccessReview"]

    assert closed["accessReview"] is None
    assert [(e["code"], e["field"]) for e in closed["errors"]] == [("ACCESS_REVIEW_PENDING", "id")]
    assert "3 of 4" in closed["errors"][0]["message"]
    after = (await head(REVIEW, {"id": review["id"]}))["data"]["accessReview"]
    assert after["status"] == "OPEN" and after["counts"]["pending"] == 3
    assert codes(await (await as_member(team.teller))("{ staff { edges { cursor } } }")) == []


async def test_a_reviewer_cannot_decide_about_their_own_access(team, as_member):
    head = await as_member(team.head)
    review = await open_review(head)
    own = item_of(review, team.head, "branch_head")

    result = await decide(head, own, "CONFIRMED")

    assert result["item"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("ACCESS_REVIEW_SELF_DECISION", "itemId")]
    assert (await head(REVIEW, {"id": review["id"]}))["data"]["accessReview"]["counts"]["pending"] == 4


async def test_a_closed_review_takes_no_decisions_and_does_not_close_again(team, as_member):
    head, officer = await as_member(team.head), await as_member(team.officer)
    review = await open_review(head)
    await decide_all(team, head, officer, review)
    assert (await head(CLOSE, {"i": {"id": review["id"]}}))["data"]["closeAccessReview"]["errors"] == []

    again = (await head(CLOSE, {"i": {"id": review["id"]}}))["data"]["closeAccessReview"]
    late = await decide(head, item_of(review, team.teller, "teller"), "REVOKED")

    assert [e["code"] for e in again["errors"]] == ["ACCESS_REVIEW_CLOSED"]
    assert [e["code"] for e in late["errors"]] == ["ACCESS_REVIEW_CLOSED"]
    assert codes(await (await as_member(team.teller))("{ staff { edges { cursor } } }")) == []


async def test_the_csv_report_lists_every_item_with_its_decision(rt, api, team, as_member):
    async with rt.db.session(None) as session:
        number = unique_employee_number("Z")
        staff = await service.ensure_staff(session, service.StaffDraft(number, "王小明"))
        await onboarding.grant_membership(session, SYSTEM, team.branch, staff, ["lobby_manager"])
    head = await as_member(team.head)
    review = await open_review(head)
    await decide(head, item_of(review, number, "lobby_manager"), "REVOKED", '=HYPERLINK("http://x")')
    await decide(head, item_of(review, team.teller, "teller"), "CONFIRMED", "柜面岗位不变")

    text = (await head(CSV, {"id": review["id"]}))["data"]["accessReview"]["csv"]
    download = await api.client.get(
        f"/exports/access-reviews/{review['id']}.csv",
        headers={"Authorization": f"Bearer {await api.token(team.head)}", "X-Branch": team.branch.code},
    )
    chinese = (await head(CSV, {"id": review["id"]}, headers={"Accept-Language": "zh-CN"}))["data"]["accessReview"][
        "csv"
    ]

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == [
        "Employee number",
        "Name",
        "Role",
        "Decision",
        "Decided by",
        "Decided at (Asia/Shanghai)",
        "Note",
    ]
    by_item = {(r[0], r[2]): r for r in rows[1:]}
    assert len(rows) - 1 == len(review["items"]["edges"]) == 5
    assert by_item[(number, "lobby_manager")][1] == "王小明"
    assert by_item[(number, "lobby_manager")][3] == "revoked"
    assert by_item[(number, "lobby_manager")][4] == f"{team.head} Staff {team.head}"
    assert by_item[(number, "lobby_manager")][6] == '\'=HYPERLINK("http://x")'  # never run as a formula
    assert (
        by_item[(team.teller, "teller")][3:4] == ["confirmed"] and by_item[(team.teller, "teller")][6] == "柜面岗位不变"
    )
    assert by_item[(team.officer, "compliance_officer")][3:] == ["pending", "", "", ""]
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.content.startswith("\ufeff".encode()) and download.content.decode("utf-8") == text
    assert chinese.removeprefix("\ufeff").splitlines()[0].startswith("员工号,姓名,角色,复核结论")
    assert "撤销" in chinese


async def test_another_branchs_review_is_not_found(api, world, team, as_member):
    head = await as_member(team.head)
    review = await open_review(head)
    item = review["items"]["edges"][0]["node"]["id"]
    other = await as_member(world.head_b, world.branch_b.code)

    seen = await other(REVIEW, {"id": review["id"]})
    by_node = await other("query($id: ID!) { node(id: $id) { id } }", {"id": review["id"]})
    item_by_node = await other("query($id: ID!) { node(id: $id) { id } }", {"id": item})
    decided = await decide(other, item, "REVOKED")
    closed = (await other(CLOSE, {"i": {"id": review["id"]}}))["data"]["closeAccessReview"]
    download = await api.client.get(
        f"/exports/access-reviews/{review['id']}.csv",
        headers={"Authorization": f"Bearer {await api.token(world.head_b)}", "X-Branch": world.branch_b.code},
    )

    assert seen == {"data": {"accessReview": None}}
    assert by_node == item_by_node == {"data": {"node": None}}
    assert [(e["code"], e["field"]) for e in decided["errors"]] == [("NOT_FOUND", "itemId")]
    assert [(e["code"], e["field"]) for e in closed["errors"]] == [("NOT_FOUND", "id")]
    assert download.status_code == 404
    [error] = download.json()["errors"]  # the shape of every JSON error body
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("NOT_FOUND", "id")
    assert error["extensions"]["requestId"] == download.headers["x-request-id"]
    assert (await head(REVIEW, {"id": review["id"]}))["data"]["accessReview"]["counts"]["pending"] == 4


async def test_staff_without_access_review_manage_are_refused(api, team, as_member):
    review = await open_review(await as_member(team.head))
    teller = await as_member(team.teller)

    listed = await teller(REVIEWS)
    one = await teller(REVIEW, {"id": review["id"]})
    opened = await teller(OPEN, {"i": {"name": "not mine to run"}})
    closed = await teller(CLOSE, {"i": {"id": review["id"]}})
    by_node = await teller("query($id: ID!) { node(id: $id) { id } }", {"id": review["id"]})
    download = await api.client.get(
        f"/exports/access-reviews/{review['id']}.csv",
        headers={"Authorization": f"Bearer {await api.token(team.teller)}", "X-Branch": team.branch.code},
    )
    anonymous = await api.client.get(f"/exports/access-reviews/{review['id']}.csv")

    for body in (listed, one, opened, closed):
        assert codes(body) == ["FORBIDDEN"] and not any((body["data"] or {}).values())
    assert by_node == {"data": {"node": None}}
    assert download.status_code == 403 and anonymous.status_code == 401


async def test_listing_reviews_costs_the_same_statements_however_many_there_are(team, as_member, sql_counter):
    head = await as_member(team.head)
    await open_review(head, "first")
    await head(REVIEWS)  # warm: the branch's policy is loaded once
    with sql_counter:
        one = await head(REVIEWS)
    first = sql_counter.count
    await open_review(head, "second")
    await open_review(head, "third")
    sql_counter.count = 0
    with sql_counter:
        three = await head(REVIEWS)

    assert len(one["data"]["accessReviews"]["edges"]) == 1 and len(three["data"]["accessReviews"]["edges"]) == 3
    assert sql_counter.count == first
