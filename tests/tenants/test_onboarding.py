"""Head office onboards branches through GraphQL and the CLI; bad input is refused field by field."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from branchdesk.platform.audit import AuditEvent
from branchdesk.tenants.models import Branch, Staff
from tests.conftest import add_member, unique_code, unique_employee_number

pytestmark = pytest.mark.external

ONBOARD = """
mutation($input: OnboardBranchInput!) {
  onboardBranch(input: $input) {
    created
    branch { id code name level status parent { code } businessHours { weekday opens closes } }
    errors { code field message }
  }
}"""


def branch_input(world, **changes):
    return {
        "code": unique_code(),
        "name": "上海外滩支行",
        "level": "SUB_BRANCH",
        "parentCode": world.branch_a.code,
        "timezone": "Asia/Shanghai",
        "businessHours": [{"weekday": "mon", "opens": "09:00", "closes": "17:00"}],
        "head": {"employeeNumber": unique_employee_number(), "displayName": "钱立新"},
    } | changes


async def _counts(rt) -> tuple[int, int, int]:
    async with rt.db.platform_session() as session:
        return (
            await session.scalar(select(func.count()).select_from(Branch)),
            await session.scalar(select(func.count()).select_from(Staff)),
            await session.scalar(select(func.count()).select_from(AuditEvent)),
        )


@pytest.fixture
async def head_office(api, world):
    token = await api.token(world.ho_admin)
    return lambda query, variables=None: api.post(query, variables, token=token, branch=world.head_office.code)


async def test_onboarding_twice_creates_one_branch(rt, head_office, world):
    given = branch_input(world)
    first = (await head_office(ONBOARD, {"input": given}))["data"]["onboardBranch"]
    before = await _counts(rt)
    again = (await head_office(ONBOARD, {"input": given}))["data"]["onboardBranch"]

    assert first["errors"] == [] and first["created"] is True
    assert first["branch"]["parent"] == {"code": world.branch_a.code}
    assert first["branch"]["businessHours"] == [{"weekday": "mon", "opens": "09:00", "closes": "17:00"}]
    assert again["errors"] == [] and again["created"] is False
    assert again["branch"]["id"] == first["branch"]["id"]
    assert await _counts(rt) == before


async def test_the_new_branch_head_can_act_in_the_new_branch(api, head_office, world):
    given = branch_input(world)
    await head_office(ONBOARD, {"input": given})
    from branchdesk.tenants import signin
    from tests.conftest import PASSWORD, SYSTEM  # noqa: F401

    async with api.client._transport.app.state.runtime.db.session(None) as session:  # type: ignore[attr-defined]
        await signin.set_password(session, given["head"]["employeeNumber"], PASSWORD)
    token = await api.token(given["head"]["employeeNumber"])
    body = await api.post("{ staff { edges { node { employeeNumber roles } } } }", token=token, branch=given["code"])
    assert body["data"]["staff"]["edges"] == [
        {"node": {"employeeNumber": given["head"]["employeeNumber"], "roles": ["branch_head"]}}
    ]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"parentCode": "NOPE99"}, "UNKNOWN_PARENT", "parentCode"),
        ({"timezone": "Mars/Olympus_Mons"}, "INVALID_TIMEZONE", "timezone"),
        ({"code": "bad code!"}, "BRANCH_CODE_FORMAT", "code"),
        (
            {"businessHours": [{"weekday": "mon", "opens": "18:00", "closes": "09:00"}]},
            "INVALID_BUSINESS_HOURS",
            "businessHours",
        ),
        ({"level": "TIER1_BRANCH"}, "PARENT_LEVEL_MISMATCH", "parentCode"),
        ({"head": {"employeeNumber": "!", "displayName": "x"}}, "INVALID_EMPLOYEE_NUMBER", "head.employeeNumber"),
    ],
    ids=["unknown-parent", "time-zone", "code-format", "hours", "level", "head"],
)
async def test_bad_input_names_the_field_and_writes_nothing(rt, head_office, world, changes, code, field):
    before = await _counts(rt)
    result = (await head_office(ONBOARD, {"input": branch_input(world, **changes)}))["data"]["onboardBranch"]
    assert result["branch"] is None
    assert {"code": code, "field": field} in [{"code": e["code"], "field": e["field"]} for e in result["errors"]]
    assert all(e["message"] for e in result["errors"])
    assert await _counts(rt) == before


async def test_a_taken_code_with_other_details_is_a_duplicate(rt, head_office, world):
    before = await _counts(rt)
    taken = branch_input(world, code=world.branch_b.code)
    result = (await head_office(ONBOARD, {"input": taken}))["data"]["onboardBranch"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("BRANCH_CODE_TAKEN", "code")]
    assert await _counts(rt) == before


async def test_several_problems_are_reported_together(head_office, world):
    result = await head_office(ONBOARD, {"input": branch_input(world, code="x", timezone="Nowhere")})
    fields = {e["field"] for e in result["data"]["onboardBranch"]["errors"]}
    assert {"code", "timezone"} <= fields


async def test_branch_staff_cannot_onboard(api, world):
    token = await api.token(world.head_a)
    body = await api.post(ONBOARD, {"input": branch_input(world)}, token=token, branch=world.branch_a.code)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_branch_is_not_found(api, world):
    token = await api.token(world.head_a)
    hidden = await api.post(
        "{ branch(code: $c) { code } }".replace("$c", json.dumps(world.branch_b.code)),
        token=token,
        branch=world.branch_a.code,
    )
    missing = await api.post('{ branch(code: "ZZZZZZ") { code } }', token=token, branch=world.branch_a.code)
    assert hidden == missing == {"data": {"branch": None}}


async def test_another_branchs_staff_member_is_not_found_by_global_id(api, world):
    b_token = await api.token(world.head_b)
    own = await api.post("{ staff { edges { node { id } } } }", token=b_token, branch=world.branch_b.code)
    b_member_id = own["data"]["staff"]["edges"][0]["node"]["id"]
    token = await api.token(world.head_a)
    query = "query($id: ID!) { node(id: $id) { id ... on StaffMember { employeeNumber } } }"
    seen_by_b = await api.post(query, {"id": b_member_id}, token=b_token, branch=world.branch_b.code)
    seen_by_a = await api.post(query, {"id": b_member_id}, token=token, branch=world.branch_a.code)
    assert seen_by_b["data"]["node"]["employeeNumber"] == world.head_b
    assert seen_by_a == {"data": {"node": None}}


async def test_suspending_and_reactivating_through_graphql(api, head_office, world, rt):
    given = branch_input(world)
    await head_office(ONBOARD, {"input": given})
    member = await add_member(rt, await _branch(rt, given["code"]), ["teller"])
    token = await api.token(member)
    query = "{ staff { edges { cursor } } }"
    mutation = (
        "mutation($i: ChangeBranchStatusInput!) { %s(input: $i) { branch { status statusLabel } errors { code } } }"
    )

    suspended = await head_office(mutation % "suspendBranch", {"i": {"code": given["code"], "reason": "audit"}})
    assert suspended["data"]["suspendBranch"]["branch"]["status"] == "SUSPENDED"
    refused = await api.post(query, token=token, branch=given["code"])
    assert refused["errors"][0]["extensions"]["code"] == "BRANCH_SUSPENDED"

    reactivated = await head_office(mutation % "reactivateBranch", {"i": {"code": given["code"]}})
    assert reactivated["data"]["reactivateBranch"]["branch"]["status"] == "ACTIVE"
    assert "errors" not in await api.post(query, token=token, branch=given["code"])


async def _branch(rt, code):
    from branchdesk.tenants import repository

    async with rt.db.session(None) as session:
        return await repository.branch_by_code(session, code)


# --- CLI -----------------------------------------------------------------------------------------


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


def test_cli_onboarding_is_idempotent(cli, world):
    code, head = unique_code(), unique_employee_number()
    args = [
        "tenants",
        "create",
        "--code",
        code,
        "--name",
        "苏州分行",
        "--level",
        "tier1_branch",
        "--parent",
        world.head_office.code,
        "--head",
        head,
        "--head-name",
        "吴敏",
    ]
    first, second = cli(*args), cli(*args)
    assert first.exit_code == 0 and "created" in first.output
    assert second.exit_code == 0 and "already onboarded" in second.output
    listed = json.loads(cli("tenants", "list", "--json").output)
    assert [b["code"] for b in listed].count(code) == 1


def test_cli_reports_bad_input_by_field(cli, world):
    result = cli(
        "tenants",
        "create",
        "--code",
        unique_code(),
        "--name",
        "x",
        "--level",
        "outlet",
        "--parent",
        "NOPE00",
        "--head",
        unique_employee_number(),
        "--head-name",
        "y",
    )
    assert result.exit_code == 2
    assert "UNKNOWN_PARENT [parentCode]" in result.output


def test_cli_suspends_and_reactivates(cli, world):
    code = unique_code()
    cli(
        "tenants",
        "create",
        "--code",
        code,
        "--name",
        "杭州分行",
        "--level",
        "tier1_branch",
        "--parent",
        world.head_office.code,
        "--head",
        unique_employee_number(),
        "--head-name",
        "周洁",
    )
    assert f"{code} is suspended" in cli("tenants", "suspend", code, "--reason", "renovation").output
    assert f"{code} is active" in cli("tenants", "reactivate", code).output


async def test_two_onboardings_of_one_new_code_at_once_make_one_branch(rt, world):
    import asyncio

    from branchdesk.onboarding import service as onboarding
    from branchdesk.platform.errors import DomainError
    from branchdesk.tenants import service
    from branchdesk.tenants.models import BranchLevel
    from tests.conftest import SYSTEM

    draft = service.BranchDraft(
        code=unique_code(),
        name="并发支行",
        level=BranchLevel.TIER1_BRANCH,
        parent_code=world.head_office.code,
        timezone="Asia/Shanghai",
        head=service.StaffDraft(unique_employee_number(), "林晓"),
    )

    async def onboard():
        async with rt.db.session(None) as session:
            return await onboarding.onboard_branch(session, SYSTEM, draft)

    outcomes = await asyncio.gather(onboard(), onboard(), return_exceptions=True)
    created = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(created) + len(refused) == 2 and created
    assert all(e.code == "BRANCH_CODE_TAKEN" and e.field == "code" for e in refused)
    async with rt.db.platform_session() as session:
        assert await session.scalar(select(func.count()).select_from(Branch).where(Branch.code == draft.code)) == 1
