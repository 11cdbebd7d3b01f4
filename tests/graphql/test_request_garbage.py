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
