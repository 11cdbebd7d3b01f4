"""A malformed global id, wherever an id goes, is answered like an id that exists nowhere: null from
``node``/``nodes`` and fields that may be null, NOT_FOUND (or INVALID_ID) where an object is required —
never an internal error or a schema validation failure. Generated from the schema: every id slot of
every root field."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.graphql import schema_ids

pytestmark = pytest.mark.external

SCHEMA = schema_ids.core_schema()
SLOTS = [
    schema_ids.Probe(slot, nullable=True) for slot in schema_ids.id_slots(SCHEMA) if slot.field not in ("node", "nodes")
]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


MALFORMED = {
    "empty": "",
    "not-base64": "!!!",
    "no-colon": _b64(b"StaffMember"),
    "interface-name": _b64(f"Node:{uuid.uuid4()}".encode()),
    "not-utf8": _b64(b"\xff\xfe:\xfa\xfb"),
    "not-a-uuid": _b64(b"StaffMember:42"),
    "nul": "\u0000",
    "surrogate": "\ud800",
}
EXPECTED = {"NOT_FOUND", "INVALID_ID"}


async def post(client: Any, query: str, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables})
    return (await client.post("/graphql", content=body, headers={"content-type": "application/json", **headers})).json()


def codes(body: dict[str, Any]) -> set[str]:
    found = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict):
            found |= {e["code"] for e in value.get("errors") or []}
    return found


@pytest.fixture(scope="module")
async def member(rt, world) -> tuple[str, str]:
    """A branch of this module's own (the shared world's member lists stay as other tests expect)."""
    branch = await onboard(
        rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number()
    )
    return branch.code, await add_member(rt, branch, ["branch_head", "compliance_officer"])


@pytest.fixture
async def caller(api, member) -> dict[str, str]:
    code, employee_number = member
    return {"authorization": f"Bearer {await api.token(employee_number)}", "x-branch": code}


@pytest.mark.parametrize("bad", MALFORMED.values(), ids=MALFORMED.keys())
async def test_node_and_nodes_answer_null(client, caller, bad):
    node = await post(client, "query($id: ID!) { node(id: $id) { id } }", {"id": bad}, caller)
    nodes = await post(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [bad, bad]}, caller)
    assert node == {"data": {"node": None}}
    assert nodes == {"data": {"nodes": [None, None]}}


async def test_a_malformed_id_written_in_the_document_is_not_found_either(client, caller):
    body = await post(client, '{ node(id: "!!!") { id } nodes(ids: ["", "!!!"]) { id } }', {}, caller)
    assert body == {"data": {"node": None, "nodes": [None, None]}}


@pytest.fixture
async def head_office(api, world) -> dict[str, str]:
    """Head office's administrator: the caller of fields only head office may use (directives, …)."""
    return {"authorization": f"Bearer {await api.token(world.ho_admin)}", "x-branch": world.head_office.code}


@pytest.mark.parametrize("probe", SLOTS, ids=lambda p: p.name)
async def test_every_id_argument_treats_a_malformed_id_as_unknown(client, caller, head_office, probe):
    for name, bad in MALFORMED.items():
        document, variables = probe.request(SCHEMA, bad)
        body = await post(client, document, variables, caller)
        if codes(body) == {"FORBIDDEN"}:  # a head-office field: asked by whoever may use it
            body = await post(client, document, variables, head_office)
        answered_null = not body.get("errors") and body["data"] == {probe.slot.field: None}
        assert answered_null or (codes(body) and codes(body) <= EXPECTED), (name, body)
