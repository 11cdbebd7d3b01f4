"""A POST of one JSON operation is answered without strawberry's general dispatch (``BranchdeskGraphQL.
_answer_json_post``); every answer must be the one strawberry's ``run`` gives the same request: status,
headers and body, refusals included. Each request is sent twice, once each way, and compared."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from branchdesk.api import BranchdeskGraphQL


def _same_shape(response: Any) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in response.headers.items() if k not in ("x-request-id", "content-length")}
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        for error in body.get("errors") or []:
            (error.get("extensions") or {}).pop("requestId", None)
    return response.status_code, headers, body


async def _both_ways(client: Any, monkeypatch: Any, **request: Any) -> tuple[Any, Any]:
    taken = []
    lean = BranchdeskGraphQL._answer_json_post

    async def counted(self: BranchdeskGraphQL, http_request: Any) -> Any:
        try:
            answer = await lean(self, http_request)
        except Exception:
            taken.append("refused")  # as strawberry refuses it (HTTP 400), which the comparison checks
            raise
        taken.append("answered" if answer is not None else "handed to run")
        return answer

    async def declined(self: BranchdeskGraphQL, http_request: Any) -> None:
        return None

    with monkeypatch.context() as patched:
        patched.setattr(BranchdeskGraphQL, "_answer_json_post", counted)
        direct = await client.post("/graphql", **request)
    with monkeypatch.context() as patched:
        patched.setattr(BranchdeskGraphQL, "_answer_json_post", declined)
        through_run = await client.post("/graphql", **request)
    return (direct, taken), through_run


ANSWERED, HANDED, REFUSED = "answered", "handed to run", "refused"
SIGNED_IN = [
    pytest.param({"query": "{ me { employeeNumber } }"}, ANSWERED, id="query"),
    pytest.param({"query": "{ staff(first: 2) { edges { node { employeeNumber } } } }"}, ANSWERED, id="list"),
    pytest.param({"query": "{ staff(first: -1) { edges { cursor } } }"}, ANSWERED, id="domain-error"),
    pytest.param({"query": "{ nope }"}, ANSWERED, id="validation-error"),
    pytest.param({"query": "{ me { "}, ANSWERED, id="syntax-error"),
    pytest.param({"query": "query Q { me { id } }", "operationName": "Other"}, REFUSED, id="unknown-operation"),
    pytest.param({"query": "subscription { x }"}, ANSWERED, id="subscription-over-post"),
    pytest.param({"variables": {}}, REFUSED, id="no-query"),
    pytest.param({"query": 5}, HANDED, id="query-not-a-string"),
    pytest.param({"query": "{ me { id } }", "variables": [1]}, HANDED, id="variables-not-an-object"),
    pytest.param([{"query": "{ me { id } }"}], HANDED, id="batch"),
    pytest.param(
        {"query": "mutation($i: SignInInput!) { signIn(input: $i) { errors { code } } }", "variables": {"i": {}}},
        ANSWERED,
        id="bad-variables",
    ),
]


@pytest.mark.parametrize(("body", "path"), SIGNED_IN)
async def test_a_json_post_is_answered_as_strawberry_answers_it(client, api, world, monkeypatch, body, path):
    token = await api.token(world.head_a)
    headers = {"Authorization": f"Bearer {token}", "X-Branch": world.branch_a.code, "Accept-Language": "zh-CN"}
    (direct, taken), through_run = await _both_ways(client, monkeypatch, json=body, headers=headers)
    assert taken == [path]
    assert _same_shape(direct) == _same_shape(through_run)


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("content", "headers", "path"),
    [
        pytest.param(b'{"query": "{ __typename }"}', JSON, ANSWERED, id="anonymous"),
        pytest.param(b'{"query": "{ me { id } }"}', JSON, ANSWERED, id="unauthenticated"),
        pytest.param(b"{not json", JSON, REFUSED, id="not-json"),
        pytest.param(b'"x"', JSON, REFUSED, id="not-an-object"),
        pytest.param(b"\xff\xfe", JSON, REFUSED, id="not-utf-8"),
        pytest.param(b'{"query": "{ __typename }"}', {"Content-Type": "text/plain"}, HANDED, id="other-content-type"),
        pytest.param(
            b'{"query": "{ __typename }"}', {"Content-Type": "application/json; charset=utf-8"}, ANSWERED, id="charset"
        ),
        pytest.param(
            b'{"query": "{ __typename }"}', {"Content-Type": "Application/JSON"}, HANDED, id="media-type-in-capitals"
        ),
    ],
)
async def test_other_posts_are_answered_as_strawberry_answers_them(client, monkeypatch, content, headers, path):
    (direct, taken), through_run = await _both_ways(client, monkeypatch, content=content, headers=headers)
    assert taken == [path]
    assert _same_shape(direct) == _same_shape(through_run)


async def test_a_persisted_query_is_answered_alike_both_ways(client, monkeypatch):
    query = "{ __typename }"
    sha = hashlib.sha256(query.encode()).hexdigest()
    hashed = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    for body in (hashed, {"query": query, **hashed}, hashed):
        (direct, taken), through_run = await _both_ways(
            client, monkeypatch, content=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert taken == [ANSWERED]
        assert _same_shape(direct) == _same_shape(through_run)
