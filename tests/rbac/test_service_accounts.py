"""Service accounts: a branch head creates one, it gets tokens with the client-credentials grant, and
it can do exactly what it was granted, in its own branch, until its secret rotates out or it is
deactivated."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from strawberry import relay

from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.clock import utcnow
from branchdesk.service_accounts.models import ServiceAccount
from branchdesk.tenants.models import BranchLevel, BranchStatus
from branchdesk.tenants.service import set_branch_status
from tests.conftest import SYSTEM, Api, add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

CREATE = """
mutation($i: CreateServiceAccountInput!) {
  createServiceAccount(input: $i) {
    serviceAccount { id clientId name permissions active }
    clientSecret
    errors { code field message }
  }
}"""
ROTATE = """
mutation($i: ServiceAccountInput!) {
  rotateServiceAccountSecret(input: $i) {
    serviceAccount { clientId previousSecretValidUntil }
    clientSecret
    errors { code field message }
  }
}"""
DEACTIVATE = """
mutation($i: ServiceAccountInput!) {
  deactivateServiceAccount(input: $i) { serviceAccount { active } errors { code field message } }
}"""
LIST = "{ serviceAccounts { edges { node { clientId name permissions active } } } }"
STAFF = "{ staff { edges { node { employeeNumber } } } }"
BRANCH = "query($code: String!) { branch(code: $code) { code } }"
GRANT = "mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) { errors { code field } } }"


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
async def https(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """OAuth2 refuses plain http off loopback, as behind the production proxy: talk https."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://branchdesk.test") as c:
        yield c


@pytest.fixture
def api(https: httpx.AsyncClient) -> Api:
    return Api(https)


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def request_token(
    https: httpx.AsyncClient, client_id: str, secret: str, *, post: bool = False, **form: str
) -> httpx.Response:
    data = {"grant_type": "client_credentials", **form}
    if post:
        return await https.post("/oauth/token", data=data | {"client_id": client_id, "client_secret": secret})
    return await https.post("/oauth/token", data=data, headers=basic(client_id, secret))


