"""Branches of their own for the credentials tests: they add members, phones and sessions, which must
not show in the shared world's lists (staff pages, statement counts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from branchdesk.tenants.models import BranchLevel
from tests.conftest import onboard, unique_code, unique_employee_number


@dataclass
class Branches:
    branch_a: Any
    branch_b: Any
    head_a: str
    head_office: Any
    ho_admin: str


@pytest.fixture(scope="module")
async def own(rt, world) -> Branches:
    head_a, head_b = unique_employee_number("CA"), unique_employee_number("CB")
    branch_a = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_a)
    branch_b = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_b)
    return Branches(branch_a, branch_b, head_a, world.head_office, world.ho_admin)
