"""Head-office roles (head_office_admin, auditor) are held in the head office only."""

from __future__ import annotations

import pytest

from branchdesk.onboarding import service as onboarding
from branchdesk.platform.errors import DomainError
from branchdesk.tenants import service
from tests.conftest import SYSTEM, add_member, unique_employee_number
from tests.rbac.test_policy import ASSIGN, _staff_id

pytestmark = pytest.mark.external


@pytest.mark.parametrize("role", ["auditor", "head_office_admin"])
async def test_a_branch_cannot_assign_a_head_office_role(as_member, staffed, role):
    head = await as_member(staffed.head)
    teller_id = await _staff_id(head, staffed.teller)

    body = await head(ASSIGN, {"i": {"staffId": teller_id, "role": role}})

    payload = body["data"]["assignRole"]
    assert payload["errors"] == [{"code": "HEAD_OFFICE_ROLE_OUTSIDE_HEAD_OFFICE", "field": "role"}]
    assert payload["staff"] is None
    held = await head(ASSIGN, {"i": {"staffId": teller_id, "role": "teller"}})
    assert held["data"]["assignRole"]["staff"]["roles"] == ["teller"]


async def test_head_office_assigns_its_own_roles(api, rt, world):
    member = await add_member(rt, world.head_office, ["auditor"])
    token = await api.token(world.ho_admin)

    async def post(query, variables=None):
        return await api.post(query, variables, token=token, branch=world.head_office.code)

    body = await post(ASSIGN, {"i": {"staffId": await _staff_id(post, member), "role": "head_office_admin"}})

    assert body["data"]["assignRole"]["errors"] == []
    assert body["data"]["assignRole"]["staff"]["roles"] == ["auditor", "head_office_admin"]


async def test_head_office_cannot_grant_its_roles_inside_a_branch_either(rt, world):
    async with rt.db.session(None) as session:
        staff = await service.ensure_staff(session, service.StaffDraft(unique_employee_number(), "Someone"))
        with pytest.raises(DomainError) as refused:
            await onboarding.grant_membership(session, SYSTEM, world.branch_a, staff, ["auditor"])

    assert refused.value.code == "HEAD_OFFICE_ROLE_OUTSIDE_HEAD_OFFICE"
