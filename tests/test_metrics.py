"""/metrics: no caller can create series with made-up operation names, and the endpoint is closed unless
configured (a bearer token), except in development."""

import secrets

import httpx
import pytest

from branchdesk.api import create_app
from tests.conftest import PRODUCTION_DATA_KEYS, make_settings

PRODUCTION = {
    "env": "production",
    "signing_keys": "{}",
    "db_role_password": "not-the-default",
    **PRODUCTION_DATA_KEYS,
}


def _client(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test")


async def _series(client) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_made_up_operation_names_count_as_other(client):
    invented = "Spam" + secrets.token_hex(6)

    await client.post("/graphql", json={"query": f"query {invented} {{ __typename }}", "operationName": invented})

    series = await _series(client)
    assert invented not in series
    assert 'operation="other"' in series


async def test_operations_named_after_root_fields_keep_their_name(client):
    await client.post(
        "/graphql",
        json={"query": "query Branches { __typename }", "operationName": "Branches"},
    )
    await client.post(
        "/graphql",
        json={"query": 'mutation signIn { signOut(input: {refreshToken: "x"}) { signedOut } }'},
    )

    series = await _series(client)
    assert 'operation="branches"' in series
    assert 'operation="signIn"' in series


async def test_allow_listed_operation_names_keep_their_name(servers, rt):
    app = create_app(make_settings(servers, metrics_operations=["NightlyReport"]), rt)
    async with _client(app) as client:
        await client.post("/graphql", json={"query": "query NightlyReport { __typename }"})

        assert 'operation="NightlyReport"' in await _series(client)


async def test_metrics_are_closed_in_production_without_a_token(servers, rt):
    app = create_app(make_settings(servers, **PRODUCTION), rt)
    async with _client(app) as client:
        response = await client.get("/metrics")

    assert response.status_code == 404
    assert "branchdesk_graphql_requests" not in response.text


@pytest.mark.parametrize("env", [{}, PRODUCTION], ids=["development", "production"])
async def test_metrics_need_the_configured_token(servers, rt, env):
    app = create_app(make_settings(servers, metrics_token="scrape-secret", **env), rt)
    async with _client(app) as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})

    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert right.status_code == 200
    assert "branchdesk_graphql_requests" in right.text


def test_garbage_collection_pauses_are_measured():
    import gc

    from branchdesk.api import settle_garbage_collector
    from branchdesk.platform import metrics

    thresholds = gc.get_threshold()
    settle_garbage_collector()  # what a served process does after start-up
    try:
        assert metrics.observe_gc in gc.callbacks
        gc.collect()
        exported = metrics.render().decode()
        assert 'branchdesk_gc_pause_seconds_count{generation="2"}' in exported
        assert metrics.gc_longest_pause._value.get() > 0
    finally:  # the test process goes on collecting as before
        gc.callbacks.remove(metrics.observe_gc)
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_what_the_first_requests_built_to_last_is_frozen_at_each_count_given_and_then_never():
    import gc

    from branchdesk.api import WarmUp

    warm_up = WarmUp((3, 5))
    try:
        before = gc.get_freeze_count()
        kept = [[] for _ in range(100)]  # a cache the first requests filled
        warm_up.answered()
        warm_up.answered()
        assert gc.get_freeze_count() == before  # still warming up
        warm_up.answered()
        frozen = gc.get_freeze_count()
        assert frozen >= before + len(kept)  # out of every later collection
        more = [[] for _ in range(50)]  # what the next operations built
        warm_up.answered()
        assert gc.get_freeze_count() == frozen
        warm_up.answered()
        assert gc.get_freeze_count() >= frozen + len(more)
        last = gc.get_freeze_count()
        later = [[] for _ in range(10)]
        for _ in range(10):
            warm_up.answered()
        assert gc.get_freeze_count() == last  # never again
        assert later
    finally:
        gc.unfreeze()
