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
    # the roles a permission comes through, a service account's permissions, a payload's role
    for type_name, field in [
        ("EffectivePermission", "viaRoles"),
        ("PermissionHolder", "viaRoles"),
        ("SodConflict", "firstViaRoles"),
        ("SodConflict", "secondViaRoles"),
    ]:
        assert str(types[type_name].fields[field].type) == "[RoleInfo!]!"
    assert str(types["ServiceAccount"].fields["grantedPermissions"].type) == "[PermissionInfo!]!"
    assert str(types["RolePermissionsPayload"].fields["roleInfo"].type) == "RoleInfo"
    assert str(types["AccessReviewItem"].fields["roleInfo"].type) == "RoleInfo!"
    for type_name, deprecated in [
        ("EffectivePermission", "via"),
        ("PermissionHolder", "via"),
        ("SodConflict", "firstVia"),
        ("SodConflict", "secondVia"),
        ("ServiceAccount", "permissions"),
        ("RolePermissionsPayload", "role"),
    ]:
        assert types[type_name].fields[deprecated].deprecation_reason


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


TYPED_ROLES = """query($staffId: ID!) {
  effectivePermissions(staffId: $staffId) { permission { name } via viaRoles { name label } }
  whoCan(permission: "cash:approve") { via viaRoles { name label } staff { employeeNumber } }
  separationOfDutiesConflicts {
    rule { name } firstVia secondVia firstViaRoles { name } secondViaRoles { name } staff { employeeNumber }
  }
}"""


async def test_the_roles_a_permission_comes_through_are_labelled_role_objects(api, rt, world):
    head_number = unique_employee_number("TY")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_number)
    auditor = await api.token(await add_member(rt, branch, ["compliance_officer"]))
    member_number = await add_member(rt, branch, ["teller", "lobby_manager"])
    member = await api.token(member_number)
    head = await api.token(head_number)
    grant = """mutation($i: RolePermissionInput!) {
      grantRolePermission(input: $i) { role roleInfo { name label } errors { code } } }"""

    granted = await api.post(
        grant, {"i": {"role": "teller", "permission": "cash:approve"}}, token=head, branch=branch.code
    )
    refused = await api.post(grant, {"i": {"role": "teller", "permission": "no:such"}}, token=head, branch=branch.code)
    staff_id = (await api.post("{ me { staff { id } } }", token=member, branch=branch.code))["data"]["me"]["staff"][
        "id"
    ]
    body = await api.post(
        TYPED_ROLES, {"staffId": staff_id}, token=auditor, branch=branch.code, headers={"Accept-Language": "zh-CN"}
    )
    mine = await api.post("{ myPermissions { via viaRoles { name } } }", token=member, branch=branch.code)

    assert granted["data"]["grantRolePermission"] == {
        "role": "teller",
        "roleInfo": {"name": "teller", "label": "Teller"},
        "errors": [],
    }
    assert refused["data"]["grantRolePermission"]["roleInfo"] is None
    assert refused["data"]["grantRolePermission"]["errors"]
    data = body["data"]
    held = {p["permission"]["name"]: p for p in data["effectivePermissions"]}
    assert held["cash:approve"]["viaRoles"] == [{"name": "teller", "label": "柜员"}]
    for entry in [*data["effectivePermissions"], *data["whoCan"]]:
        assert [r["name"] for r in entry["viaRoles"]] == entry["via"]
    assert {h["staff"]["employeeNumber"]: [r["name"] for r in h["viaRoles"]] for h in data["whoCan"]} == {
        head_number: ["branch_head"],
        member_number: ["teller"],
    }
    [conflict] = [c for c in data["separationOfDutiesConflicts"] if c["staff"]["employeeNumber"] == member_number]
    assert conflict["rule"]["name"] == "cash-maker-checker"
    assert [r["name"] for r in conflict["firstViaRoles"]] == conflict["firstVia"] == ["teller"]
    assert [r["name"] for r in conflict["secondViaRoles"]] == conflict["secondVia"] == ["teller"]
    assert all([r["name"] for r in p["viaRoles"]] == p["via"] for p in mine["data"]["myPermissions"])
    assert {"lobby_manager", "teller"} <= {r["name"] for p in mine["data"]["myPermissions"] for r in p["viaRoles"]}


async def test_a_service_account_lists_its_permissions_typed_and_labelled(api, rt, world):
    head_number = unique_employee_number("TY")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_number)
    token = await api.token(head_number)
    create = """mutation($i: CreateServiceAccountInput!) {
      createServiceAccount(input: $i) {
        serviceAccount { permissions grantedPermissions { name permission label effectiveIn } } errors { code } } }"""

    body = await api.post(
        create,
        {"i": {"name": "Typed feed", "slug": f"typed-{secrets.token_hex(3)}", "permissions": ["client:read"]}},
        token=token,
        branch=branch.code,
    )

    created = body["data"]["createServiceAccount"]
    assert created["errors"] == []
    assert created["serviceAccount"]["permissions"] == ["client:read"]
    [typed] = created["serviceAccount"]["grantedPermissions"]
    assert typed["name"] == "client:read" and typed["permission"] == "CLIENT_READ"
    assert typed["effectiveIn"] == "BRANCH" and typed["label"]