async def access_token(https: httpx.AsyncClient, client_id: str, secret: str, **form: str) -> str:
    response = await request_token(https, client_id, secret, **form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def create(api: Api, token: str, branch: str, permissions: list[str], **changes: str) -> dict[str, Any]:
    given = {"name": "Core banking feed", "slug": f"feed-{unique_code().lower()}", "permissions": permissions} | changes
    body = await api.post(CREATE, {"i": given}, token=token, branch=branch)
    return body["data"]["createServiceAccount"]


@pytest.fixture
async def head_a(api: Api, world: Any) -> str:
    return await api.token(world.head_a)


@pytest.fixture
async def feed(api: Api, world: Any, head_a: str) -> dict[str, Any]:
    """A service account of branch A that may read the branch's staff, and nothing else."""
    created = await create(api, head_a, world.branch_a.code, ["staff:read"])
    assert created["errors"] == [], created
    return {**created["serviceAccount"], "secret": created["clientSecret"]}


def codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


# --- creating --------------------------------------------------------------------------------------


async def test_a_branch_head_creates_an_account_whose_client_id_names_the_branch(api, world, head_a):
    created = await create(api, head_a, world.branch_a.code, ["staff:read", "client:read"], slug="core-feed-1")

    assert created["errors"] == []
    account = created["serviceAccount"]
    assert account["clientId"] == f"{world.branch_a.code}.core-feed-1"
    assert account["permissions"] == ["client:read", "staff:read"] and account["active"] is True
    assert len(created["clientSecret"]) >= 43  # 32 random bytes


async def test_the_secret_is_stored_hashed_and_never_listed(rt, api, world, head_a, feed):
    listed = await api.post(LIST, token=head_a, branch=world.branch_a.code)

    assert feed["clientId"] in {e["node"]["clientId"] for e in listed["data"]["serviceAccounts"]["edges"]}
    async with rt.db.session(world.branch_a.id) as session:
        stored = await session.scalar(select(ServiceAccount).where(ServiceAccount.client_id == feed["clientId"]))
    assert stored.secret_hash.startswith("$argon2") and feed["secret"] not in stored.secret_hash


@pytest.mark.parametrize(
    ("permissions", "changes", "code", "field"),
    [
        (["cash:initiate"], {}, "PERMISSION_NOT_HELD", "permissions"),  # a branch head initiates no cash operations
        (["branch:list"], {}, "PERMISSION_OUT_OF_SCOPE", "permissions"),
        (["vault:open"], {}, "UNKNOWN_PERMISSION", "permissions"),
        ([], {}, "SERVICE_ACCOUNT_NO_PERMISSIONS", "permissions"),
        (["staff:read"], {"slug": "Not A Slug"}, "SERVICE_ACCOUNT_SLUG", "slug"),
        (["staff:read"], {"name": " "}, "SERVICE_ACCOUNT_NAME", "name"),
    ],
)
async def test_creation_refuses_what_the_creator_may_not_hand_out(
    api, world, head_a, permissions, changes, code, field
):
    created = await create(api, head_a, world.branch_a.code, permissions, **changes)

    assert created["serviceAccount"] is None and created["clientSecret"] is None
    assert {(e["code"], e["field"]) for e in created["errors"]} == {(code, field)}


async def test_a_slug_is_unique_in_its_branch(api, world, head_a, feed):
    slug = feed["clientId"].split(".", 1)[1]

    again = await create(api, head_a, world.branch_a.code, ["staff:read"], slug=slug)

    assert [e["code"] for e in again["errors"]] == ["SERVICE_ACCOUNT_EXISTS"]


async def test_a_teller_cannot_manage_service_accounts(rt, api, world):
    teller = await add_member(rt, world.branch_a, ["teller"])
    token = await api.token(teller)

    body = await api.post(LIST, token=token, branch=world.branch_a.code)

    assert codes(body) == {"FORBIDDEN"}


async def test_only_those_who_manage_accounts_can_fetch_one_by_id(rt, api, world, head_a, feed):
    query = "query($id: ID!) { node(id: $id) { ... on ServiceAccount { clientId } } }"
    teller = await api.token(await add_member(rt, world.branch_a, ["teller"]))

    as_head = await api.post(query, {"id": feed["id"]}, token=head_a, branch=world.branch_a.code)
    as_teller = await api.post(query, {"id": feed["id"]}, token=teller, branch=world.branch_a.code)

    assert as_head["data"]["node"] == {"clientId": feed["clientId"]}
    assert as_teller["data"]["node"] is None


async def test_fetching_accounts_by_id_costs_the_same_statements_however_many_there_are(
    api, world, head_a, sql_counter
):
    accounts = [(await create(api, head_a, world.branch_a.code, ["staff:read"]))["serviceAccount"] for _ in range(3)]
    ids = [a["id"] for a in accounts]
    fragment = "... on ServiceAccount { clientId }"
    node = f"query($id: ID!) {{ node(id: $id) {{ {fragment} }} }}"
    nodes = f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {fragment} }} }}"
    await api.post(node, {"id": ids[0]}, token=head_a, branch=world.branch_a.code)  # warm: the policy loads once

    counts = []
    for query, variables in [(node, {"id": ids[0]}), (nodes, {"ids": ids[:1]}), (nodes, {"ids": ids})]:
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(query, variables, token=head_a, branch=world.branch_a.code)
        assert "errors" not in body, body
        counts.append(sql_counter.count)

    assert [n["clientId"] for n in body["data"]["nodes"]] == [a["clientId"] for a in accounts]
    assert counts[0] == counts[1] == counts[2]


async def test_nodes_answers_in_the_order_asked_whatever_the_types(api, world, head_a, feed):
    branch = await api.post(
        "query($c: String!) { branch(code: $c) { id } }",
        {"c": world.branch_a.code},
        token=head_a,
        branch=world.branch_a.code,
    )
    unknown = relay.to_base64("Vault", str(uuid.uuid4()))

    body = await api.post(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
        {"ids": [feed["id"], unknown, branch["data"]["branch"]["id"]]},
        token=head_a,
        branch=world.branch_a.code,
    )

    assert [n and n["__typename"] for n in body["data"]["nodes"]] == ["ServiceAccount", None, "Branch"]


async def test_an_account_of_another_branch_is_not_found(api, world, feed):
    head_b = await api.token(world.head_b)

    body = await api.post(ROTATE, {"i": {"serviceAccountId": feed["id"]}}, token=head_b, branch=world.branch_b.code)
    by_nodes = await api.post(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [feed["id"]]},
        token=head_b,
        branch=world.branch_b.code,
    )

    assert [e["code"] for e in body["data"]["rotateServiceAccountSecret"]["errors"]] == ["NOT_FOUND"]
    assert by_nodes == {"data": {"nodes": [None]}}


