"""A field that fails and nulls its parent makes graphql-core cancel the siblings still running: the
request's transaction must survive it, and what committed must be what the answer says."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from branchdesk.access_reviews.models import AccessReview
from tests.conftest import add_member

pytestmark = pytest.mark.external


async def test_a_refused_field_does_not_lose_a_mutations_work(api, rt, world):
    # given a branch head of a branch with staff (so the review has items to page through)
    for _ in range(3):
        await add_member(rt, world.branch_a, ["teller"])
    token = await api.token(world.head_a)
    async with rt.db.session(world.branch_a.id) as session:
        before = await session.scalar(select(func.count()).select_from(AccessReview))

    # when a sibling field fails (a page larger than allowed nulls the non-null review) while openedBy loads
    body = await api.post(
        """mutation { openAccessReview(input: {name: "sibling cancelled"}) { accessReview {
             openedBy { employeeNumber } items(first: 101) { edges { cursor } } } } }""",
        token=token,
        branch=world.branch_a.code,
    )

    # then the refusal is reported, nothing unexpected happened, and the review was created
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert codes == ["PAGE_SIZE_EXCEEDED"], body
    async with rt.db.session(world.branch_a.id) as session:
        assert await session.scalar(select(func.count()).select_from(AccessReview)) == before + 1


async def test_a_refused_field_does_not_break_a_query(api, world):
    token = await api.token(world.head_a)
    body = await api.post(
        "{ branch(code: $c) { id } me { employeeNumber } staff(first: 101) { edges { cursor } } }".replace(
            "$c", f'"{world.branch_a.code}"'
        ),
        token=token,
        branch=world.branch_a.code,
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PAGE_SIZE_EXCEEDED"], body
