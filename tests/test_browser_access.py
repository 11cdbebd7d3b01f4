"""A browser app can call the API: CORS preflights are answered for the allowed origins on every route a
front end uses (/graphql, /oauth/token, the CSV export), the headers it sends are allowed and the ones
it needs to read are exposed; other origins get nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from branchdesk.api import create_app
from tests.conftest import PRODUCTION_DATA_KEYS, make_settings

VITE = "http://localhost:5173"
SENT = ["authorization", "x-branch", "accept-language", "x-request-id", "content-type"]
ROUTES = [("/graphql", "POST"), ("/oauth/token", "POST"), ("/exports/access-reviews/abc.csv", "GET")]


def preflight(origin: str, method: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": ", ".join(SENT),
    }


async def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test")


@pytest.mark.parametrize(("path", "method"), ROUTES)
async def test_a_preflight_from_a_dev_server_is_answered(client, path, method):
    response = await client.options(path, headers=preflight(VITE, method))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == VITE
    assert method in response.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert set(SENT) <= allowed
    assert "x-request-id" in response.headers  # even a preflight can be quoted to support


async def test_answers_to_a_browser_expose_the_request_id_and_retry_after(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": VITE})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == VITE
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"x-request-id", "retry-after"}


async def test_an_origin_not_allowed_gets_no_cors_headers(client):
    refused = await client.options("/graphql", headers=preflight("https://evil.example", "POST"))
    simple = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"})

    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in simple.headers


async def test_production_allows_no_origin_unless_configured(servers, rt):
    production = {"env": "production", "signing_keys": "{}", "db_role_password": "s3cret", **PRODUCTION_DATA_KEYS}
    bank = "https://branchdesk.bank.example"
    async with await client_for(create_app(make_settings(servers, **production), rt)) as closed:
        by_default = await closed.options("/graphql", headers=preflight(VITE, "POST"))
    configured = make_settings(servers, **production, cors_origins=[bank])
    async with await client_for(create_app(configured, rt)) as open_to_bank:
        from_bank = await open_to_bank.options("/graphql", headers=preflight(bank, "POST"))
        from_dev = await open_to_bank.options("/graphql", headers=preflight(VITE, "POST"))

    assert "access-control-allow-origin" not in by_default.headers
    assert from_bank.status_code == 200 and from_bank.headers["access-control-allow-origin"] == bank
    assert "access-control-allow-origin" not in from_dev.headers


def test_the_origins_come_from_the_environment(monkeypatch):
    from branchdesk.platform.settings import Settings

    monkeypatch.setenv("BRANCHDESK_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    assert Settings().allowed_origins == ["https://a.example", "https://b.example"]
    monkeypatch.delenv("BRANCHDESK_CORS_ORIGINS")
    assert Settings().allowed_origins == ["http://localhost:5173", "http://localhost:3000"]


async def test_a_browser_can_download_the_csv_export(api, world):
    token = await api.token(world.head_a)
    opened = await api.post(
        'mutation { openAccessReview(input: {name: "from a browser"}) { accessReview { id } errors { code } } }',
        token=token,
        branch=world.branch_a.code,
    )
    review = opened["data"]["openAccessReview"]["accessReview"]["id"]

    download = await api.client.get(
        f"/exports/access-reviews/{review}.csv",
        headers={"Authorization": f"Bearer {token}", "X-Branch": world.branch_a.code, "Origin": VITE},
    )

    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.headers["access-control-allow-origin"] == VITE
