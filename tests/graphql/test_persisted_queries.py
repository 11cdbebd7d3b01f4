"""Apollo Client's automatic persisted queries, in the exact shape its link sends them: an unknown hash
is answered PersistedQueryNotFound so the client sends the query with its hash; from then on the hash
alone runs the query, in every API process (the queries are kept in Redis)."""

from __future__ import annotations

import hashlib
import json
import secrets

import httpx

from branchdesk.api import create_app

WHOAMI = "query Whoami { __typename }"


def apq(sha: str, version: int = 1) -> dict[str, object]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def sha_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


async def test_a_hash_alone_is_not_found_then_the_full_query_is_kept_for_every_process(client, rt, settings):
    query = f"query Fresh{secrets.token_hex(4)} {{ __typename }}"
    sha = sha_of(query)

    first = await client.post("/graphql", json={"operationName": None, "variables": {}, "extensions": apq(sha)})
    retried = await client.post("/graphql", json={"query": query, "variables": {}, "extensions": apq(sha)})
    other_process = create_app(settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other_process), base_url="http://b") as other:
        by_hash = await other.post("/graphql", json={"variables": {}, "extensions": apq(sha)})
        by_get = await other.get(
            "/graphql", params={"extensions": json.dumps(apq(sha))}, headers={"Accept": "application/json"}
        )

    assert first.status_code == 200
    error = first.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert error["extensions"]["requestId"] == first.headers["x-request-id"]
    assert retried.json() == {"data": {"__typename": "Query"}}
    assert by_hash.json() == {"data": {"__typename": "Query"}}
    assert by_get.json() == {"data": {"__typename": "Query"}}


async def test_a_hash_that_does_not_match_its_query_is_refused(client):
    response = await client.post("/graphql", json={"query": WHOAMI, "extensions": apq(sha_of("{ other }"))})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_an_invalid_query_is_not_kept(client):
    query = "{ noSuchField }"
    sha = sha_of(query)

    sent = await client.post("/graphql", json={"query": query, "extensions": apq(sha)})
    again = await client.post("/graphql", json={"extensions": apq(sha)})

    assert sent.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_another_protocol_version_tells_the_client_to_send_whole_queries(client):
    response = await client.post("/graphql", json={"extensions": apq(sha_of(WHOAMI), version=2)})

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
