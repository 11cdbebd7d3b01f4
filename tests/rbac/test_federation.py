"""Single sign-on: a token of the bank's identity provider, verified with the keys it publishes, acts
as the staff member with that employee number, exactly like a token of our own sign-in."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from branchdesk.api import create_app
from branchdesk.platform.federation import Federation
from branchdesk.tenants.models import StaffStatus
from tests.conftest import Api, add_member, make_settings, unique_employee_number
from tests.tenants.test_signin import compact, hs256

pytestmark = pytest.mark.external

SSO = "https://sso.bank.example"
AUDIENCE = "branchdesk-api"
STAFF = "query($n: String) { staff(search: $n) { edges { node { employeeNumber } } } }"  # one page, whoever else joined
ME = "{ me { employeeNumber } }"


# --- a local identity provider ---------------------------------------------------------------------


@dataclass
class IdentityProvider:
    """Publishes a JWKS over real HTTP on 127.0.0.1 and signs tokens with its private keys."""

    keys: list[Any]
    url: str = ""
    fetches: int = 0
    published: list[dict[str, Any]] = field(default_factory=list)

    def publish(self, *keys: Any) -> None:
        self.published = [k.as_dict(private=False) | {"use": "sig"} for k in keys]

    def token(
        self,
        employee_number: str | None,
        *,
        key: Any = None,
        alg: str = "RS256",
        header: dict | None = None,
        **claims: Any,
    ) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        body = {
            "iss": SSO,
            "aud": AUDIENCE,
            "sub": f"sso|{employee_number}",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "employee_number": employee_number,
        } | claims
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(header or {"alg": alg, "typ": "at+jwt", "kid": key.kid}, body, key, algorithms=[alg])


def _key(kind: type, *args: Any) -> Any:
    key = kind.generate_key(*args, private=True)
    key.ensure_kid()
    return key


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider([_key(RSAKey, 2048), _key(ECKey, "P-256"), _key(OKPKey, "Ed25519")])
    provider.publish(*provider.keys)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            provider.fetches += 1
            body = json.dumps({"keys": provider.published}).encode()
            self.send_response(200 if self.path == "/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def sso_app(rt: Any, servers: Any, idp: IdentityProvider) -> Any:
    """The API configured to trust the identity provider (its own runtime settings stay as they are)."""
    settings = make_settings(servers, oidc_issuers=[{"issuer": SSO, "jwks_uri": idp.url, "audience": AUDIENCE}])
    return create_app(settings, rt)


@pytest.fixture
async def api(sso_app: Any) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sso_app), base_url="http://branchdesk.test") as c:
        yield Api(c)


@pytest.fixture
async def teller(rt: Any, world: Any) -> str:
    return await add_member(rt, world.branch_a, ["teller"])


def codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


# --- accepted --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key_index", "alg"), [(0, "RS256"), (1, "ES256"), (2, "Ed25519")])
async def test_a_single_sign_on_token_acts_as_the_staff_member(api, idp, world, teller, key_index, alg):
    token = idp.token(teller, key=idp.keys[key_index], alg=alg)

    me = await api.post(ME, token=token)
    staff = await api.post(STAFF, {"n": teller}, token=token, branch=world.branch_a.code)

    assert me["data"]["me"]["employeeNumber"] == teller
    assert teller in {e["node"]["employeeNumber"] for e in staff["data"]["staff"]["edges"]}


async def test_branch_membership_and_permissions_apply_as_after_our_own_sign_in(api, idp, world, teller):
    token = idp.token(teller)

    other_branch = await api.post(STAFF, token=token, branch=world.branch_b.code)
    not_granted = await api.post("{ serviceAccounts { edges { cursor } } }", token=token, branch=world.branch_a.code)

    assert codes(other_branch) == {"BRANCH_ACCESS_DENIED"}
    assert codes(not_granted) == {"FORBIDDEN"}


async def test_a_single_sign_on_token_downloads_an_access_review_csv(api, idp, staffed):
    # given a compliance officer signed in through the identity provider, and a review they opened
    token = idp.token(staffed.compliance)
    opened = await api.post(
        "mutation($i: OpenAccessReviewInput!) { openAccessReview(input: $i) { accessReview { id } errors { code } } }",
        {"i": {"name": "single sign-on review"}},
        token=token,
        branch=staffed.code,
    )
    review = opened["data"]["openAccessReview"]["accessReview"]

    # when they download its report beside GraphQL
    download = await api.client.get(
        f"/exports/access-reviews/{review['id']}.csv",
        headers={"Authorization": f"Bearer {token}", "X-Branch": staffed.code},
    )

    # then the same token works there too
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv") and staffed.compliance in download.text


async def test_our_own_tokens_still_work_beside_the_identity_provider(api, teller):
    token = await api.token(teller)

    assert (await api.post(ME, token=token))["data"]["me"]["employeeNumber"] == teller


# --- refused ---------------------------------------------------------------------------------------


def _unconfigured_issuer(idp: IdentityProvider, who: str) -> str:
    return idp.token(who, iss="https://sso.elsewhere.example")


FORGED = {
    "unconfigured issuer": _unconfigured_issuer,
    "wrong audience": lambda idp, who: idp.token(who, aud="another-api"),
    "expired": lambda idp, who: idp.token(
        who, iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600
    ),
    "not yet valid": lambda idp, who: idp.token(who, nbf=int(time.time()) + 3600),
    "no employee number": lambda idp, who: idp.token(None),
    "typ JWT (an ID token)": lambda idp, who: idp.token(
        who, header={"alg": "RS256", "typ": "JWT", "kid": idp.keys[0].kid}
    ),
    "no kid": lambda idp, who: idp.token(who, header={"alg": "RS256", "typ": "at+jwt"}),
    "alg not allowed (RS512)": lambda idp, who: idp.token(who, alg="RS512"),
    "key of another type than alg says": lambda idp, who: idp.token(
        who, key=idp.keys[1], alg="ES256", header={"alg": "ES256", "typ": "at+jwt", "kid": idp.keys[0].kid}
    ),
    "signed by a key the issuer does not publish": lambda idp, who: idp.token(who, key=_key(RSAKey, 2048)),
    "signed by another key under a published kid": lambda idp, who: idp.token(
        who, key=_key(RSAKey, 2048), header={"alg": "RS256", "typ": "at+jwt", "kid": idp.keys[0].kid}
    ),
    "attacker key in a jwk header": lambda idp, who: (
        lambda k: idp.token(
            who,
            key=k,
            header={"alg": "RS256", "typ": "at+jwt", "kid": idp.keys[0].kid, "jwk": k.as_dict(private=False)},
        )
    )(_key(RSAKey, 2048)),
    "HS256 keyed with the published JWKS": lambda idp, who: compact(
        {"alg": "HS256", "typ": "at+jwt", "kid": idp.keys[0].kid},
        {"iss": SSO, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 300, "employee_number": who},
        hs256(json.dumps({"keys": idp.published}).encode()),
    ),
    "alg none": lambda idp, who: compact(
        {"alg": "none", "typ": "at+jwt", "kid": idp.keys[0].kid},
        {"iss": SSO, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 300, "employee_number": who},
        lambda data: b"",
    ),
}


@pytest.mark.parametrize("forgery", list(FORGED))
async def test_a_token_that_fails_any_check_is_refused(api, idp, teller, forgery):
    token = FORGED[forgery](idp, teller)

    body = await api.post(ME, token=token)

    assert body["data"] == {"me": None} and codes(body) == {"UNAUTHENTICATED"}


async def test_an_unknown_employee_is_refused(api, idp):
    body = await api.post(ME, token=idp.token(unique_employee_number("SSO")))

    assert codes(body) == {"UNAUTHENTICATED"}


async def test_a_disabled_staff_member_is_refused(rt, api, idp, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    from branchdesk.tenants import repository

    async with rt.db.session(None) as session:
        staff = await repository.staff_by_employee_number(session, number, for_update=True)
        staff.status = StaffStatus.DISABLED

    body = await api.post(ME, token=idp.token(number))

    assert codes(body) == {"UNAUTHENTICATED"}


async def test_an_issuer_the_app_is_not_configured_for_is_refused(client, idp, teller):
    """The default app trusts no identity provider: the same token is refused there."""
    body = await Api(client).post(ME, token=idp.token(teller))

    assert codes(body) == {"UNAUTHENTICATED"}


# --- the identity provider's keys ------------------------------------------------------------------


async def test_unknown_key_ids_fetch_the_jwks_at_most_once_a_minute(api, idp, teller):
    await api.post(ME, token=idp.token(teller))  # keys are cached
    before = idp.fetches

    for _ in range(5):
        await api.post(ME, token=idp.token(teller, key=_key(RSAKey, 2048)))

    assert idp.fetches - before <= 1


async def test_a_key_the_provider_rotates_in_is_fetched_when_first_seen(rt, servers, idp, teller):
    settings = make_settings(servers, oidc_issuers=[{"issuer": SSO, "jwks_uri": idp.url, "audience": AUDIENCE}])
    app = create_app(settings, rt)
    app.state.federation = Federation(settings.oidc_issuers, refetch_seconds=0)
    rotated_in = _key(RSAKey, 2048)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test") as c:
        api = Api(c)
        assert (await api.post(ME, token=idp.token(teller)))["data"]["me"]["employeeNumber"] == teller

        idp.publish(*idp.keys, rotated_in)
        try:
            body = await api.post(ME, token=idp.token(teller, key=rotated_in))
        finally:
            idp.publish(*idp.keys)

    assert body["data"]["me"]["employeeNumber"] == teller


def test_settings_refuse_a_symmetric_algorithm_for_an_issuer(servers):
    with pytest.raises(ValueError, match="HS256"):
        make_settings(
            servers,
            oidc_issuers=[{"issuer": SSO, "jwks_uri": "http://x", "audience": AUDIENCE, "algorithms": ["HS256"]}],
        )