# --- getting a token -------------------------------------------------------------------------------


async def test_client_credentials_give_a_bearer_token_scoped_to_the_grant(https, feed):
    response = await request_token(https, feed["clientId"], feed["secret"])

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "staff:read" and 0 < body["expires_in"] <= 900
    assert response.headers["cache-control"] == "no-store"


async def test_client_secret_post_works_too(https, feed):
    response = await request_token(https, feed["clientId"], feed["secret"], post=True)

    assert response.status_code == 200 and response.json()["access_token"]


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("{feed}", "wrong-secret"), ("ZZZZ.nobody", "{secret}"), ("not-a-client-id", "x")],
    ids=["wrong secret", "unknown client", "malformed client id"],
)
async def test_a_wrong_secret_or_unknown_client_is_invalid_client(https, feed, client_id, secret):
    response = await request_token(https, client_id.format(feed=feed["clientId"]), secret.format(secret=feed["secret"]))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_only_the_client_credentials_grant_is_served(https, feed):
    response = await request_token(https, feed["clientId"], feed["secret"], grant_type="password")

    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


async def test_a_scope_beyond_the_grant_is_invalid_scope(https, feed):
    response = await request_token(https, feed["clientId"], feed["secret"], scope="staff:read client:read")

    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


async def test_plain_http_is_refused(client, feed):
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(feed["clientId"], feed["secret"])
    )

    assert response.status_code == 400 and response.json()["error"] == "insecure_transport"


async def test_issuing_and_refusing_tokens_is_audited(rt, https, world, feed):
    await request_token(https, feed["clientId"], feed["secret"])
    await request_token(https, feed["clientId"], "wrong-secret")

    async with rt.db.session(world.branch_a.id) as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.tenant_id == world.branch_a.id, AuditEvent.action.like("service_account.%"))
            .order_by(AuditEvent.seq)
        )
        actions = [action for action, details in rows if details.get("client_id") == feed["clientId"]]
    assert actions == [
        "service_account.created",
        "service_account.token_issued",
        "service_account.authentication_failed",
    ]


# --- calling the API -------------------------------------------------------------------------------


async def test_a_service_account_calls_what_it_was_granted_and_nothing_else(api, https, world, feed):
    token = await access_token(https, feed["clientId"], feed["secret"])

    allowed = await api.post(STAFF, token=token, branch=world.branch_a.code)
    refused = await api.post(BRANCH, {"code": world.branch_a.code}, token=token, branch=world.branch_a.code)
    not_staff = await api.post("{ me { employeeNumber } }", token=token)

    assert "errors" not in allowed and allowed["data"]["staff"]["edges"]
    assert codes(refused) == {"FORBIDDEN"}
    assert codes(not_staff) == {"FORBIDDEN"}


async def test_without_x_branch_a_service_account_acts_in_its_own_branch(api, https, feed):
    token = await access_token(https, feed["clientId"], feed["secret"])

    body = await api.post(STAFF, token=token)

    assert "errors" not in body


async def test_a_service_account_cannot_enter_another_branch(api, https, world, feed):
    token = await access_token(https, feed["clientId"], feed["secret"])

    body = await api.post(STAFF, token=token, branch=world.branch_b.code)

    assert codes(body) == {"BRANCH_ACCESS_DENIED"}


async def test_a_token_scoped_down_cannot_use_the_rest_of_the_grant(api, https, world, head_a):
    created = await create(api, head_a, world.branch_a.code, ["staff:read", "branch:read"])
    client_id, secret = created["serviceAccount"]["clientId"], created["clientSecret"]
    token = await access_token(https, client_id, secret, scope="branch:read")

    branch = await api.post(BRANCH, {"code": world.branch_a.code}, token=token)
    staff = await api.post(STAFF, token=token)

    assert branch["data"]["branch"]["code"] == world.branch_a.code
    assert codes(staff) == {"FORBIDDEN"}


# --- rotating and deactivating ---------------------------------------------------------------------


