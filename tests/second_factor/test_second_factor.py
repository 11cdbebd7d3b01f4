"""Second factor (TOTP) at sign-in: enrolment, the challenge step, replays, recovery codes, lockout,
enforcement by role, head office's rule, an administrator's reset. Codes are computed with pyotp from
the provisioning URI the API returns, as an authenticator app would."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select, text, update
from strawberry.relay import to_base64

from branchdesk.api import create_app
from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import SealError, data_keys, key_id_of
from branchdesk.second_factor import service as second_factor
from branchdesk.second_factor.models import SecondFactor, SignInChallenge
from branchdesk.second_factor.service import DEFAULT_ROLES, set_required_roles
from branchdesk.tenants.models import Staff
from tests.conftest import PASSWORD, PRODUCTION_DATA_KEYS, SYSTEM, Api, add_member, make_settings

pytestmark = pytest.mark.external

SIGN_IN = """mutation($i: SignInInput!) { signIn(input: $i) {
  accessToken refreshToken secondFactor { challenge expiresIn enrolmentRequired } errors { code field } } }"""
COMPLETE = """mutation($i: CompleteSignInInput!) { completeSignIn(input: $i) {
  accessToken refreshToken errors { code field } } }"""
BEGIN = """mutation($i: BeginTotpEnrolmentInput!) { beginTotpEnrolment(input: $i) {
  provisioningUri qrCodeSvg errors { code field } } }"""
CONFIRM = """mutation($i: ConfirmTotpEnrolmentInput!) { confirmTotpEnrolment(input: $i) {
  recoveryCodes accessToken refreshToken errors { code field } } }"""
DISABLE = "mutation($i: DisableSecondFactorInput!) { disableSecondFactor(input: $i) { disabled errors { code } } }"
RESET = """mutation($i: ResetSecondFactorInput!) { resetSecondFactor(input: $i) {
  reset staff { employeeNumber } errors { code field } } }"""
SET_POLICY = """mutation($i: SetSecondFactorPolicyInput!) { setSecondFactorPolicy(input: $i) {
  roles { name } errors { code field } } }"""
POLICY = "{ secondFactorPolicy { enforced roles { name } } }"
ME = "{ me { secondFactor { enrolled required recoveryCodesLeft } } }"
REFRESH = "mutation($i: RefreshTokenInput!) { refreshSession(input: $i) { accessToken errors { code } } }"


def codes(result: dict[str, Any]) -> list[str]:
    return [e["code"] for e in result["errors"]]


async def sign_in(api: Api, number: str, password: str = PASSWORD) -> dict[str, Any]:
    body = await api.post(SIGN_IN, {"i": {"employeeNumber": number, "password": password}})
    return body["data"]["signIn"]


async def complete(api: Api, challenge: str, code: str) -> dict[str, Any]:
    return (await api.post(COMPLETE, {"i": {"challenge": challenge, "code": code}}))["data"]["completeSignIn"]


def next_code(totp: pyotp.TOTP, steps: int = 1) -> str:
    """The code of a later time step (accepted: the window allows one step of drift)."""
    return totp.at(utcnow(), counter_offset=steps)


@dataclasses.dataclass
class Enrolled:
    totp: pyotp.TOTP
    recovery_codes: list[str]
    token: str  # of the password-only sign-in that enrolled
    first_code: str  # the code that confirmed the enrolment


async def enrol(api: Api, number: str) -> Enrolled:
    """The staff member, signed in with a password alone, sets up a second factor."""
    token = (await sign_in(api, number))["accessToken"]
    begun = (await api.post(BEGIN, {"i": {}}, token=token))["data"]["beginTotpEnrolment"]
    assert begun["errors"] == []
    totp = pyotp.parse_uri(begun["provisioningUri"])
    assert isinstance(totp, pyotp.TOTP)
    code = totp.now()
    confirmed = (await api.post(CONFIRM, {"i": {"code": code}}, token=token))["data"]["confirmTotpEnrolment"]
    assert confirmed["errors"] == [] and confirmed["accessToken"] is None
    return Enrolled(totp, confirmed["recoveryCodes"], token, code)


async def staff_id(rt, number: str) -> Any:
    async with rt.db.session(None) as session:
        return await session.scalar(select(Staff.id).where(Staff.employee_number == number))


@pytest.fixture
async def enforced(servers, rt) -> Any:
    """An API process as production runs it: the roles head office names must use a second factor (the
    default ones: other tests may have called setSecondFactorPolicy with sample values)."""
    async with rt.db.session(None) as session:
        await set_required_roles(session, SYSTEM, DEFAULT_ROLES)
    settings = make_settings(servers, second_factor_enforced=True)
    app = create_app(settings, dataclasses.replace(rt, settings=settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test") as c:
        yield Api(c)


# --- enrolment and the sign-in's second step -----------------------------------------------------


async def test_enrolment_gives_a_provisioning_uri_a_qr_code_and_ten_recovery_codes(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    token = (await sign_in(api, number))["accessToken"]

    begun = (await api.post(BEGIN, {"i": {}}, token=token))["data"]["beginTotpEnrolment"]
    totp = pyotp.parse_uri(begun["provisioningUri"])
    before = (await api.post(ME, token=token))["data"]["me"]["secondFactor"]
    confirmed = (await api.post(CONFIRM, {"i": {"code": totp.now()}}, token=token))["data"]["confirmTotpEnrolment"]
    after = (await api.post(ME, token=token))["data"]["me"]["secondFactor"]

    assert begun["provisioningUri"].startswith(f"otpauth://totp/Branchdesk:{number}?")
    assert "issuer=Branchdesk" in begun["provisioningUri"]
    assert begun["qrCodeSvg"].startswith("<svg") and "</svg>" in begun["qrCodeSvg"]
    assert before == {"enrolled": False, "required": False, "recoveryCodesLeft": 0}
    assert confirmed["errors"] == [] and len(set(confirmed["recoveryCodes"])) == 10
    assert after == {"enrolled": True, "required": False, "recoveryCodesLeft": 10}


async def test_the_secret_is_stored_sealed_and_never_shown_again(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    totp = enrolled.totp
    token = (await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], next_code(totp)))[
        "accessToken"
    ]

    async with rt.db.session(None) as session:
        factor = await session.get(SecondFactor, await staff_id(rt, number))
    again = (await api.post(BEGIN, {"i": {}}, token=token))["data"]["beginTotpEnrolment"]

    assert factor is not None and totp.secret.encode() not in factor.sealed_secret
    async with rt.db.session(None) as session:
        assert second_factor.open_secret(session, factor) == totp.secret
        factor.staff_id = await staff_id(rt, world.head_a)  # bound to its owner: on another row it does not open
        with pytest.raises(SealError):
            second_factor.open_secret(session, factor)
    assert again["provisioningUri"] is None and codes(again) == ["SECOND_FACTOR_ALREADY_ENROLLED"]


async def test_rotating_the_data_key_reseals_secrets_and_codes_still_work(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    async with rt.db.session(None) as session:
        shipped = data_keys(session)
    new_key = dataclasses.replace(shipped, current="k-rotated", keys={**shipped.keys, "k-rotated": os.urandom(32)})
    back = dataclasses.replace(new_key, current=shipped.current)

    async def key_of_mine() -> str:
        async with rt.db.session(None) as session:
            factor = await session.get(SecondFactor, await staff_id(rt, number))
            assert factor is not None
            return key_id_of(factor.sealed_secret)

    # when the ring's current key changes, every secret is sealed again under it (a second run finds none)
    moved = await second_factor.rekey_secrets(rt.db, size=2, ring=new_key)
    assert moved >= 1 and await key_of_mine() == "k-rotated"
    assert await second_factor.rekey_secrets(rt.db, ring=new_key) == 0
    # and rotating back (this process's ring lacks the drill's key) leaves them readable: sign-in still works
    assert await second_factor.rekey_secrets(rt.db, ring=back) == moved
    assert await key_of_mine() == shipped.current
    answer = await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], next_code(enrolled.totp))
    assert answer["errors"] == [] and answer["accessToken"]


async def test_confirming_without_starting_is_refused(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    token = (await sign_in(api, number))["accessToken"]

    answer = (await api.post(CONFIRM, {"i": {"code": "123456"}}, token=token))["data"]["confirmTotpEnrolment"]

    assert codes(answer) == ["SECOND_FACTOR_ENROLMENT_NOT_STARTED"] and answer["recoveryCodes"] is None


async def test_sign_in_with_a_code_after_the_password(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    totp = enrolled.totp

    first = await sign_in(api, number)
    done = await complete(api, first["secondFactor"]["challenge"], next_code(totp))

    assert first["accessToken"] is None and first["refreshToken"] is None and first["errors"] == []
    assert first["secondFactor"]["enrolmentRequired"] is False and 0 < first["secondFactor"]["expiresIn"] <= 300
    assert done["errors"] == [] and done["accessToken"] and done["refreshToken"]
    me = await api.post(ME, token=done["accessToken"])
    assert me["data"]["me"]["secondFactor"]["enrolled"] is True


async def test_a_replayed_code_is_refused(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    totp = enrolled.totp
    code = next_code(totp)
    assert (await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], code))["accessToken"]

    replayed = await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], code)
    the_code_used_at_enrolment = await complete(
        api, (await sign_in(api, number))["secondFactor"]["challenge"], totp.now()
    )

    assert replayed["accessToken"] is None and codes(replayed) == ["SECOND_FACTOR_CODE_REPLAYED"]
    assert codes(the_code_used_at_enrolment) == ["SECOND_FACTOR_CODE_REPLAYED"]


async def test_a_challenge_is_single_use(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    totp = enrolled.totp
    challenge = (await sign_in(api, number))["secondFactor"]["challenge"]
    assert (await complete(api, challenge, next_code(totp)))["accessToken"]

    again = await complete(api, challenge, next_code(totp, 0))

    assert again["accessToken"] is None and codes(again) == ["SIGN_IN_CHALLENGE_EXPIRED"]
    assert again["errors"][0]["field"] == "challenge"


async def test_a_challenge_expires(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    totp = enrolled.totp
    challenge = (await sign_in(api, number))["secondFactor"]["challenge"]
    async with rt.db.session(None) as session:  # five minutes pass
        await session.execute(
            update(SignInChallenge)
            .where(SignInChallenge.token_hash == hashlib.sha256(challenge.encode()).hexdigest())
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    late = await complete(api, challenge, next_code(totp))

    assert late["accessToken"] is None and codes(late) == ["SIGN_IN_CHALLENGE_EXPIRED"]


async def test_recovery_codes_are_single_use(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    recovery = (await enrol(api, number)).recovery_codes

    first = await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], recovery[0].lower())
    reused = await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], recovery[0])
    another = await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], recovery[1])

    assert first["errors"] == [] and first["accessToken"]
    assert reused["accessToken"] is None and codes(reused) == ["SECOND_FACTOR_CODE_INVALID"]
    assert another["errors"] == [] and another["accessToken"]
    me = await api.post(ME, token=another["accessToken"])
    assert me["data"]["me"]["secondFactor"]["recoveryCodesLeft"] == 8


async def test_wrong_codes_count_toward_the_lockout(api, rt, world, settings):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    totp = enrolled.totp
    wrong = next_code(totp, 5)  # a real code, but far from now
    challenge = (await sign_in(api, number))["secondFactor"]["challenge"]
    first = await complete(api, challenge, wrong)
    # A right password does not clear the count while the second step is pending.
    challenge = (await sign_in(api, number))["secondFactor"]["challenge"]
    for _ in range(settings.signin_max_failures - 1):
        await complete(api, challenge, wrong)

    locked_challenge = await complete(api, challenge, next_code(totp))
    locked_password = await sign_in(api, number)

    assert codes(first) == ["SECOND_FACTOR_CODE_INVALID"] and first["errors"][0]["field"] == "code"
    assert codes(locked_challenge) == ["SIGN_IN_CHALLENGE_EXPIRED"]
    assert codes(locked_password) == ["SIGNIN_FAILED"] and locked_password["secondFactor"] is None
    async with rt.db.session(world.head_office.id) as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.tenant_id == world.head_office.id,
                    AuditEvent.target_id == str(await staff_id(rt, number)),
                )
                .order_by(AuditEvent.seq)
            )
        )
    assert actions.count("staff.second_factor_failed") == settings.signin_max_failures - 1
    assert "staff.locked" in actions


# --- turning it off ------------------------------------------------------------------------------


async def test_turning_it_off_needs_a_current_code(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)

    wrong = (await api.post(DISABLE, {"i": {"code": next_code(enrolled.totp, 4)}}, token=enrolled.token))["data"]
    right = (await api.post(DISABLE, {"i": {"code": next_code(enrolled.totp)}}, token=enrolled.token))["data"]
    after = await sign_in(api, number)

    assert wrong["disableSecondFactor"] == {"disabled": False, "errors": [{"code": "SECOND_FACTOR_CODE_INVALID"}]}
    assert right["disableSecondFactor"] == {"disabled": True, "errors": []}
    assert after["accessToken"] and after["secondFactor"] is None


# --- enforcement by role -------------------------------------------------------------------------


async def test_a_teller_signs_in_with_a_password_alone(enforced, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])

    answer = await sign_in(enforced, number)
    me = await enforced.post(ME, token=answer["accessToken"])

    assert answer["errors"] == [] and answer["accessToken"] and answer["secondFactor"] is None
    assert me["data"]["me"]["secondFactor"] == {"enrolled": False, "required": False, "recoveryCodesLeft": 0}


async def test_a_cover_that_has_ended_no_longer_requires_a_second_factor(enforced, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    await add_member(rt, world.branch_b, ["branch_head"], number)
    async with rt.db.platform_session() as session:
        await session.execute(
            text(
                "update memberships set kind = 'cover', starts_at = now() - interval '3 days',"
                " ends_at = now() - interval '1 day'"
                " where tenant_id = :b and staff_id = (select id from staff where employee_number = :n)"
            ),
            {"b": world.branch_b.id, "n": number},
        )

    answer = await sign_in(enforced, number)

    assert answer["errors"] == [] and answer["accessToken"] and answer["secondFactor"] is None


@pytest.mark.parametrize("role", ["branch_head", "compliance_officer"])
async def test_an_enforced_role_must_enrol_to_sign_in(enforced, rt, world, role):
    number = await add_member(rt, world.branch_a, [role])

    answer = await sign_in(enforced, number)
    challenge = answer["secondFactor"]["challenge"]
    skipped = await complete(enforced, challenge, "123456")
    begun = (await enforced.post(BEGIN, {"i": {"challenge": challenge}}))["data"]["beginTotpEnrolment"]
    totp = pyotp.parse_uri(begun["provisioningUri"])
    confirmed = (await enforced.post(CONFIRM, {"i": {"challenge": challenge, "code": totp.now()}}))["data"][
        "confirmTotpEnrolment"
    ]
    me = await enforced.post(ME, token=confirmed["accessToken"])
    spent = (await enforced.post(BEGIN, {"i": {"challenge": challenge}}))["data"]["beginTotpEnrolment"]
    keep_it = (await enforced.post(DISABLE, {"i": {"code": next_code(totp)}}, token=confirmed["accessToken"]))["data"]

    assert answer["accessToken"] is None and answer["secondFactor"]["enrolmentRequired"] is True
    assert codes(skipped) == ["SECOND_FACTOR_ENROLMENT_REQUIRED"] and skipped["accessToken"] is None
    assert confirmed["errors"] == [] and confirmed["accessToken"] and len(confirmed["recoveryCodes"]) == 10
    assert me["data"]["me"]["secondFactor"] == {"enrolled": True, "required": True, "recoveryCodesLeft": 10}
    assert codes(spent) == ["SIGN_IN_CHALLENGE_EXPIRED"]
    assert keep_it["disableSecondFactor"] == {"disabled": False, "errors": [{"code": "SECOND_FACTOR_REQUIRED"}]}


async def test_an_enrolment_challenge_opens_nothing_else(enforced, rt, world):
    number = await add_member(rt, world.branch_a, ["branch_head"])
    challenge = (await sign_in(enforced, number))["secondFactor"]["challenge"]

    as_token = await enforced.post(ME, token=challenge)

    assert as_token["data"]["me"] is None and as_token["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_head_office_sets_the_roles_that_must_use_a_second_factor(api, enforced, rt, world):
    teller = await add_member(rt, world.branch_a, ["teller"])
    head = await add_member(rt, world.branch_a, ["branch_head"])
    admin_token = (await sign_in(api, await add_member(rt, world.head_office, ["head_office_admin"])))["accessToken"]
    office = world.head_office.code
    teller_token = (await sign_in(enforced, teller))["accessToken"]
    default = (await enforced.post(POLICY, token=admin_token))["data"]["secondFactorPolicy"]
    try:
        refused = await enforced.post(
            SET_POLICY, {"i": {"roles": ["teller"]}}, token=teller_token, branch=world.branch_a.code
        )
        unknown = await enforced.post(SET_POLICY, {"i": {"roles": ["nobody"]}}, token=admin_token, branch=office)
        changed = await enforced.post(SET_POLICY, {"i": {"roles": ["teller"]}}, token=admin_token, branch=office)
        teller_now, head_now = await sign_in(enforced, teller), await sign_in(enforced, head)
    finally:
        restore = {"roles": [r["name"] for r in default["roles"]]}
        await enforced.post(SET_POLICY, {"i": restore}, token=admin_token, branch=office)

    assert default == {
        "enforced": True,
        "roles": [{"name": r} for r in ["auditor", "branch_head", "compliance_officer", "head_office_admin"]],
    }
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert unknown["data"]["setSecondFactorPolicy"]["errors"] == [
        {"code": "SECOND_FACTOR_UNKNOWN_ROLE", "field": "roles"}
    ]
    assert changed["data"]["setSecondFactorPolicy"] == {"roles": [{"name": "teller"}], "errors": []}
    assert teller_now["secondFactor"]["enrolmentRequired"] is True
    assert head_now["accessToken"] and head_now["secondFactor"] is None
    async with rt.db.session(world.head_office.id) as session:
        changes = list(
            await session.scalars(
                select(AuditEvent.details)
                .where(
                    AuditEvent.tenant_id == world.head_office.id, AuditEvent.action == "second_factor.policy_changed"
                )
                .order_by(AuditEvent.seq.desc())
                .limit(2)
            )
        )
    assert [c["after"] for c in changes] == [restore["roles"], ["teller"]]


# --- an administrator's reset --------------------------------------------------------------------


async def test_a_branch_head_resets_a_members_second_factor(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    enrolled = await enrol(api, number)
    totp = enrolled.totp
    session_of_teller = await complete(api, (await sign_in(api, number))["secondFactor"]["challenge"], next_code(totp))
    head = (await sign_in(api, world.head_a))["accessToken"]
    target = to_base64("StaffMember", str(await staff_id(rt, number)))

    by_teller = await api.post(
        RESET, {"i": {"staffId": target}}, token=session_of_teller["accessToken"], branch=world.branch_a.code
    )
    from_other_branch = await api.post(
        RESET,
        {"i": {"staffId": target}},
        token=(await sign_in(api, world.head_b))["accessToken"],
        branch=world.branch_b.code,
    )
    reset = await api.post(RESET, {"i": {"staffId": target}}, token=head, branch=world.branch_a.code)
    refreshed = await api.post(REFRESH, {"i": {"refreshToken": session_of_teller["refreshToken"]}})
    after = await sign_in(api, number)

    assert by_teller["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "field": None,
        "requestId": by_teller["errors"][0]["extensions"]["requestId"],
    }
    assert from_other_branch["data"]["resetSecondFactor"]["errors"] == [{"code": "NOT_FOUND", "field": "staffId"}]
    assert reset["data"]["resetSecondFactor"] == {"reset": True, "staff": {"employeeNumber": number}, "errors": []}
    assert codes(refreshed["data"]["refreshSession"]) == ["REFRESH_TOKEN_INVALID"]
    assert after["accessToken"] and after["secondFactor"] is None
    async with rt.db.session(world.branch_a.id) as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.tenant_id == world.branch_a.id,
                AuditEvent.action == "staff.second_factor_reset",
                AuditEvent.target_id == str(await staff_id(rt, number)),
            )
        )
    assert event is not None and event.actor_label.startswith(world.head_a)


async def test_resetting_someone_without_a_second_factor_says_so(api, rt, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    head = (await sign_in(api, world.head_a))["accessToken"]
    target = to_base64("StaffMember", str(await staff_id(rt, number)))

    answer = await api.post(RESET, {"i": {"staffId": target}}, token=head, branch=world.branch_a.code)

    assert answer["data"]["resetSecondFactor"]["errors"] == [{"code": "SECOND_FACTOR_NOT_ENROLLED", "field": "staffId"}]


async def test_the_cli_reset_is_recorded_in_the_head_office_trail(api, rt, world):
    from branchdesk.access.unit_of_work import system_work
    from branchdesk.second_factor.service import reset_named

    number = await add_member(rt, world.branch_a, ["teller"])
    await enrol(api, number)

    async with system_work(rt.db, "cli") as (session, by):  # what `branchdesk staff reset-second-factor` runs
        await reset_named(session, by, number)

    assert (await sign_in(api, number))["secondFactor"] is None
    async with rt.db.session(world.head_office.id) as session:
        actor = await session.scalar(
            select(AuditEvent.actor_label).where(
                AuditEvent.tenant_id == world.head_office.id,
                AuditEvent.action == "staff.second_factor_reset",
                AuditEvent.target_id == str(await staff_id(rt, number)),
            )
        )
    assert actor == "cli"


def test_production_refuses_to_relax_the_rule():
    from pydantic import ValidationError

    from branchdesk.platform.settings import Settings

    explicit = {
        "database_url": "postgresql://db/x",
        "redis_url": "redis://r",
        "signing_keys": "{}",
        "db_role_password": "s3cret",
        **PRODUCTION_DATA_KEYS,
    }
    assert Settings(env="production", **explicit).second_factor_enforced is True
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", **explicit, second_factor_enforced=False)
    assert "BRANCHDESK_SECOND_FACTOR_ENFORCED" in str(refused.value)
