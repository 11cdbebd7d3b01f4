"""The HTTP edge: malformed or oversized requests are the caller's mistake (4xx with a JSON body, never a
500), and every response carries the security headers."""

import httpx
import pytest

from branchdesk.api import create_app
from tests.conftest import make_settings


@pytest.mark.parametrize("body", ['"x"', "5", "null", "[]", "[1]", "true", "\xff"], ids=repr)
async def test_a_body_that_is_not_a_json_object_is_a_400(client, body):
    response = await client.post(
        "/graphql", content=body.encode("latin-1"), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("depth", [40, 10_000])
async def test_json_nested_too_deeply_is_a_400(client, depth):
    body = '{"query": "{ __typename }", "variables": {"v": ' + "[" * depth + "]" * depth + "}}"

    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert "nested" in response.json()["errors"][0]["message"]


async def test_json_within_the_nesting_cap_is_served(client):
    body = '{"query": "{ __typename }", "variables": {"v": ' + "[" * 20 + "]" * 20 + "}}"

    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_strawberrys_own_refusals_are_json(client):
    response = await client.post("/graphql", content=b"query=x", headers={"Content-Type": "text/plain"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/path", 404, "NOT_FOUND"),
        ("PUT", "/graphql", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/oauth/token", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/exports/access-reviews/abc.csv", 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_starlettes_own_refusals_are_json_with_the_request_id(client, method, path, status, code):
    response = await client.request(method, path)

    assert response.status_code == status and response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": code, "requestId": response.headers["x-request-id"]}
    if status == 405:
        assert response.headers["allow"]


async def test_an_unexpected_failure_outside_graphql_is_a_masked_json_500(settings, rt):
    app = create_app(settings, rt)

    async def broken(request):
        raise RuntimeError("secret detail")

    app.add_route("/broken", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # the server logs it; the client sees:
    async with httpx.AsyncClient(transport=transport, base_url="http://branchdesk.test") as client:
        response = await client.get("/broken", headers={"X-Request-Id": "support-ticket-42"})

    assert response.status_code == 500 and response.headers["x-request-id"] == "support-ticket-42"
    assert response.json() == {
        "errors": [
            {"message": "Unexpected error.", "extensions": {"code": "INTERNAL_ERROR", "requestId": "support-ticket-42"}}
        ]
    }


async def test_a_declared_body_over_the_cap_is_a_413(client):
    body = b'{"query": "{ __typename }", "pad": "' + b"x" * (1024 * 1024) + b'"}'

    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_streamed_body_over_the_cap_is_a_413(client):
    async def chunks():
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(40):
            yield b"x" * 32 * 1024
        yield b'"}'

    response = await client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 413


async def test_the_body_cap_is_configurable(servers, rt):
    import httpx

    app = create_app(make_settings(servers, http_max_body_bytes=2048), rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test") as c:
        small = await c.post("/graphql", json={"query": "{ __typename }"})
        large = await c.post("/graphql", json={"query": "{ __typename }", "pad": "x" * 4096})

    assert small.status_code == 200
    assert large.status_code == 413


async def test_graphql_answers_are_never_stored(api, world):
    response = await api.client.post(
        "/graphql",
        json={
            "query": "mutation($i: SignInInput!) { signIn(input: $i) { accessToken } }",
            "variables": {"i": {"employeeNumber": world.head_a, "password": "Correct-horse-42"}},
        },
    )

    assert response.json()["data"]["signIn"]["accessToken"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_token_endpoint_answers_are_never_stored(client):
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials"})

    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/healthz", "/.well-known/jwks.json", "/metrics", "/graphql"])
async def test_every_response_denies_sniffing_and_framing(client, path):
    response = await client.get(path, headers={"Accept": "text/html"})

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