async def test_after_a_rotation_both_secrets_work_until_the_grace_period_ends(rt, api, https, world, head_a, feed):
    rotated = await api.post(ROTATE, {"i": {"serviceAccountId": feed["id"]}}, token=head_a, branch=world.branch_a.code)
    rotated = rotated["data"]["rotateServiceAccountSecret"]
    new_secret = rotated["clientSecret"]

    assert rotated["errors"] == [] and new_secret != feed["secret"]
    assert rotated["serviceAccount"]["previousSecretValidUntil"] is not None
    assert (await request_token(https, feed["clientId"], new_secret)).status_code == 200
    assert (await request_token(https, feed["clientId"], feed["secret"])).status_code == 200

    # when the grace period is over
    async with rt.db.session(world.branch_a.id) as session:
        await session.execute(
            update(ServiceAccount)
            .where(ServiceAccount.tenant_id == world.branch_a.id, ServiceAccount.client_id == feed["clientId"])
            .values(previous_secret_expires_at=utcnow() - timedelta(seconds=1))
        )

    assert (await request_token(https, feed["clientId"], feed["secret"])).status_code == 401
    assert (await request_token(https, feed["clientId"], new_secret)).status_code == 200


async def test_rotation_refuses_a_manager_who_lacks_a_permission_the_account_holds(api, https, staffed, as_member):
    # given IT support may manage service accounts but not see client personal data
    head, it = await as_member(staffed.head), await as_member(staffed.it)
    granted = await head(GRANT, {"i": {"role": "it_support", "permission": "service_account:manage"}})
    assert granted["data"]["grantRolePermission"]["errors"] == []
    head_token = await api.token(staffed.head)
    pii = await create(api, head_token, staffed.code, ["client.pii:read", "staff:read"])
    plain = await create(api, head_token, staffed.code, ["staff:read"])

    # when IT support rotates the secrets
    refused = (await it(ROTATE, {"i": {"serviceAccountId": pii["serviceAccount"]["id"]}}))["data"][
        "rotateServiceAccountSecret"
    ]
    allowed = (await it(ROTATE, {"i": {"serviceAccountId": plain["serviceAccount"]["id"]}}))["data"][
        "rotateServiceAccountSecret"
    ]

    # then the account holding what they lack keeps its one secret, and they get none
    assert refused["serviceAccount"] is None and refused["clientSecret"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("PERMISSION_NOT_HELD", "serviceAccountId")]
    assert (await request_token(https, pii["serviceAccount"]["clientId"], pii["clientSecret"])).status_code == 200
    assert allowed["errors"] == [] and allowed["clientSecret"]


async def test_a_service_account_cannot_manage_service_accounts(api, https, world, head_a, feed):
    # given a machine that was granted service_account:manage
    manager = await create(api, head_a, world.branch_a.code, ["service_account:manage", "staff:read"])
    token = await access_token(https, manager["serviceAccount"]["clientId"], manager["clientSecret"])
    target = {"i": {"serviceAccountId": feed["id"]}}

    # when it creates, rotates or deactivates an account
    created = await create(api, token, world.branch_a.code, ["staff:read"])
    rotated = (await api.post(ROTATE, target, token=token))["data"]["rotateServiceAccountSecret"]
    deactivated = (await api.post(DEACTIVATE, target, token=token))["data"]["deactivateServiceAccount"]

    # then each is refused, and the account it aimed at is untouched
    for payload in (created, rotated, deactivated):
        assert payload["serviceAccount"] is None
        assert [e["code"] for e in payload["errors"]] == ["SERVICE_ACCOUNT_MANAGED_BY_STAFF"]
    assert created["clientSecret"] is None and rotated["clientSecret"] is None
    assert (await request_token(https, feed["clientId"], feed["secret"])).status_code == 200


async def test_a_deactivated_account_gets_no_token_and_its_tokens_stop_working(api, https, world, head_a, feed):
    token = await access_token(https, feed["clientId"], feed["secret"])

    body = await api.post(DEACTIVATE, {"i": {"serviceAccountId": feed["id"]}}, token=head_a, branch=world.branch_a.code)

    assert body["data"]["deactivateServiceAccount"] == {"serviceAccount": {"active": False}, "errors": []}
    refused = await request_token(https, feed["clientId"], feed["secret"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert codes(await api.post(STAFF, token=token)) == {"UNAUTHENTICATED"}


async def test_an_account_of_a_suspended_branch_gets_no_token(rt, api, https, world):
    head = unique_employee_number()
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    created = await create(api, await api.token(head), branch.code, ["staff:read"])
    client_id, secret = created["serviceAccount"]["clientId"], created["clientSecret"]

    async with rt.db.session(None) as session:
        await set_branch_status(session, SYSTEM, branch.code, BranchStatus.SUSPENDED, "audit")

    refused = await request_token(https, client_id, secret)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
