"""A branch changes its own policy; compliance sees who may do what, why, and since when."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from strawberry import relay

from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.clock import utcnow
from tests.conftest import extensions_of

pytestmark = pytest.mark.external

ROLE_PAYLOAD = "{ role permissions { name } errors { code field } }"
GRANT = f"mutation($i: RolePermissionInput!) {{ grantRolePermission(input: $i) {ROLE_PAYLOAD} }}"
REVOKE = f"mutation($i: RolePermissionInput!) {{ revokeRolePermission(input: $i) {ROLE_PAYLOAD} }}"
ASSIGN = "mutation($i: RoleAssignmentInput!) { assignRole(input: $i) { staff { roles } errors { code field } } }"
MATRIX = "{ accessMatrix { cells { role permission granted source differsFromBaseline } } }"
WHO = "query($p: String!, $at: DateTime) { whoCan(permission: $p, at: $at) { via staff { employeeNumber } } }"
STAFF_PII = "{ staff(first: 100) { edges { node { id employeeNumber phone idNumber address } } } }"


def _who(body) -> dict[str, list[str]]:
    return {h["staff"]["employeeNumber"]: h["via"] for h in body["data"]["whoCan"]}


async def _staff_id(post, employee_number: str) -> str:
    body = await post("{ staff(first: 100) { edges { node { id employeeNumber } } } }")
    return next(
        e["node"]["id"] for e in body["data"]["staff"]["edges"] if e["node"]["employeeNumber"] == employee_number
    )


async def test_a_granted_permission_takes_effect_and_shows_in_the_matrix(as_member, staffed):
    head, it = await as_member(staffed.head), await as_member(staffed.it)
    assert (await it(MATRIX))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    granted = await head(GRANT, {"i": {"role": "it_support", "permission": "policy:audit", "reason": "audit support"}})
    assert granted["data"]["grantRolePermission"]["errors"] == []
    cells = (await it(MATRIX))["data"]["accessMatrix"]["cells"]
    assert {
        "role": "it_support",
        "permission": "policy:audit",
        "granted": True,
        "source": "GRANT",
        "differsFromBaseline": True,
    } in cells
    assert {
        "role": "teller",
        "permission": "cash:initiate",
        "granted": True,
        "source": "BASELINE",
        "differsFromBaseline": False,
    } in cells

    await head(REVOKE, {"i": {"role": "it_support", "permission": "policy:audit"}})
    assert (await it(MATRIX))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_every_change_is_in_the_history_with_before_and_after(as_member, staffed):
    head, compliance = await as_member(staffed.head), await as_member(staffed.compliance)
    await head(REVOKE, {"i": {"role": "teller", "permission": "cash:initiate", "reason": "cash desk closed"}})
    body = await compliance(
        "{ policyChanges(first: 50) { edges { node { kind role permission before after reason actor } } } }"
    )
    changes = [e["node"] for e in body["data"]["policyChanges"]["edges"]]
    assert {
        "kind": "permission",
        "role": "teller",
        "permission": "cash:initiate",
        "before": {"granted": True, "source": "baseline"},
        "after": {"granted": False, "source": "revoke"},
        "reason": "cash desk closed",
        "actor": f"{staffed.head} Staff {staffed.head}",
    } in changes
    assert any(c["kind"] == "roles" and c["after"] == {"roles": ["teller"]} for c in changes)


async def test_a_branch_cannot_grant_itself_a_head_office_permission(as_member, staffed):
    head = await as_member(staffed.head)
    body = await head(GRANT, {"i": {"role": "branch_head", "permission": "branch:onboard"}})
    assert body["data"]["grantRolePermission"]["errors"] == [{"code": "PERMISSION_OUT_OF_SCOPE", "field": "permission"}]
    body = await head(GRANT, {"i": {"role": "branch_head", "permission": "vault:open"}})
    assert body["data"]["grantRolePermission"]["errors"] == [{"code": "UNKNOWN_PERMISSION", "field": "permission"}]


async def test_personal_data_is_masked_unless_own_or_permitted_and_unmasking_is_audited(rt, as_member, staffed):
    async with rt.db.session(None) as session:
        from branchdesk.tenants import repository

        for number, phone in ((staffed.teller, "13812345678"), (staffed.it, "13987654321")):
            staff = await repository.staff_by_employee_number(session, number)
            staff.phone, staff.id_number, staff.address = phone, "110101199001011234", "上海市浦东新区世纪大道100号"
    teller, head = await as_member(staffed.teller), await as_member(staffed.head)

    seen_by_teller = {
        e["node"]["employeeNumber"]: e["node"] for e in (await teller(STAFF_PII))["data"]["staff"]["edges"]
    }
    assert seen_by_teller[staffed.teller]["phone"] == "13812345678"  # their own record
    assert seen_by_teller[staffed.it]["phone"] == "139****4321"
    assert seen_by_teller[staffed.it]["idNumber"] == "110101********1234"
    assert seen_by_teller[staffed.it]["address"] == "上海市浦东新****"

    seen_by_head = {e["node"]["employeeNumber"]: e["node"] for e in (await head(STAFF_PII))["data"]["staff"]["edges"]}
    assert seen_by_head[staffed.it]["phone"] == "13987654321"

    async with rt.db.session(staffed.branch.id) as session:
        records = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant_id == staffed.branch.id, AuditEvent.action == "staff.pii_unmasked")
                .order_by(AuditEvent.seq)
            )
        )
    by_actor = {r.actor_label.split()[0]: r.details["ids"] for r in records}
    it_id = relay.GlobalID.from_id(seen_by_head[staffed.it]["id"]).node_id
    assert it_id in by_actor[staffed.head]
    assert it_id not in by_actor.get(staffed.teller, [])  # the teller saw it masked: nothing to audit


async def test_effective_permissions_say_why(as_member, staffed):
    head, compliance = await as_member(staffed.head), await as_member(staffed.compliance)
    teller_id = await _staff_id(head, staffed.teller)
    await head(ASSIGN, {"i": {"staffId": teller_id, "role": "lobby_manager"}})
    body = await compliance(
        "query($s: ID!) { effectivePermissions(staffId: $s) { permission { name } via } }", {"s": teller_id}
    )
    held = {p["permission"]["name"]: sorted(p["via"]) for p in body["data"]["effectivePermissions"]}
    assert held["cash:initiate"] == ["teller"]
    assert held["handoff:accept"] == ["lobby_manager", "teller"]
    assert "policy:manage" not in held


async def test_separation_of_duties_conflicts_are_listed(as_member, staffed):
    head, compliance = await as_member(staffed.head), await as_member(staffed.compliance)
    await head(GRANT, {"i": {"role": "teller", "permission": "cash:approve", "reason": "short-staffed"}})
    body = await compliance(
        "{ separationOfDutiesConflicts { rule { name description } firstVia secondVia staff { employeeNumber } } }"
    )
    conflicts = {(c["staff"]["employeeNumber"], c["rule"]["name"]) for c in body["data"]["separationOfDutiesConflicts"]}
    assert (staffed.teller, "cash-maker-checker") in conflicts
    assert not any(number == staffed.it for number, _ in conflicts)


async def test_who_could_do_it_on_a_past_date_is_reconstructed(as_member, staffed):
    head, compliance = await as_member(staffed.head), await as_member(staffed.compliance)
    before_grant = utcnow()
    await asyncio.sleep(0.01)
    await head(GRANT, {"i": {"role": "it_support", "permission": "client:read"}})
    await asyncio.sleep(0.01)
    while_granted = utcnow()
    await asyncio.sleep(0.01)
    await head(REVOKE, {"i": {"role": "it_support", "permission": "client:read"}})

    now = _who(await compliance(WHO, {"p": "client:read"}))
    then = _who(await compliance(WHO, {"p": "client:read", "at": while_granted.isoformat()}))
    earlier = _who(await compliance(WHO, {"p": "client:read", "at": before_grant.isoformat()}))
    assert staffed.it not in now and staffed.it not in earlier
    assert then[staffed.it] == ["it_support"]
    assert then[staffed.head] == now[staffed.head] == ["branch_head"]


async def test_head_office_sees_each_branchs_drift_from_the_baseline(api, as_member, staffed, world):
    head = await as_member(staffed.head)
    await head(REVOKE, {"i": {"role": "lobby_manager", "permission": "client.card:read"}})
    from tests.conftest import add_member

    auditor = await add_member(api.client._transport.app.state.runtime, world.head_office, ["auditor"])  # type: ignore[attr-defined]
    token = await api.token(auditor)
    body = await api.post(
        "{ policyDrift { drift branch { code } overrides { role permission granted } } }",
        token=token,
        branch=world.head_office.code,
    )
    drift = {d["branch"]["code"]: d for d in body["data"]["policyDrift"]}
    assert {"role": "lobby_manager", "permission": "client.card:read", "granted": False} in drift[staffed.code][
        "overrides"
    ]


async def test_a_baseline_change_reaches_every_branch(api, as_member, staffed, world):
    teller = await as_member(staffed.teller)
    token = await api.token(world.ho_admin)
    change = "mutation($i: BaselineChangeInput!) { changeBaseline(input: $i) { permissions { name } errors { code } } }"
    mine = "{ myPermissions { permission { name } } }"
    try:
        await api.post(
            change,
            {"i": {"role": "teller", "permission": "client:write", "granted": True}},
            token=token,
            branch=world.head_office.code,
        )
        assert "client:write" in {p["permission"]["name"] for p in (await teller(mine))["data"]["myPermissions"]}
    finally:
        await api.post(
            change,
            {"i": {"role": "teller", "permission": "client:write", "granted": False}},
            token=token,
            branch=world.head_office.code,
        )
    assert "client:write" not in {p["permission"]["name"] for p in (await teller(mine))["data"]["myPermissions"]}


async def test_looked_up_decisions_agree_with_the_casbin_matcher(rt, as_member, staffed):
    """Decisions are looked up from what Casbin worked out at load; the matcher must agree on every one."""
    from branchdesk.access.policy import staff_subject
    from branchdesk.access.registry import PERMISSIONS, split
    from branchdesk.rbac import repository as rbac_repository
    from branchdesk.tenants import repository
    from tests.conftest import enter

    head = await as_member(staffed.head)
    await head(GRANT, {"i": {"role": "teller", "permission": "client:write"}})
    await head(REVOKE, {"i": {"role": "it_support", "permission": "staff:read"}})
    async with rt.db.session(None) as session:
        staff = await repository.staff_by_employee_number(session, staffed.head)
        policy = (await enter(rt, session, staff.id, staffed.code)).policy
        members = await rbac_repository.assignments(session, staffed.branch.id)
    enforcer = policy.enforcer()
    for staff_id, roles in members:
        subject = staff_subject(staff_id)
        for permission in PERMISSIONS:
            assert policy.allows(subject, permission) == enforcer.enforce(subject, policy.domain, *split(permission)), (
                roles,
                permission,
            )
    assert policy.allows(staff_subject(staff.id), "policy:manage")
    assert not policy.allows(staff_subject(staff.id), "branch:onboard")


async def test_a_past_date_and_the_drift_in_one_request_do_not_wait_on_each_other(api, world):
    """Both write to the head office's audit trail; the drift's cross-branch read must not deadlock."""
    from tests.conftest import add_member

    auditor = await add_member(api.client._transport.app.state.runtime, world.head_office, ["auditor"])  # type: ignore[attr-defined]
    token = await api.token(auditor)
    query = '{ whoCan(permission: "audit:read", at: "2020-01-01T00:00:00Z") { via } policyDrift { drift } }'
    body = await asyncio.wait_for(api.post(query, token=token, branch=world.head_office.code), timeout=30)
    assert "errors" not in body and body["data"]["whoCan"] == []


async def test_a_policy_change_is_a_node_for_auditors_only(as_member, staffed):
    head, compliance, teller = (
        await as_member(staffed.head),
        await as_member(staffed.compliance),
        await as_member(staffed.teller),
    )
    await head(GRANT, {"i": {"role": "teller", "permission": "client:write"}})
    body = await compliance("{ policyChanges(first: 100) { edges { node { id kind permission } } } }")
    change_id = next(
        e["node"]["id"] for e in body["data"]["policyChanges"]["edges"] if e["node"]["permission"] == "client:write"
    )
    query = "query($id: ID!) { node(id: $id) { ... on PolicyChange { permission } } }"
    assert (await compliance(query, {"id": change_id}))["data"]["node"] == {"permission": "client:write"}
    assert (await teller(query, {"id": change_id}))["data"]["node"] is None


async def test_a_forged_cursor_is_a_typed_error(as_member, staffed):
    import base64

    compliance = await as_member(staffed.compliance)
    forged = base64.urlsafe_b64encode(b"k:not-a-uuid").decode()
    body = await compliance("query($a: String) { policyChanges(after: $a) { edges { cursor } } }", {"a": forged})
    assert extensions_of(body["errors"][0]) == {"code": "INVALID_CURSOR", "field": "after"}


async def test_who_is_calling_is_worked_out_once_per_request(api, staffed, sql_counter):
    """Sibling fields resolve concurrently; they must share one identity and branch lookup."""
    token = await api.token(staffed.teller)
    one = "{ a: myPermissions { via } }"
    three = "{ a: myPermissions { via } b: myPermissions { via } c: myPermissions { via } }"
    await api.post(one, token=token, branch=staffed.code)  # the branch's policy is loaded once, before counting
    await asyncio.sleep(0.2)  # and our own change announcements have arrived
    counts = []
    for query in (one, three):
        with sql_counter:
            before = sql_counter.count
            body = await api.post(query, token=token, branch=staffed.code)
            counts.append(sql_counter.count - before)
        assert "errors" not in body
    assert counts[0] == counts[1]
