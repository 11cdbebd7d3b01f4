"""Password rules: each refusal says its reason; changePassword needs the current password, keeps the
current session and ends the others."""

from __future__ import annotations

import pytest

from branchdesk.demo import BRANCHES, DEMO_PASSWORD
from branchdesk.platform.errors import DomainError
from branchdesk.tenants import passwords, signin
from tests.conftest import PASSWORD, add_member
from tests.credentials.support import CHANGE, NEW_PASSWORD, claims_of, codes, refresh, sign_in_from

pytestmark = pytest.mark.external

WEAK = {
    "eleven char": ("Eleven-char", "PASSWORD_TOO_SHORT"),
    "common": ("password1234", "PASSWORD_COMMON"),
    "common in capitals": ("Password1234", "PASSWORD_COMMON"),
    "common with digits added": ("qwertyuiop2026!", "PASSWORD_COMMON"),
    "employee number": ("{number}-is-my-secret", "PASSWORD_PERSONAL"),
    "name": ("{name}-likes-tea-42", "PASSWORD_PERSONAL"),
}


@pytest.mark.parametrize(("password", "code"), WEAK.values(), ids=WEAK.keys())
async def test_a_weak_new_password_is_refused_with_its_reason(api, rt, own, world, password, code):
    number = await add_member(rt, own.branch_a, ["teller"])
    token = await api.token(number)
    chosen = password.format(number=number.lower(), name=f"Staff {number}".split()[1].lower())

    body = await api.post(CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": chosen}}, token=token)

    changed = body["data"]["changePassword"]
    assert [(e["code"], e["field"]) for e in changed["errors"]] == [(code, "newPassword")]
    assert changed["changed"] is False
    assert (await api.sign_in(number))["errors"] == [], "the password is unchanged"


def test_the_reasons_read_as_reasons():
    with pytest.raises(DomainError) as short:
        passwords.check("x" * 11, employee_number="E1", display_name="王建国")
    with pytest.raises(DomainError) as named:
        passwords.check("王建国的密码其实很长很长很长", employee_number="E1", display_name="王建国")
    assert short.value.message("en") == "A password has at least 12 characters."
    assert named.value.message("zh-CN") == "密码不得包含您的姓名。"


def test_the_demo_password_follows_the_rules():
    for branch in BRANCHES:
        for number, name, _ in branch.staff:
            passwords.check(DEMO_PASSWORD, employee_number=number, display_name=name)


async def test_set_password_follows_the_rules(rt, own, world):
    number = await add_member(rt, own.branch_a, ["teller"])
    async with rt.db.session(None) as session:
        with pytest.raises(DomainError) as refused:
            await signin.set_password(session, number, "short-one")
    assert refused.value.code == "PASSWORD_TOO_SHORT"


async def test_change_password_keeps_this_session_and_ends_the_others(api, rt, own, world):
    # given the same person signed in at a desk and on a phone
    number = await add_member(rt, own.branch_a, ["teller"])
    desk = await sign_in_from(api, number, PASSWORD, "Desk browser")
    phone = await sign_in_from(api, number, PASSWORD, "Phone app")

    # when they change their password at the desk
    body = await api.post(
        CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}, token=desk["accessToken"]
    )

    # then the desk's session goes on, the phone's has ended, and only the new password signs in
    assert body["data"]["changePassword"] == {"changed": True, "sessionsEnded": 1, "errors": []}
    assert (await refresh(api, desk["refreshToken"]))["errors"] == []
    assert codes(await refresh(api, phone["refreshToken"])) == ["REFRESH_TOKEN_INVALID"]
    assert codes(await api.sign_in(number)) == ["SIGNIN_FAILED"]
    assert (await api.sign_in(number, NEW_PASSWORD))["errors"] == []


async def test_change_password_needs_the_current_one(api, rt, own, world):
    number = await add_member(rt, own.branch_a, ["teller"])
    signed_in = await api.sign_in(number)

    body = await api.post(
        CHANGE, {"i": {"currentPassword": "Not-the-password-1", "newPassword": NEW_PASSWORD}},
        token=signed_in["accessToken"],
    )  # fmt: skip

    assert [(e["code"], e["field"]) for e in body["data"]["changePassword"]["errors"]] == [
        ("PASSWORD_INCORRECT", "currentPassword")
    ]
    assert (await api.sign_in(number))["errors"] == []
    assert (await refresh(api, signed_in["refreshToken"]))["errors"] == []


async def test_change_password_refuses_the_same_password(api, rt, own, world):
    number = await add_member(rt, own.branch_a, ["teller"])
    token = await api.token(number)

    body = await api.post(CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": PASSWORD}}, token=token)

    assert codes(body["data"]["changePassword"]) == ["PASSWORD_UNCHANGED"]


async def test_guessing_the_current_password_is_throttled(api, rt, own, world, settings):
    number = await add_member(rt, own.branch_a, ["teller"])
    token = await api.token(number)
    wrong = {"i": {"currentPassword": "Not-the-password-1", "newPassword": NEW_PASSWORD}}
    for _ in range(settings.signin_max_failures):
        await api.post(CHANGE, wrong, token=token)

    right = await api.post(CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}, token=token)

    assert codes(right["data"]["changePassword"]) == ["RATE_LIMITED"]


async def test_an_access_token_names_its_session(api, rt, own, world):
    number = await add_member(rt, own.branch_a, ["teller"])
    signed_in = await api.sign_in(number)
    rotated = await refresh(api, signed_in["refreshToken"])

    sid = claims_of(signed_in["accessToken"])["sid"]

    assert sid and claims_of(rotated["accessToken"])["sid"] == sid
    assert claims_of((await api.sign_in(number))["accessToken"])["sid"] != sid
