"""Sign-in, sessions and entering a branch, as a staff member (or an attacker) experiences them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey

from branchdesk.tenants.models import BranchLevel, BranchStatus
from branchdesk.tenants.service import set_branch_status
from tests.conftest import PASSWORD, SYSTEM, add_member, onboard, unique_code

pytestmark = pytest.mark.external

STAFF = "{ staff { edges { node { employeeNumber } } } }"
REFRESH = (
    "mutation($i: RefreshTokenInput!) { refreshSession(input: $i) {"
    " accessToken refreshToken errors { code field message } } }"
)
SIGN_OUT = "mutation($i: RefreshTokenInput!) { signOut(input: $i) { signedOut errors { code field message } } }"


# --- forging tokens ------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def hs256(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def attacker_key() -> OKPKey:
    key = OKPKey.generate_key("Ed25519", private=True)
    key.ensure_kid()
    return key


def by_attacker(key: OKPKey) -> Callable[[bytes], bytes]:
    return key.private_key.sign  # type: ignore[union-attr]


def claims_of(token: str) -> dict[str, Any]:
    return json.loads(unb64(token.split(".")[1]))


def our_header(rt: Any, **changes: Any) -> dict[str, Any]:
    return {"alg": "Ed25519", "typ": "at+jwt", "kid": rt.keys.keys[0].kid} | changes


def signed_by_us(rt: Any, genuine: str, header: dict[str, Any] | None = None, **changes: Any) -> str:
    """Signed with our own signing key, so only the changed header or claims can make it invalid."""
    return jwt.encode(header or our_header(rt), claims_of(genuine) | changes, rt.keys.keys[0], algorithms=["Ed25519"])


def public_jwk(rt: Any) -> dict[str, Any]:
    return rt.keys.keys[0].as_dict(private=False)


def hs256_with_public_jwk_json(rt: Any, genuine: str, other: str) -> str:
    return compact(our_header(rt, alg="HS256"), claims_of(genuine), hs256(json.dumps(public_jwk(rt)).encode()))


def own_jwk_in_header(rt: Any, genuine: str, other: str) -> str:
    key = attacker_key()
    header = our_header(rt, jwk=key.as_dict(private=False))
    return compact(header, claims_of(genuine), by_attacker(key))


def attacker_kid(kid: str) -> Callable[[Any, str, str], str]:
    key = attacker_key()
    return lambda rt, genuine, other: compact(our_header(rt, kid=kid or key.kid), claims_of(genuine), by_attacker(key))


def tampered_subject(rt: Any, genuine: str, other: str) -> str:
    header, _, signature = genuine.split(".")
    payload = b64(json.dumps(claims_of(genuine) | {"sub": claims_of(other)["sub"]}).encode())
    return f"{header}.{payload}.{signature}"


FORGERIES: dict[str, Callable[[Any, str, str], str]] = {
    "alg none, empty signature": lambda rt, genuine, other: compact(
        our_header(rt, alg="none"), claims_of(genuine), lambda data: b""
    ),
    "HS256 keyed with the raw public key": lambda rt, genuine, other: compact(
        our_header(rt, alg="HS256"), claims_of(genuine), hs256(unb64(public_jwk(rt)["x"]))
    ),
    "HS256 keyed with the public JWK JSON": hs256_with_public_jwk_json,
    "attacker key embedded as jwk header": own_jwk_in_header,
    "unknown kid": attacker_kid(""),
    "kid path traversal": attacker_kid("../../etc/passwd"),
    "kid SQL injection": attacker_kid("' OR 1=1 --"),
    "kid /dev/null with empty HMAC secret": lambda rt, genuine, other: compact(
        our_header(rt, alg="HS256", kid="../../../../dev/null"), claims_of(genuine), hs256(b"")
    ),
    "wrong issuer": lambda rt, genuine, other: signed_by_us(rt, genuine, iss="https://evil.example"),
    "wrong audience": lambda rt, genuine, other: signed_by_us(rt, genuine, aud="another-api"),
    "typ JWT instead of at+jwt": lambda rt, genuine, other: signed_by_us(rt, genuine, our_header(rt, typ="JWT")),
    "expired an hour ago": lambda rt, genuine, other: signed_by_us(
        rt, genuine, iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600
    ),
    "over 8 KB": lambda rt, genuine, other: signed_by_us(rt, genuine, padding="x" * 9000),
    "payload changed to another staff member": tampered_subject,
}
# A header nested deep enough to exhaust the JSON parser is refused like any other forgery.
NESTED_HEADER = pytest.param(
    lambda rt, genuine, other: b64(b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}") + ".e30.",
    id="header nested 3000 deep",
)


# --- helpers -------------------------------------------------------------------------------------


def error_of(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def refresh(api: Any, refresh_token: str) -> dict[str, Any]:
    return (await api.post(REFRESH, {"i": {"refreshToken": refresh_token}}))["data"]["refreshSession"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


# --- access tokens -------------------------------------------------------------------------------


async def test_genuine_access_token_lists_the_branch_staff(api, world):
    token = await api.token(world.head_a)

    body = await api.post(STAFF, token=token, branch=world.branch_a.code)

    assert "errors" not in body
    assert world.head_a in [e["node"]["employeeNumber"] for e in body["data"]["staff"]["edges"]]


@pytest.mark.parametrize("forge", [*(pytest.param(f, id=name) for name, f in FORGERIES.items()), NESTED_HEADER])
async def test_forged_or_invalid_token_is_refused_like_no_token(api, rt, world, forge):
    genuine, other = await api.token(world.head_a), await api.token(world.head_b)
    without_token = await api.post(STAFF, branch=world.branch_a.code)

    body = await api.post(STAFF, token=forge(rt, genuine, other), branch=world.branch_a.code)

    assert body["data"] == {"staff": None}
    assert (
        error_of(body)
        == error_of(without_token)
        == ("UNAUTHENTICATED", "Sign-in is required or the credentials are not valid.")
    )


async def test_jwks_publishes_the_public_key_only(client, rt):
    response = await client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert key["kid"] == rt.keys.keys[0].kid
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "Ed25519", "sig")
    assert "x" in key and "d" not in key


# --- refresh tokens and sign-out -----------------------------------------------------------------


async def test_refresh_rotates_and_a_replayed_token_ends_the_session(api, world):
    signed_in = await api.sign_in(world.head_a)
    rotated = await refresh(api, signed_in["refreshToken"])
    assert rotated["errors"] == [] and rotated["refreshToken"] != signed_in["refreshToken"]
    assert "errors" not in await api.post(STAFF, token=rotated["accessToken"], branch=world.branch_a.code)

    replayed = await refresh(api, signed_in["refreshToken"])

    assert codes(replayed) == ["REFRESH_TOKEN_INVALID"] and replayed["refreshToken"] is None
    assert codes(await refresh(api, rotated["refreshToken"])) == ["REFRESH_TOKEN_INVALID"]


async def test_sign_out_ends_the_session(api, world):
    signed_in = await api.sign_in(world.head_a)

    body = await api.post(SIGN_OUT, {"i": {"refreshToken": signed_in["refreshToken"]}})

    assert body["data"]["signOut"] == {"signedOut": True, "errors": []}
    assert codes(await refresh(api, signed_in["refreshToken"])) == ["REFRESH_TOKEN_INVALID"]


async def test_other_sessions_survive_a_sign_out(api, world):
    phone, desk = await api.sign_in(world.head_a), await api.sign_in(world.head_a)

    await api.post(SIGN_OUT, {"i": {"refreshToken": phone["refreshToken"]}})

    assert codes(await refresh(api, desk["refreshToken"])) == []


# --- passwords and lockout -----------------------------------------------------------------------


async def test_unknown_employee_and_wrong_password_look_the_same(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])

    wrong_password = await api.sign_in(number, "Wrong-password-1")
    unknown_employee = await api.sign_in("NOBODY" + unique_code(), PASSWORD)

    assert wrong_password["errors"] == unknown_employee["errors"]
    assert codes(wrong_password) == ["SIGNIN_FAILED"] and wrong_password["accessToken"] is None


async def test_repeated_wrong_passwords_lock_the_account(api, rt, world, settings):
    number = await add_member(rt, world.branch_a, ["teller"])
    for _ in range(settings.signin_max_failures - 1):
        await api.sign_in(number, "Wrong-password-1")
    assert (await api.sign_in(number))["errors"] == [], "a success before the limit resets the count"
    failures = [await api.sign_in(number, "Wrong-password-1") for _ in range(settings.signin_max_failures)]

    locked_out = await api.sign_in(number, PASSWORD)

    assert locked_out["accessToken"] is None
    assert locked_out["errors"] == failures[0]["errors"] and codes(locked_out) == ["SIGNIN_FAILED"]


# --- entering a branch ---------------------------------------------------------------------------


async def test_other_branch_and_unknown_branch_are_refused_alike(api, world):
    token = await api.token(world.head_a)
    unknown = "ZZ" + unique_code()

    not_member = await api.post(STAFF, token=token, branch=world.branch_b.code)
    no_such_branch = await api.post(STAFF, token=token, branch=unknown)

    assert not_member["data"] == no_such_branch["data"] == {"staff": None}
    code, message = error_of(not_member)
    assert code == "BRANCH_ACCESS_DENIED"
    assert (code, message.replace(world.branch_b.code, unknown)) == error_of(no_such_branch)


async def test_suspended_branch_refuses_its_staff_until_reactivated(api, rt, world):
    head = "S" + unique_code()
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    token = await api.token(head)

    async def set_status(status: BranchStatus) -> None:
        async with rt.db.session(None) as session:
            await set_branch_status(session, SYSTEM, branch.code, status, reason="audit")

    await set_status(BranchStatus.SUSPENDED)
    suspended = await api.post(STAFF, token=token, branch=branch.code)
    await set_status(BranchStatus.ACTIVE)
    reactivated = await api.post(STAFF, token=token, branch=branch.code)

    assert suspended["data"] == {"staff": None} and error_of(suspended)[0] == "BRANCH_SUSPENDED"
    assert [e["node"]["employeeNumber"] for e in reactivated["data"]["staff"]["edges"]] == [head]


async def test_a_new_password_ends_every_session_and_refreshing_never_extends_one(rt, api, world):
    from sqlalchemy import select

    from branchdesk.tenants.models import RefreshToken
    from branchdesk.tenants.signin import set_password

    number = await add_member(rt, world.branch_a, ["teller"])
    first = await api.sign_in(number)
    rotated = (await api.post(REFRESH, {"i": {"refreshToken": first["refreshToken"]}}))["data"]["refreshSession"]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in (first["refreshToken"], rotated["refreshToken"])]
    async with rt.db.session(None) as session:
        expiries = list(
            await session.scalars(select(RefreshToken.expires_at).where(RefreshToken.token_hash.in_(hashes)))
        )
    assert len(expiries) == 2 and len(set(expiries)) == 1  # the family's lifetime is fixed at sign-in

    async with rt.db.session(None) as session:
        await set_password(session, number, "Another-secret-99")
    body = await api.post(REFRESH, {"i": {"refreshToken": rotated["refreshToken"]}})
    assert body["data"]["refreshSession"]["errors"][0]["code"] == "REFRESH_TOKEN_INVALID"
