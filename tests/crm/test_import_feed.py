"""The core-banking feed imports clients through GraphQL as a service account holding `client:import`:
in batches of at most 1,000 rows, all or nothing unless `skipInvalid`, the same batch again a no-op, and
without the permission nothing at all."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from branchdesk.crm.models import Client
from tests.conftest import Api, unique_code
from tests.crm.conftest import mobile, resident_id

pytestmark = pytest.mark.external

IMPORT = """mutation($i: ImportClientsInput!) { importClients(input: $i) {
  inserted updated unchanged refused ownersChanged loaded
  rowErrors { row field code message } clients { clientNumber } errors { code field message } } }"""
CREATE_ACCOUNT = """mutation($i: CreateServiceAccountInput!) { createServiceAccount(input: $i) {
  serviceAccount { clientId } clientSecret errors { code field } } }"""


@pytest.fixture
async def https(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """OAuth2 refuses plain http off loopback: talk https, as behind the production proxy."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://branchdesk.test") as c:
        yield c


async def service_token(https: httpx.AsyncClient, crm_branch: Any, permissions: list[str]) -> str:
    """A service account of the CRM branch, created by its head, holding ``permissions``: its token."""
    api = Api(https)
    head = await api.token(crm_branch.head)
    given = {"name": "Core banking feed", "slug": f"feed-{unique_code().lower()}", "permissions": permissions}
    created = (await api.post(CREATE_ACCOUNT, {"i": given}, token=head, branch=crm_branch.code))["data"]
    account = created["createServiceAccount"]
    assert account["errors"] == [], account
    basic = base64.b64encode(f"{account['serviceAccount']['clientId']}:{account['clientSecret']}".encode()).decode()
    response = await https.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def row(number: str, owner: str, **fields: Any) -> dict[str, Any]:
    return {
        "clientNumber": number,
        "name": "赵敏",
        "ownerEmployeeNumber": owner,
        "idType": "RESIDENT_ID",
        "idNumber": resident_id(date(1979, 9, 9)),
        "phone": mobile(),
        "consents": ["SMS"],
        "tags": ["代发工资"],
        **fields,
    }


async def numbers_in(rt, branch, prefix: str) -> list[str]:
    async with rt.db.session(branch.id) as session:
        found = await session.scalars(
            select(Client.client_number).where(Client.tenant_id == branch.id, Client.client_number.like(prefix + "%"))
        )
        return sorted(found)


async def test_the_feed_imports_a_batch_and_the_same_batch_again_changes_nothing(https, crm_branch, rt):
    token = await service_token(https, crm_branch, ["client:import"])
    api, p = Api(https), f"F{unique_code()}"
    rows = [row(f"{p}1", crm_branch.cm1), row(f"{p}2", crm_branch.cm2, lifecycle="ACTIVE")]

    first = await api.post(
        IMPORT, {"i": {"rows": rows, "batch": "feed 2026-11-30"}}, token=token, branch=crm_branch.code
    )
    again = await api.post(IMPORT, {"i": {"rows": rows}}, token=token, branch=crm_branch.code)

    loaded = first["data"]["importClients"]
    assert (loaded["inserted"], loaded["updated"], loaded["loaded"], loaded["errors"]) == (2, 0, True, [])
    assert loaded["clients"] == []  # the feed writes clients but may not read them
    repeated = again["data"]["importClients"]
    assert (repeated["inserted"], repeated["updated"], repeated["unchanged"]) == (0, 0, 2)
    assert await numbers_in(rt, crm_branch.branch, p) == [f"{p}1", f"{p}2"]


async def test_a_batch_with_bad_rows_loads_nothing_and_names_each_rows_field(https, crm_branch, rt):
    token = await service_token(https, crm_branch, ["client:import"])
    api, p = Api(https), f"F{unique_code()}"
    rows = [
        row(f"{p}1", crm_branch.cm1),
        row(f"{p}2", crm_branch.cm1, idNumber="110105197909091230"),
        row(f"{p}3", "NOBODY", phone=None, consents=[]),
    ]

    body = await api.post(IMPORT, {"i": {"rows": rows}}, token=token, branch=crm_branch.code)
    skipped = await api.post(IMPORT, {"i": {"rows": rows, "skipInvalid": True}}, token=token, branch=crm_branch.code)

    refused = body["data"]["importClients"]
    assert (refused["inserted"], refused["refused"], refused["loaded"]) == (0, 2, False)
    assert [(e["row"], e["field"], e["code"]) for e in refused["rowErrors"]] == [
        (1, "idNumber", "CLIENT_ID_CHECK_DIGIT"),
        (2, "ownerEmployeeNumber", "CLIENT_IMPORT_OWNER_UNKNOWN"),
    ]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("CLIENT_IMPORT_REFUSED", "rows")]
    assert (skipped["data"]["importClients"]["inserted"], skipped["data"]["importClients"]["refused"]) == (1, 2)
    assert await numbers_in(rt, crm_branch.branch, p) == [f"{p}1"]


async def test_a_dry_run_through_the_api_counts_and_writes_nothing(https, crm_branch, rt):
    token = await service_token(https, crm_branch, ["client:import"])
    api, p = Api(https), f"F{unique_code()}"

    body = await api.post(
        IMPORT, {"i": {"rows": [row(f"{p}1", crm_branch.cm1)], "dryRun": True}}, token=token, branch=crm_branch.code
    )

    assert (body["data"]["importClients"]["inserted"], body["data"]["importClients"]["loaded"]) == (1, False)
    assert await numbers_in(rt, crm_branch.branch, p) == []


async def test_a_batch_over_the_cap_is_refused_whole(https, crm_branch, rt):
    token = await service_token(https, crm_branch, ["client:import"])
    api, p = Api(https), f"F{unique_code()}"
    rows = [{"clientNumber": f"{p}{i}", "name": "钱", "ownerEmployeeNumber": crm_branch.cm1} for i in range(1001)]

    body = await api.post(IMPORT, {"i": {"rows": rows}}, token=token, branch=crm_branch.code)

    assert [e["code"] for e in body["data"]["importClients"]["errors"]] == ["CLIENT_IMPORT_TOO_MANY_ROWS"]
    assert await numbers_in(rt, crm_branch.branch, p) == []


async def test_without_client_import_neither_a_service_account_nor_staff_may_import(https, crm_branch, rt):
    reader = await service_token(https, crm_branch, ["staff:read"])
    api, p = Api(https), f"F{unique_code()}"
    manager = await api.token(crm_branch.cm1)
    variables = {"i": {"rows": [row(f"{p}1", crm_branch.cm1)]}}

    as_account = await api.post(IMPORT, variables, token=reader, branch=crm_branch.code)
    as_manager = await api.post(IMPORT, variables, token=manager, branch=crm_branch.code)

    for body in (as_account, as_manager):
        assert body["data"] is None or body["data"]["importClients"] is None, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await numbers_in(rt, crm_branch.branch, p) == []


async def test_the_branch_head_importing_sees_the_clients_written(https, crm_branch):
    api, p = Api(https), f"F{unique_code()}"
    head = await api.token(crm_branch.head)

    body = await api.post(IMPORT, {"i": {"rows": [row(f"{p}1", crm_branch.cm1)]}}, token=head, branch=crm_branch.code)

    assert body["data"]["importClients"]["clients"] == [{"clientNumber": f"{p}1"}]
