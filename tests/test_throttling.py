"""Guessing is throttled where it is cheap to try and costly to check: sign-in across accounts from one
source address, and /oauth/token per client id and per source address. The counters live in Redis, so
every API process sees the same counts."""

import dataclasses
import secrets

import httpx
import pytest

from branchdesk.api import create_app
from tests.conftest import PASSWORD, make_settings, unique_employee_number

pytestmark = pytest.mark.external

SIGN_IN = "mutation($i: SignInInput!) { signIn(input: $i) { accessToken errors { code field message } } }"


def app_with(servers, rt, **overrides):
    """The app of a process configured with ``overrides``, on the test run's servers."""
    settings = make_settings(servers, **overrides)
    return create_app(settings, dataclasses.replace(rt, settings=settings))


def some_address() -> str:
    return f"198.51.100.{secrets.randbelow(250) + 1}-{secrets.token_hex(3)}"


def client_from(app, address: str, base_url: str = "http://branchdesk.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 4711)), base_url=base_url)


async def sign_in_answer(client: httpx.AsyncClient, employee_number: str, password: str) -> httpx.Response:
    variables = {"i": {"employeeNumber": employee_number, "password": password}}
    return await client.post("/graphql", json={"query": SIGN_IN, "variables": variables})


async def sign_in(client: httpx.AsyncClient, employee_number: str, password: str) -> dict:
    variables = {"i": {"employeeNumber": employee_number, "password": password}}
    response = await client.post("/graphql", json={"query": SIGN_IN, "variables": variables})
    return response.json()["data"]["signIn"]


async def test_one_source_spraying_many_accounts_is_rate_limited(servers, rt, world):
    app = app_with(servers, rt, signin_source_max_failures=3)
    address = some_address()
    async with client_from(app, address) as sprayer, client_from(app, some_address()) as colleague:
        for _ in range(3):
            failed = await sign_in(sprayer, unique_employee_number(), "Wrong-password-1")
            assert [e["code"] for e in failed["errors"]] == ["SIGNIN_FAILED"]

        answer = await sign_in_answer(sprayer, world.head_a, PASSWORD)  # even the right password
        refused = answer.json()["data"]["signIn"]
        elsewhere = await sign_in(colleague, world.head_a, PASSWORD)

    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert refused["accessToken"] is None
    assert [e["code"] for e in refused["errors"]] == ["RATE_LIMITED"]
    assert "seconds" in refused["errors"][0]["message"]
    assert elsewhere["errors"] == [] and elsewhere["accessToken"]


async def test_successful_sign_ins_do_not_count_against_their_source(servers, rt, world):
    app = app_with(servers, rt, signin_source_max_failures=2)
    async with client_from(app, some_address()) as branch_network:
        results = [await sign_in(branch_network, world.head_a, PASSWORD) for _ in range(5)]

    assert all(result["errors"] == [] for result in results)


async def test_the_source_count_is_shared_through_redis(servers, rt, world):
    """Two app instances (two API processes) count the same source together."""
    address = some_address()
    first = app_with(servers, rt, signin_source_max_failures=2)
    second = app_with(servers, rt, signin_source_max_failures=2)
    async with client_from(first, address) as one, client_from(second, address) as other:
        await sign_in(one, unique_employee_number(), "Wrong-password-1")
        await sign_in(other, unique_employee_number(), "Wrong-password-1")
        refused = await sign_in(one, unique_employee_number(), "Wrong-password-1")

    assert [e["code"] for e in refused["errors"]] == ["RATE_LIMITED"]


async def _token_request(client: httpx.AsyncClient, client_id: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "guess"}
    return await client.post("/oauth/token", data=form)


async def test_token_requests_from_one_source_are_rate_limited(servers, rt):
    app = app_with(servers, rt, token_max_per_source=3)
    async with client_from(app, some_address(), "https://branchdesk.test") as client:
        answers = [await _token_request(client, f"0000.spray-{i}") for i in range(4)]

    assert [a.status_code for a in answers[:3]] == [401, 401, 401]
    assert answers[3].status_code == 429
    assert int(answers[3].headers["retry-after"]) > 0
    assert answers[3].json()["error"] == "rate_limited"
    assert answers[3].headers["cache-control"] == "no-store"


async def test_token_requests_for_one_client_id_are_rate_limited_from_any_source(servers, rt):
    app = app_with(servers, rt, token_max_per_client=2)
    client_id = f"0000.target-{secrets.token_hex(4)}"
    answers = []
    for _ in range(3):
        async with client_from(app, some_address(), "https://branchdesk.test") as client:
            answers.append(await _token_request(client, client_id))

    assert [a.status_code for a in answers] == [401, 401, 429]
    assert "retry-after" in answers[2].headers


async def test_a_callers_graphql_cost_is_limited_when_configured(servers, rt, world, api):
    # given a budget of 5 fields a minute per caller
    app = app_with(servers, rt, graphql_cost_budget=5)
    token, other = await api.token(world.head_a), await api.token(world.head_b)
    query = "{ me { employeeNumber displayName } }"  # 3 fields

    async with client_from(app, some_address()) as client:

        async def ask(bearer: str, branch: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {bearer}", "X-Branch": branch}
            return await client.post("/graphql", json={"query": query}, headers=headers)

        first = await ask(token, world.branch_a.code)
        over = await ask(token, world.branch_a.code)
        someone_else = await ask(other, world.branch_b.code)

    # then the second operation (6 fields) is refused unexecuted, with 429 and when to retry
    assert first.status_code == 200 and first.json()["data"]["me"]["employeeNumber"] == world.head_a
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
    assert over.json()["data"] is None
    assert [e["extensions"]["code"] for e in over.json()["errors"]] == ["RATE_LIMITED"]
    # and another caller has a budget of their own
    assert someone_else.status_code == 200 and someone_else.json()["data"]["me"]["employeeNumber"] == world.head_b
