"""Typing a generated client can rely on: enums built from the registries (permissions, their scopes,
weekdays, policy-change kinds), typed before/after states, the actor as a reference beside its display
string, and Date/DateTime with the specifications they follow."""

from __future__ import annotations

import secrets

from branchdesk.access.registry import PERMISSIONS
from branchdesk.graphql.schema import build_schema
from branchdesk.graphql.vocabulary import enum_name
from branchdesk.platform.settings import Settings
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

CHANGES = """{ policyChanges(first: 100) { edges { node {
  reason category actor
  actedBy { __typename ... on StaffMember { employeeNumber } }
  beforeState { ...State } afterState { ...State } } } } }
fragment State on PolicyState {
  __typename
  ... on PermissionState { granted source }
  ... on RoleSet { roles { name label } } }"""


def test_every_declared_permission_is_an_enum_value_that_keeps_its_string():
    values = build_schema(Settings())._schema.type_map["Permission"].values
    assert set(values) == {enum_name(name) for name in PERMISSIONS}
    assert f"(`{'client.pii:read'}`)" in values["CLIENT_PII_READ"].description


def test_scopes_kinds_and_weekdays_are_enums_and_dates_say_their_format():
    schema = build_schema(Settings())._schema
    types = schema.type_map
    assert set(types["PermissionScope"].values) == {"HEAD_OFFICE", "BRANCH"}
    assert set(types["PolicyChangeKind"].values) == {"PERMISSION", "ROLES"}
    assert list(types["Weekday"].values) == ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
    assert str(types["OpeningPeriod"].fields["day"].type) == "Weekday!"
    assert str(types["PermissionInfo"].fields["effectiveIn"].type) == "PermissionScope!"
    assert types["DateTime"].specified_by_url and types["Date"].specified_by_url
    for deprecated in ("before", "after", "kind"):
        assert types["PolicyChange"].fields[deprecated].deprecation_reason
    assert str(types["PolicyChange"].fields["actedBy"].type) == "Actor"
    # beside every role or permission string of the policy views, its typed, labelled form
    for type_name in ("AccessMatrixCell", "PolicyOverrideInfo"):
        assert str(types[type_name].fields["roleInfo"].type) == "RoleInfo!"
        assert str(types[type_name].fields["permissionInfo"].type) == "PermissionInfo!"
    assert str(types["PolicyChange"].fields["permissionInfo"].type) == "PermissionInfo"
    assert str(types["ToxicPairInfo"].fields["firstPermission"].type) == "PermissionInfo!"


async def test_policy_changes_are_typed_and_name_who_made_them(api, rt, world):
    # a branch of its own: the policy it changes must not leak into other tests' shared branches
    head_number = unique_employee_number("TY")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_number)
    auditor = await api.token(await add_member(rt, branch, ["compliance_officer"]))
    member = await add_member(rt, branch, ["teller"])
    head = await api.token(head_number)
    grant, assign = secrets.token_hex(4), secrets.token_hex(4)
    body = await api.post(
        "mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) { errors { code } } }",
        {"i": {"role": "teller", "permission": "policy:audit", "reason": grant}},
        token=head,
        branch=branch.code,
    )
    assert body["data"]["grantRolePermission"]["errors"] == []
    staff_id = (await api.post("{ me { staff { id } } }", token=await api.token(member), branch=branch.code))["data"][
        "me"
    ]["staff"]["id"]
    body = await api.post(
        "mutation($i: RoleAssignmentInput!) { assignRole(input: $i) { errors { code } } }",
        {"i": {"staffId": staff_id, "role": "lobby_manager", "reason": assign}},
        token=head,
        branch=branch.code,
    )
    assert body["data"]["assignRole"]["errors"] == []

    body = await api.post(CHANGES, token=auditor, branch=branch.code)

    changes = {e["node"]["reason"]: e["node"] for e in body["data"]["policyChanges"]["edges"]}
    granted, assigned = changes[grant], changes[assign]
    assert granted["category"] == "PERMISSION"
    assert granted["beforeState"] == {"__typename": "PermissionState", "granted": False, "source": "BASELINE"}
    assert granted["afterState"] == {"__typename": "PermissionState", "granted": True, "source": "GRANT"}
    assert granted["actedBy"] == {"__typename": "StaffMember", "employeeNumber": head_number}
    assert head_number in granted["actor"]
    assert assigned["category"] == "ROLES"
    assert assigned["beforeState"] == {"__typename": "RoleSet", "roles": [{"name": "teller", "label": "Teller"}]}
    assert {r["name"] for r in assigned["afterState"]["roles"]} == {"teller", "lobby_manager"}


async def test_permissions_carry_their_enum_value_and_scope(api, world):
    token = await api.token(world.head_a)
    body = await api.post(
        "{ myPermissions { permission { name permission effectiveIn } } }", token=token, branch=world.branch_a.code
    )
    held = {p["permission"]["name"]: p["permission"] for p in body["data"]["myPermissions"]}
    assert held["staff.pii:read"] == {"name": "staff.pii:read", "permission": "STAFF_PII_READ", "effectiveIn": "BRANCH"}
