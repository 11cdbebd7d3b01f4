"""Another branch's objects are not found, whichever way an id reaches them: generated from the schema.

For every type implementing ``Node`` and an object of it made in branch B, a caller acting elsewhere
who holds every permission the field declares gets, from ``node``, ``nodes`` and every root field that
takes an id naming that type (arguments and input fields, found by walking the schema), the answer an
id that exists nowhere gets: null, NOT_FOUND, none of the object's data; and nothing in the database
changes. The same request sent in branch B reaches the object, so none of this passes vacuously.

Two callers: a member of branch A (who is also a member of B with the same roles, so only the branch
they act in separates a refusal from an answer) and a member of head office. Branch is the exception
by design: head office sees every branch (``node`` and ``branch(code:)`` say so); only the branch
caller is refused another branch.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from strawberry import relay

from branchdesk.models import metadata
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import Api, add_member, onboard, unique_code, unique_employee_number, without_request_ids
from tests.graphql import schema_ids
from tests.graphql.node_factories import FACTORIES, Made, make_feedback, make_handoff, make_meeting
from tests.graphql.schema_ids import ANY_NODE, NOT_AN_OBJECT, Probe, classify, id_slots, node_types

pytestmark = pytest.mark.external

SCHEMA = schema_ids.core_schema()
NODE_TYPES = node_types(SCHEMA)
PROBES = schema_ids.probes_by_type(SCHEMA)
BRANCH_ROLES = ["branch_head", "compliance_officer"]  # between them, every branch permission
HEAD_OFFICE_ROLES = ["head_office_admin", *BRANCH_ROLES]
BY_ID = ("node", "nodes")


def _cases() -> list[Any]:
    cases = []
    for kind in ("branch", "head_office"):
        for type_name in NODE_TYPES:
            if kind == "head_office" and type_name == "Branch":
                continue  # head office sees every branch by design: test_head_office_sees_every_branch
            for probe in [*BY_ID, *PROBES[type_name]]:
                name = probe if isinstance(probe, str) else probe.name
                cases.append(pytest.param(kind, type_name, probe, id=f"{kind}-{type_name}-{name}"))
    return cases


# --- the scene -----------------------------------------------------------------------------------


@dataclass
class Caller:
    employee_number: str
    branch: Any  # where they act
    owner: str  # who makes objects in that branch
    token: str = ""
    held: frozenset[str] = frozenset()
    signed_at: float = 0.0  # time.monotonic() of the token's sign-in


@dataclass
class Scene:
    api: Api
    branch_b: Any
    head_b: str
    callers: dict[str, Caller]

    async def post(
        self, caller: Caller, document: str, variables: dict[str, Any], branch: Any = None
    ) -> dict[str, Any]:
        if time.monotonic() - caller.signed_at > TOKEN_REFRESH_SECONDS:
            await sign_in(self.api, caller)
        answer = await self.api.post(document, variables, token=caller.token, branch=(branch or caller.branch).code)
        return without_request_ids(answer)

    async def in_b(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """As the branch caller, acting in B where they are a member with the same roles."""
        return await self.post(self.callers["branch"], document, variables, branch=self.branch_b)


# The module's hundreds of requests outlast an access token (15 minutes) on a busy machine: sign in again.
TOKEN_REFRESH_SECONDS = 600


async def sign_in(api: Api, caller: Caller) -> None:
    caller.token, caller.signed_at = await api.token(caller.employee_number), time.monotonic()


@pytest.fixture(scope="module")
async def scene(rt, app, world) -> AsyncIterator[Scene]:
    head_a, head_b = unique_employee_number("A"), unique_employee_number("B")
    branch_a = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_a)
    branch_b = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_b)
    member = await add_member(rt, branch_a, BRANCH_ROLES)
    await add_member(rt, branch_b, BRANCH_ROLES, employee_number=member)
    head_office = await add_member(rt, world.head_office, HEAD_OFFICE_ROLES)
    async with rt.db.session(None) as session:
        member_id = (await tenants.staff_by_employee_number(session, member)).id
    # Moving a client names its new owner: the branch caller, a member of A and B alike.
    schema_ids.SAMPLES["toOwnerId"] = str(relay.GlobalID("StaffMember", str(member_id)))
    schema_ids.SAMPLES["assigneeId"] = schema_ids.SAMPLES["toOwnerId"]  # a complaint's assignee, likewise
    schema_ids.SAMPLES["staffId"] = schema_ids.SAMPLES["toOwnerId"]  # who is away (recordAbsence), likewise
    # The complaint an assignee is given: one of B, where the same request reaches it; in A the stranger
    # assignee is not found before the complaint is looked up.
    schema_ids.SAMPLES["id"] = (await make_feedback(rt, branch_b, head_b)).global_id
    # A comment's subject, a handoff reassigned, a meeting given an action item: of B, likewise.
    schema_ids.SAMPLES["subjectId"] = (await make_handoff(rt, branch_b, head_b)).global_id
    schema_ids.SAMPLES["handoffId"] = (await make_handoff(rt, branch_b, head_b)).global_id
    schema_ids.SAMPLES["meetingId"] = (await make_meeting(rt, branch_b, head_b)).global_id
    callers = {
        "branch": Caller(member, branch_a, owner=head_a),
        "head_office": Caller(head_office, world.head_office, owner=head_office),
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test") as client:
        api = Api(client)
        for caller in callers.values():
            await sign_in(api, caller)
            mine = await api.post(
                "{ myPermissions { permission { name } } }", token=caller.token, branch=caller.branch.code
            )
            caller.held = frozenset(p["permission"]["name"] for p in mine["data"]["myPermissions"])
        yield Scene(api, branch_b, head_b, callers)


async def make(rt: Any, type_name: str, branch: Any, owner: str) -> Made:
    factory = FACTORIES.get(type_name)
    if factory is None:
        pytest.fail(f"Node type {type_name} has no factory: add one to FACTORIES in tests/graphql/node_factories.py")
    return await factory(rt, branch, owner)


def missing_id(type_name: str) -> str:
    return str(relay.GlobalID(type_name, str(uuid.uuid4())))


def request(probe: str | Probe, type_name: str, global_id: str) -> tuple[str, dict[str, Any]]:
    if probe == "node":
        return schema_ids.node_document(type_name, SCHEMA), {"id": global_id}
    if probe == "nodes":
        fields = schema_ids.selection(SCHEMA.type_map[type_name], 1)
        return f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename ... on {type_name} {fields} }} }}", {
            "ids": [global_id]
        }
    return probe.request(SCHEMA, global_id)


def declared_permission(probe: str | Probe) -> str:
    root, name = ("Query", probe) if isinstance(probe, str) else (probe.slot.root, probe.slot.field)
    return SCHEMA.get_type(root).fields[name].extensions.get("strawberry-definition").metadata["permission"]


async def read_in_b(scene: Scene, made: Made) -> dict[str, Any] | None:
    body = await scene.in_b(schema_ids.node_document(made.type_name, SCHEMA), {"id": made.global_id})
    return body["data"]["node"]


async def snapshot(rt: Any) -> dict[str, set[str]]:
    """Every row of every table, read across branches (as JSON: some columns are JSON or arrays)."""
    async with rt.db.platform_session() as session:
        return {
            table.name: {
                json.dumps(list(row), default=str, sort_keys=True)
                for row in (await session.execute(select(table))).all()
            }
            for table in metadata.sorted_tables
        }


def changes(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, Any]:
    return {t: {"gone": before[t] - after[t], "new": after[t] - before[t]} for t in before if before[t] != after[t]}


# --- what an answer is ---------------------------------------------------------------------------


def _codes(body: dict[str, Any], value: Any) -> list[str]:
    top = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    payload = [e["code"] for e in value.get("errors") or []] if isinstance(value, dict) else []
    return top + payload


def _field(probe: str | Probe) -> str:
    return probe if isinstance(probe, str) else probe.slot.field


def not_found(probe: str | Probe, body: dict[str, Any]) -> str | None:
    """Why ``body`` is not a not-found answer, or None when it is one."""
    value = (body.get("data") or {}).get(_field(probe))
    if probe == "node":
        return None if value is None and "errors" not in body else "node answered"
    if probe == "nodes":
        return None if value == [None] and "errors" not in body else "nodes answered"
    is_payload = isinstance(value, dict) and "errors" in value
    shown = (
        {k: v for k, v in value.items() if k not in ("__typename", "errors") and v is not None} if is_payload else value
    )
    if shown:
        return f"data shown: {shown}"
    codes = _codes(body, value)
    if any(code != "NOT_FOUND" for code in codes):
        return f"codes {codes}, not NOT_FOUND"
    # A nullable query field may say "not found" with null alone (accessReview does, as node does).
    if not codes and not (probe.slot.root == "Query" and probe.nullable):
        return "no NOT_FOUND error"
    return None


def reached(probe: str | Probe, body: dict[str, Any], type_name: str) -> bool:
    """The request found the object (whatever it then did or refused)."""
    value = (body.get("data") or {}).get(_field(probe))
    if probe == "node":
        return value is not None and value["__typename"] == type_name
    if probe == "nodes":
        return value is not None and value[0] is not None and value[0]["__typename"] == type_name
    if "errors" in body:
        return False
    is_payload = isinstance(value, dict) and "errors" in value
    return "NOT_FOUND" not in _codes(body, value) if is_payload else value is not None


# --- the tests -----------------------------------------------------------------------------------


def test_every_id_argument_names_a_node_type():
    slots = id_slots(SCHEMA)
    named = {s: classify(s, NODE_TYPES) for s in slots}
    unclassified = [str(s) for s, t in named.items() if t is None]
    assert not unclassified, (
        "say which Node type these id arguments name (REFERS_TO or ON_FIELD in tests/graphql/schema_ids.py): "
        f"{unclassified}"
    )
    unknown = {str(s): t for s, t in named.items() if t not in (*NODE_TYPES, ANY_NODE, NOT_AN_OBJECT)}
    assert not unknown, f"these name no Node type: {unknown}"
    assert {str(s) for s, t in named.items() if t == ANY_NODE} == {"Query.node(id)", "Query.nodes(ids)"}
    assert not [str(s) for s in slots if s.root == "Subscription"], "probe subscriptions over graphql-transport-ws too"
    per_field: dict[tuple[str, str], int] = {}
    for s, t in named.items():
        if t in NODE_TYPES:
            per_field[(s.root, s.field)] = per_field.get((s.root, s.field), 0) + 1
    several = [f for f, n in per_field.items() if n > 1 and f not in schema_ids.SEVERAL]
    assert not several, f"fields taking ids of several objects need the others filled with objects of A: {several}"
    used = {s.name for s in slots} | {(s.root, s.field, s.name) for s in slots}
    stale = [k for k in [*schema_ids.REFERS_TO, *schema_ids.ON_FIELD] if k not in used]
    assert not stale, f"table entries that no longer match an argument: {stale}"


def test_every_node_type_has_a_factory():
    assert NODE_TYPES, "the schema has no Node types: the walk is broken"
    assert sorted(set(NODE_TYPES) - set(FACTORIES)) == [], "add a factory to tests/graphql/node_factories.py"


@pytest.mark.parametrize(("kind", "type_name", "probe"), _cases())
async def test_an_object_of_another_branch_is_not_found(rt, scene, kind, type_name, probe):
    # given an object of branch B, and a caller acting elsewhere who holds the field's permission
    caller = scene.callers[kind]
    assert declared_permission(probe) in caller.held, f"give the {kind} caller a role with {declared_permission(probe)}"
    made = await make(rt, type_name, scene.branch_b, scene.head_b)
    document, variables = request(probe, type_name, made.global_id)
    as_in_b = await read_in_b(scene, made)
    assert as_in_b is not None, f"branch B cannot read its own {type_name}"
    answer_for_nothing = await scene.post(caller, *request(probe, type_name, missing_id(type_name)))
    before = await snapshot(rt)

    # when the caller sends its id
    answer = await scene.post(caller, document, variables)

    # then it is not found, exactly as an id of nothing, and nothing changed
    after = await snapshot(rt)
    assert not_found(probe, answer) is None, f"{not_found(probe, answer)}: {answer}"
    assert answer == answer_for_nothing
    text = json.dumps(answer, ensure_ascii=False)
    assert not [f for f in made.fingerprints() if f in text], answer
    assert changes(before, after) == {}
    assert await read_in_b(scene, made) == as_in_b
    # and the same request sent in branch B reaches the object: the refusal above is about the branch
    in_b = await scene.in_b(document, variables)
    assert reached(probe, in_b, type_name), in_b


@pytest.mark.parametrize("type_name", NODE_TYPES)
async def test_the_same_caller_acting_in_branch_b_reads_it(rt, scene, type_name):
    made = await make(rt, type_name, scene.branch_b, scene.head_b)
    body = await scene.in_b(schema_ids.node_document(type_name, SCHEMA), {"id": made.global_id})
    assert body["data"]["node"] is not None and body["data"]["node"]["id"] == made.global_id, body


@pytest.mark.parametrize("kind", ["branch", "head_office"])
@pytest.mark.parametrize("type_name", NODE_TYPES)
async def test_each_caller_reads_such_an_object_of_its_own_branch(rt, scene, kind, type_name):
    caller = scene.callers[kind]
    made = await make(rt, type_name, caller.branch, caller.owner)
    body = await scene.post(caller, schema_ids.node_document(type_name, SCHEMA), {"id": made.global_id})
    assert body["data"]["node"] is not None and body["data"]["node"]["id"] == made.global_id, body


async def test_head_office_sees_every_branch(scene):
    """By design: head office oversees the branches, so a branch is no secret from it."""
    branch_b = str(relay.GlobalID("Branch", str(scene.branch_b.id)))
    body = await scene.post(scene.callers["head_office"], schema_ids.node_document("Branch", SCHEMA), {"id": branch_b})
    assert body["data"]["node"]["code"] == scene.branch_b.code
