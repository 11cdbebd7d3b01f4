"""A request leaves no reference cycles behind: what it built is freed when it ends, not by the collector.

A cycle through anything a request holds keeps all of it (its Context, principal, the Starlette request
and its scope, the executor and its loaders: about 50 objects) alive after the answer has gone, until a
collection finds it; under load every collection then walks the requests finished since (issue 8: GC
pauses are the p99's enemy). The collector is asked, with ``DEBUG_SAVEALL``, what it had to free."""

from __future__ import annotations

import gc
from collections import Counter

import pytest

pytestmark = pytest.mark.external

# The request path's own code; other work in the process (the test client, Redis listeners) is not judged.
REQUEST_PATH = ("branchdesk.", "starlette.", "strawberry.", "graphql.")
QUERIES = {
    "staff page": "{ staff(first: 20) { edges { cursor node { id employeeNumber displayName email roles } } } }",
    "me": "{ me { employeeNumber displayName memberships { branch { code } roles } } }",
    "node": "query($id: ID!) { node(id: $id) { ... on StaffMember { employeeNumber displayName } } }",
    "anonymous": "{ __typename }",
}


def _left_behind(objects: list[object]) -> Counter[str]:
    kinds = (f"{type(o).__module__}.{type(o).__qualname__}" for o in objects)
    return Counter(kind for kind in kinds if kind.startswith(REQUEST_PATH))


@pytest.mark.parametrize("name", list(QUERIES))
async def test_a_request_leaves_no_reference_cycles(api, world, name):
    token = await api.token(world.head_a)
    page = await api.post("{ staff(first: 1) { edges { node { id } } } }", token=token, branch=world.branch_a.code)
    variables = {"id": page["data"]["staff"]["edges"][0]["node"]["id"]} if name == "node" else None
    signed_in = {"token": token, "branch": world.branch_a.code} if name != "anonymous" else {}

    async def ask() -> None:
        body = await api.post(QUERIES[name], variables, **signed_in)
        assert "errors" not in body, body

    for _ in range(3):  # caches filled: parsed and validated documents, plans, the branch's policy
        await ask()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(5):
            await ask()
        gc.collect()
        left = _left_behind(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not left, f"{name}: {sum(left.values()) / 5:.0f} objects a request in cycles: {left.most_common(8)}"


# Lists whose statement is built per request (a search, a caller's data scope): what the request path
# derives from a statement (its page, its plan, its compiled form) is kept only while the statement lives.
BUILT_PER_REQUEST = {
    "staff search": '{ staff(first: 20, search: "a") { edges { cursor node { id employeeNumber displayName } } } }',
    "staff search, next page": '{ staff(first: 1, search: "a", after: "%s") { edges { node { id } } } }',
}


def _database_objects() -> Counter[str]:
    kinds = (f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
    return Counter(kind for kind in kinds if kind.startswith(("sqlalchemy.", "branchdesk.platform.")))


@pytest.mark.parametrize("name", list(BUILT_PER_REQUEST))
async def test_a_list_built_per_request_keeps_nothing_once_answered(api, world, name):
    token = await api.token(world.head_a)
    first = await api.post(BUILT_PER_REQUEST["staff search"], token=token, branch=world.branch_a.code)
    assert first["data"]["staff"]["edges"], first
    query = BUILT_PER_REQUEST[name]
    if "%s" in query:
        query %= first["data"]["staff"]["edges"][0]["cursor"]

    async def ask() -> None:
        body = await api.post(query, token=token, branch=world.branch_a.code)
        assert "errors" not in body and body["data"]["staff"] is not None, body

    for _ in range(3):  # caches filled: documents, plans, SQLAlchemy's compiled SQL
        await ask()
    gc.collect()
    before = _database_objects()
    for _ in range(8):
        await ask()
    gc.collect()
    grown = _database_objects() - before
    assert not grown, f"{name}: kept after 8 requests: {grown.most_common(8)}"
