"""For every role template, every operation of the schema is allowed or refused as the template says.

The table is generated from the schema's declared permissions, so a new operation joins it on its own.
"""

from __future__ import annotations

import pytest

from branchdesk.access.registry import PERMISSIONS, ROLES, Scope, shipped_baseline
from branchdesk.graphql.permissions import PUBLIC, SIGNED_IN
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.rbac.operations import operations

pytestmark = pytest.mark.external
HEAD_OFFICE_ROLES = {"head_office_admin", "auditor"}
OPERATIONS = [op for op in operations() if op.permission not in (PUBLIC, SIGNED_IN)]


def test_every_operation_declares_a_known_permission():
    for op in operations():
        assert op.permission in PERMISSIONS or op.permission in (PUBLIC, SIGNED_IN), op.name


@pytest.fixture(scope="module")
async def members(rt, world):
    """One member per role template, each holding only that role, in a branch of its own."""
    branch = await onboard(
        rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number()
    )
    result = {}
    for role in ROLES:
        home = world.head_office if role in HEAD_OFFICE_ROLES else branch
        result[role] = (await add_member(rt, home, [role]), home.code)
    return result


def expected(role: str, permission: str) -> bool:
    in_head_office = role in HEAD_OFFICE_ROLES
    declared = PERMISSIONS[permission]
    return permission in shipped_baseline()[role] and (declared.scope is Scope.BRANCH or in_head_office)


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_role_template_allows_exactly_its_permissions(api, members, role):
    employee_number, branch = members[role]
    token = await api.token(employee_number)
    wrong = []
    for op in OPERATIONS:
        body = await api.post(op.document, token=token, branch=branch)
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
        refused = "FORBIDDEN" in codes
        if refused == expected(role, op.permission):
            wrong.append(f"{op.name} ({op.permission}): {'refused' if refused else 'allowed'} — {body}")
    assert not wrong, "\n".join(wrong)
