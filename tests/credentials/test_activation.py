"""Activation codes: a new identity, or an administrator's reset, sets its own password with a single-use
code that expires; failures all look the same; administrators see where a code stands."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from branchdesk.credentials import notices
from branchdesk.credentials import service as credentials
from branchdesk.jobs import tasks
from branchdesk.platform.clock import utcnow
from branchdesk.platform.outbox import OutboxMessage
from branchdesk.tenants import repository
from branchdesk.tenants.models import BranchLevel
from tests.conftest import SYSTEM, add_member, unique_code, unique_employee_number
from tests.credentials.support import (
    ISSUE,
    NEW_PASSWORD,
    STATUS,
    activate,
    codes,
    refresh,
    staff_gid,
)

pytestmark = pytest.mark.external

ONBOARD = """
mutation($input: OnboardBranchInput!) {
  onboardBranch(input: $input) { created activationCode { code expiresAt } errors { code field message } }
}"""


async def staff_of(rt, employee_number: str):
    async with rt.db.session(None) as session:
        return await repository.staff_by_employee_number(session, employee_number)


async def new_identity(rt, own) -> tuple[str, str]:
    """A new member of branch A who has never had a password, and the code the system issued them."""
    number = unique_employee_number("N")
    async with rt.db.session(None) as session:
        from branchdesk.onboarding import service as onboarding
        from branchdesk.tenants import service

        staff = await service.ensure_staff(session, service.StaffDraft(number, f"Staff {number}"))
        await onboarding.grant_membership(session, SYSTEM, own.branch_a, staff, ["teller"])
        issued = await credentials.issue_first_code(session, SYSTEM, staff, 3600)
    assert issued is not None
    return number, issued.code


async def test_onboard_branch_returns_a_code_that_activates_the_head(api, own, world):
    # given a head-office administrator onboarding a branch with a new head
    token = await api.token(world.ho_admin)
    head, code = unique_employee_number("H"), unique_code()
    given = {
        "code": code,
        "name": "上海外滩支行",
        "level": "SUB_BRANCH",
        "parentCode": own.branch_a.code,
        "head": {"employeeNumber": head, "displayName": "钱立新"},
    }
    onboarded = (await api.post(ONBOARD, {"input": given}, token=token, branch=world.head_office.code))["data"]

    # when the head redeems the code the payload showed with a password of their own
    issued = onboarded["onboardBranch"]["activationCode"]
    assert onboarded["onboardBranch"]["errors"] == [] and issued["code"]
    assert codes(await api.sign_in(head, NEW_PASSWORD)) == ["SIGNIN_FAILED"], "no password before activation"
    activated = await activate(api, head, issued["code"].lower().replace("-", " "))  # typed loosely

    # then they can sign in and act in their branch as its head
    assert activated == {"activated": True, "errors": []}
    signed_in = await api.sign_in(head, NEW_PASSWORD)
    assert signed_in["errors"] == [], signed_in
    body = await api.post(
        "{ staff { edges { node { employeeNumber roles } } } }", token=signed_in["accessToken"], branch=code
    )
    assert body["data"]["staff"]["edges"] == [{"node": {"employeeNumber": head, "roles": ["branch_head"]}}]
    # and a replay of the onboarding shows no code again
    again = (await api.post(ONBOARD, {"input": given}, token=token, branch=world.head_office.code))["data"]
    assert again["onboardBranch"]["created"] is False and again["onboardBranch"]["activationCode"] is None


async def test_a_code_is_single_use(api, rt, own, world):
    number, code = await new_identity(rt, own)

    first = await activate(api, number, code)
    second = await activate(api, number, code, "Another-long-secret-8")

    assert first["errors"] == [] and codes(second) == ["ACTIVATION_FAILED"]
    assert (await api.sign_in(number, NEW_PASSWORD))["errors"] == [], "the second use changed nothing"


async def test_a_code_expires(api, rt, own, world, settings, monkeypatch):
    # given a code, and the clock moved past its lifetime
    number, code = await new_identity(rt, own)
    later = utcnow() + timedelta(seconds=3601)
    monkeypatch.setattr(credentials, "utcnow", lambda: later)

    # when the person redeems it
    expired = await activate(api, number, code)

    # then it is refused like any wrong code, and the administrator sees it expired
    assert codes(expired) == ["ACTIVATION_FAILED"] and expired["errors"][0]["field"] == "code"
    staff = await staff_of(rt, number)
    async with rt.db.session(None) as session:
        status = await credentials.activation_status(session, SYSTEM, staff.id)
    assert status is not None and status.status is credentials.CodeStatus.EXPIRED and not status.has_password


async def test_every_failure_looks_the_same(api, rt, own, world, monkeypatch):
    used_number, used_code = await new_identity(rt, own)
    await activate(api, used_number, used_code)
    expired_number, expired_code = await new_identity(rt, own)
    wrong_number, _ = await new_identity(rt, own)

    answers = [
        await activate(api, "NOBODY" + unique_code(), "ABCD-EFGH-JKMN"),
        await activate(api, wrong_number, "ABCD-EFGH-JKMN"),
        await activate(api, used_number, used_code, "Another-long-secret-8"),
    ]
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(credentials, "utcnow", lambda: later)
    answers.append(await activate(api, expired_number, expired_code))

    assert all(a == answers[0] for a in answers), answers
    assert codes(answers[0]) == ["ACTIVATION_FAILED"]


async def test_repeated_wrong_codes_lock_out_even_the_right_one(api, rt, own, world, settings):
    number, code = await new_identity(rt, own)
    for _ in range(settings.signin_max_failures):
        await activate(api, number, "WRONG-CODE-2222")

    throttled = await activate(api, number, code)

    assert codes(throttled) == ["ACTIVATION_FAILED"]


async def test_a_weak_password_is_refused_and_the_code_still_works(api, rt, own, world):
    number, code = await new_identity(rt, own)

    weak = await activate(api, number, code, "short-1")
    strong = await activate(api, number, code)

    assert [(e["code"], e["field"]) for e in weak["errors"]] == [("PASSWORD_TOO_SHORT", "newPassword")]
    assert strong == {"activated": True, "errors": []}


async def test_an_administrators_reset_ends_sessions_and_issues_a_new_code(api, rt, own, world):
    # given a teller signed in, and their branch head
    teller = await add_member(rt, own.branch_a, ["teller"])
    signed_in = await api.sign_in(teller)
    staff = await staff_of(rt, teller)
    head_token = await api.token(own.head_a)

    # when the branch head resets the teller's credentials, twice
    first = await api.post(ISSUE, {"i": {"staffId": staff_gid(staff.id)}}, token=head_token, branch=own.branch_a.code)
    second = await api.post(ISSUE, {"i": {"staffId": staff_gid(staff.id)}}, token=head_token, branch=own.branch_a.code)
    first, second = first["data"]["issueActivationCode"], second["data"]["issueActivationCode"]

    # then the old password and session are gone, the first code is superseded, the second works
    assert first["errors"] == [] and first["staff"] == {"employeeNumber": teller}
    assert codes(await refresh(api, signed_in["refreshToken"])) == ["REFRESH_TOKEN_INVALID"]
    assert codes(await api.sign_in(teller)) == ["SIGNIN_FAILED"]
    status = await api.post(STATUS, {"s": staff_gid(staff.id)}, token=head_token, branch=own.branch_a.code)
    assert status["data"]["activationStatus"]["status"] == "PENDING"
    assert not status["data"]["activationStatus"]["hasPassword"]
    assert codes(await activate(api, teller, first["activationCode"]["code"])) == ["ACTIVATION_FAILED"]
    assert (await activate(api, teller, second["activationCode"]["code"]))["errors"] == []
    status = await api.post(STATUS, {"s": staff_gid(staff.id)}, token=head_token, branch=own.branch_a.code)
    assert status["data"]["activationStatus"]["status"] == "USED"


async def test_a_branch_cannot_reset_another_branchs_staff_or_head_office_staff(api, rt, own, world):
    head_token = await api.token(own.head_a)
    other = await staff_of(rt, await add_member(rt, own.branch_b, ["teller"]))
    covering = await add_member(rt, world.head_office, ["auditor"])
    await add_member(rt, own.branch_a, ["teller"], employee_number=covering)
    covering_staff = await staff_of(rt, covering)

    elsewhere = await api.post(
        ISSUE, {"i": {"staffId": staff_gid(other.id)}}, token=head_token, branch=own.branch_a.code
    )
    by_number = await api.post(
        ISSUE, {"i": {"employeeNumber": other.employee_number}}, token=head_token, branch=own.branch_a.code
    )
    head_office_member = await api.post(
        ISSUE, {"i": {"staffId": staff_gid(covering_staff.id)}}, token=head_token, branch=own.branch_a.code
    )

    assert codes(elsewhere["data"]["issueActivationCode"]) == ["NOT_FOUND"]
    assert codes(by_number["data"]["issueActivationCode"]) == ["NOT_FOUND"]
    assert codes(head_office_member["data"]["issueActivationCode"]) == ["FORBIDDEN"]
    assert (await api.sign_in(covering))["errors"] == [], "their password was left alone"


async def test_head_office_resets_anyone_by_employee_number(api, rt, own, world):
    teller = await add_member(rt, own.branch_b, ["teller"])
    token = await api.token(world.ho_admin)

    body = await api.post(ISSUE, {"i": {"employeeNumber": teller}}, token=token, branch=world.head_office.code)

    issued = body["data"]["issueActivationCode"]
    assert issued["errors"] == [] and issued["staff"] is None  # not a member of the head office
    assert (await activate(api, teller, issued["activationCode"]["code"]))["errors"] == []


async def test_a_notice_of_the_code_goes_through_the_outbox_without_the_code(rt, own, world, monkeypatch):
    # given a code issued (its notice waits in the head office's outbox)
    number, code = await new_identity(rt, own)
    staff = await staff_of(rt, number)
    async with rt.db.platform_session() as session:
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.job == credentials.NOTICE_JOB, OutboxMessage.payload["staff_id"].astext == str(staff.id)
            )
        )
    assert row is not None and code not in str(row.payload)
    told: list[notices.Notice] = []
    monkeypatch.setattr(notices, "notifier", lambda path: told.append)

    # when the job runs, twice (delivered at least once)
    args = (
        {"runtime": rt},
        str(row.tenant_id),
        str(row.id),
        *(row.payload[k] for k in ("staff_id", "code_id", "reset")),
    )
    first = await tasks.deliver_activation_notice(*args)
    second = await tasks.deliver_activation_notice(*args)

    # then the person is told once, and the notice carries no code
    assert (first, second) == ("delivered", "already done")
    [notice] = told
    assert notice.employee_number == number and notice.reset is False
    assert code not in repr(notice)


def test_the_default_delivery_logs_without_the_code(capsys):
    notice = notices.Notice(uuid.uuid4(), "E1", "Name", None, "13812345678", utcnow(), reset=True)
    notices.log_notice(notice)
    out = capsys.readouterr().out
    assert "activation code issued" in out and "13812345678" not in out


@pytest.fixture
def cli(settings, monkeypatch):
    from branchdesk.cli import app
    from branchdesk.platform.settings import get_settings

    monkeypatch.setenv("BRANCHDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BRANCHDESK_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("BRANCHDESK_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def printed_code(output: str, employee_number: str) -> str:
    [line] = [
        line for line in output.splitlines() if line.startswith("activation code for") and employee_number in line
    ]
    return line.rsplit(": ", 1)[1]


def redeem(settings, employee_number: str, code: str) -> bool:
    """Redeem a code the way activateAccount does, on a runtime of its own (the CLI tests run outside
    the tests' event loop, as the CLI does)."""
    from branchdesk.platform.errors import DomainError
    from branchdesk.runtime import runtime

    async def main() -> bool:
        async with runtime(settings, run_migrations=False) as rt, rt.db.session(None) as session:
            try:
                await credentials.activate(session, rt.redis, settings, employee_number, code, NEW_PASSWORD)
            except DomainError:
                return False
            return True

    return asyncio.run(main())


def test_cli_onboarding_prints_the_heads_code_and_activation_code_replaces_it(cli, settings, world):
    # given a branch onboarded from the command line, which printed its head's code
    code, head = unique_code(), unique_employee_number()
    onboarded = cli(
        "tenants", "create", "--code", code, "--name", "上海新天地支行", "--level", "sub_branch",
        "--parent", world.branch_a.code, "--head", head, "--head-name", "许文静",
    )  # fmt: skip
    assert onboarded.exit_code == 0, onboarded.output
    first = printed_code(onboarded.output, head)

    # when an operator issues a new code for the head
    reissued = cli("staff", "activation-code", head)

    # then the new code activates the head and the first one no longer does
    assert reissued.exit_code == 0, reissued.output
    assert not redeem(settings, head, first)
    assert redeem(settings, head, printed_code(reissued.output, head))


def test_cli_set_password_follows_the_rules(cli, world):
    result = cli("staff", "set-password", world.head_b, "--password", "password1234")

    assert result.exit_code == 2 and "PASSWORD_COMMON" in result.output


async def test_onboarding_gives_no_code_to_a_head_who_has_a_password(rt, own, world):
    async with rt.db.session(None) as session:
        from branchdesk.onboarding import service as onboarding
        from branchdesk.tenants import service

        again = await onboarding.onboard_branch(
            session,
            SYSTEM,
            service.BranchDraft(
                code=unique_code(),
                name="Second branch of the same head",
                level=BranchLevel.TIER1_BRANCH,
                parent_code=world.head_office.code,
                timezone="Asia/Shanghai",
                head=service.StaffDraft(own.head_a, f"Staff {own.head_a}"),
            ),
        )
    assert again.created and again.activation is None
