"""A branch of its own for access-control tests, with one member per branch role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number


@dataclass
class Staffed:
    branch: object
    code: str
    head: str
    teller: str
    compliance: str
    it: str


@pytest.fixture
async def staffed(rt, world) -> Staffed:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    return Staffed(
        branch=branch,
        code=branch.code,
        head=head,
        teller=await add_member(rt, branch, ["teller"]),
        compliance=await add_member(rt, branch, ["compliance_officer"]),
        it=await add_member(rt, branch, ["it_support"]),
    )


@pytest.fixture
def as_member(api, staffed):
    """``await as_member(employee_number)`` → a function that posts GraphQL as them in the branch."""

    async def sign_in(employee_number: str, branch: str | None = None):
        token = await api.token(employee_number)
        return lambda query, variables=None: api.post(query, variables, token=token, branch=branch or staffed.code)

    return sign_in
