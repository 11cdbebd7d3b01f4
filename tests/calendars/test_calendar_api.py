"""The calendar through GraphQL and the CLI: what the front end asks, typed refusals, statement counts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

WORKING_DAYS = "query($from: Date!, $to: Date!) { workingDays(from: $from, to: $to) }"
NEXT = "query($d: Date!, $i: Boolean) { nextWorkingDay(date: $d, includeDate: $i) }"
ADD = """mutation($i: AddBranchClosureInput!) { addBranchClosure(input: $i) {
    branchClosure { id startsOn endsOn reason } errors { code field message } } }"""
REMOVE = """mutation($i: RemoveBranchClosureInput!) { removeBranchClosure(input: $i) {
    branchClosure { id } errors { code field } } }"""
CLOSURES = "query($from: Date) { branchClosures(from: $from) { id startsOn endsOn reason } }"
SET = """mutation($i: SetHolidayInput!) { setHoliday(input: $i) {
    holiday { date kind region name nameZh nameEn } errors { code field } } }"""
HOLIDAYS = "query($y: Int!, $r: String) { holidays(year: $y, region: $r) { date kind region name } }"


@pytest.fixture
async def branch(rt, world):
    head = unique_employee_number("H")
    made = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    teller = await add_member(rt, made, ["teller"])
    return made, head, teller


def codes(body, field):
    top = [e["extensions"]["code"] for e in body.get("errors", [])]
    value = (body.get("data") or {}).get(field) or {}
    return top + [(e["code"], e["field"]) for e in value.get("errors", [])] if isinstance(value, dict) else top


async def test_the_front_end_asks_for_working_days_around_the_spring_festival(api, branch):
    made, _, teller = branch
    token = await api.token(teller)
    body = await api.post(WORKING_DAYS, {"from": "2026-02-12", "to": "2026-02-25"}, token=token, branch=made.code)
    assert body["data"]["workingDays"] == ["2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25"]
    body = await api.post(NEXT, {"d": "2026-02-15"}, token=token, branch=made.code)
    assert body["data"]["nextWorkingDay"] == "2026-02-24"
    body = await api.post(NEXT, {"d": "2026-02-24", "i": True}, token=token, branch=made.code)
    assert body["data"]["nextWorkingDay"] == "2026-02-24"
    body = await api.post(
        HOLIDAYS, {"y": 2026, "r": "CN"}, token=token, branch=made.code, headers={"Accept-Language": "zh-CN"}
    )
    spring = [h for h in body["data"]["holidays"] if h["date"] == "2026-02-14"]
    assert spring == [{"date": "2026-02-14", "kind": "WORKDAY", "region": "CN", "name": "春节调休上班"}]


async def test_calendar_queries_refuse_bad_ranges_with_typed_errors(api, branch):
    made, _, teller = branch
    token = await api.token(teller)
    too_long = await api.post(WORKING_DAYS, {"from": "2026-01-01", "to": "2027-06-01"}, token=token, branch=made.code)
    backwards = await api.post(WORKING_DAYS, {"from": "2026-02-01", "to": "2026-01-01"}, token=token, branch=made.code)
    out_of_range = await api.post(NEXT, {"d": "2100-01-01"}, token=token, branch=made.code)
    bad_year = await api.post(HOLIDAYS, {"y": 1900}, token=token, branch=made.code)
    assert codes(too_long, "workingDays") == ["CALENDAR_RANGE_TOO_LONG"]
    assert codes(backwards, "workingDays") == ["CALENDAR_RANGE_TOO_LONG"]
    assert codes(out_of_range, "nextWorkingDay") == ["CALENDAR_DATE_RANGE"]
    assert codes(bad_year, "holidays") == ["CALENDAR_DATE_RANGE"]
    assert too_long["data"]["workingDays"] is None


async def test_the_branch_head_manages_closures_and_the_teller_sees_them(api, branch):
    made, head, teller = branch
    head_token, teller_token = await api.token(head), await api.token(teller)
    closure = {"startsOn": "2095-03-01", "endsOn": "2095-03-03", "reason": "装修"}
    added = await api.post(ADD, {"i": closure}, token=head_token, branch=made.code)
    assert added["data"]["addBranchClosure"]["errors"] == []
    closure_id = added["data"]["addBranchClosure"]["branchClosure"]["id"]
    clash = await api.post(
        ADD, {"i": closure | {"startsOn": "2095-03-03", "endsOn": "2095-03-04"}}, token=head_token, branch=made.code
    )
    assert codes(clash, "addBranchClosure") == [("CALENDAR_CLOSURE_OVERLAP", "startsOn")]
    assert clash["data"]["addBranchClosure"]["branchClosure"] is None
    refused = await api.post(
        ADD, {"i": closure | {"startsOn": "2095-04-01", "endsOn": "2095-04-01"}}, token=teller_token, branch=made.code
    )
    assert codes(refused, "addBranchClosure") == ["FORBIDDEN"]

    seen = await api.post(CLOSURES, {"from": "2095-01-01"}, token=teller_token, branch=made.code)
    assert seen["data"]["branchClosures"] == [
        {"id": closure_id, "startsOn": "2095-03-01", "endsOn": "2095-03-03", "reason": "装修"}
    ]
    days = await api.post(
        WORKING_DAYS, {"from": "2095-02-28", "to": "2095-03-05"}, token=teller_token, branch=made.code
    )
    assert days["data"]["workingDays"] == ["2095-02-28", "2095-03-04"]  # Mon 28, closed Tue to Thu, Fri 4, Sat 5

    removed = await api.post(REMOVE, {"i": {"id": closure_id}}, token=head_token, branch=made.code)
    assert removed["data"]["removeBranchClosure"] == {"branchClosure": {"id": closure_id}, "errors": []}
    again = await api.post(REMOVE, {"i": {"id": closure_id}}, token=head_token, branch=made.code)
    assert codes(again, "removeBranchClosure") == [("NOT_FOUND", "id")]


async def test_only_head_office_publishes_holidays(api, world, branch):
    made, head, _ = branch
    entry = {"date": "2098-05-04", "kind": "HOLIDAY", "region": "XB", "nameZh": "青年节", "nameEn": "Youth Day"}
    refused = await api.post(SET, {"i": entry}, token=await api.token(head), branch=made.code)
    assert codes(refused, "setHoliday") == ["FORBIDDEN"]
    ho = await api.token(world.ho_admin)
    done = await api.post(SET, {"i": entry}, token=ho, branch=world.head_office.code)
    assert done["data"]["setHoliday"]["holiday"] == {
        "date": "2098-05-04",
        "kind": "HOLIDAY",
        "region": "XB",
        "name": "Youth Day",
        "nameZh": "青年节",
        "nameEn": "Youth Day",
    }
    bad = await api.post(SET, {"i": entry | {"region": "Mars", "nameEn": ""}}, token=ho, branch=world.head_office.code)
    assert codes(bad, "setHoliday") == [("CALENDAR_REGION", "region"), ("CALENDAR_HOLIDAY_NAME", "nameEn")]


async def test_working_days_cost_entry_plus_two_statements(api, branch, sql_counter):
    made, _, teller = branch
    token = await api.token(teller)
    variables = {"from": "2026-01-01", "to": "2026-12-31"}
    await api.post(WORKING_DAYS, variables, token=token, branch=made.code)  # warm: policy and branch code cached
    sql_counter.count = 0
    with sql_counter:
        body = await api.post(WORKING_DAYS, variables, token=token, branch=made.code)
    assert len(body["data"]["workingDays"]) == 261 - 19 + 6  # weekdays, less holidays on weekdays, plus make-up days
    assert sql_counter.count == 3  # entry (1), the branch, then head-office days and closures in one


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


def test_cli_loads_a_calendar_file_idempotently_and_shows_it(cli, tmp_path, world):
    file = tmp_path / "xc-2099.csv"
    file.write_text(
        "date,kind,region,name_zh,name_en\n"
        "2099-01-01,holiday,XC,元旦,New Year's Day\n"
        "2099-01-02,holiday,XC,元旦,New Year's Day\n"
        "2099-01-04,workday,XC,元旦调休上班,New Year's Day make-up working day\n",
        encoding="utf-8",
    )
    first = cli("calendar", "load", str(file))
    assert first.exit_code == 0, first.output
    assert "created 3, updated 0, unchanged 0" in first.output
    second = cli("calendar", "load", str(file))
    assert "created 0, updated 0, unchanged 3" in second.output
    shown = cli("calendar", "show", "2099", "--region", "XC", "--csv")
    assert shown.exit_code == 0, shown.output
    assert shown.output == file.read_text(encoding="utf-8")


def test_cli_refuses_a_bad_file_line_by_line_and_loads_nothing(cli, tmp_path, world):
    file = tmp_path / "bad.csv"
    file.write_text(
        "date,kind,region,name_zh,name_en\n"
        "2099-02-01,holiday,XD,春节,Spring Festival\n"
        "2099-02-30,holiday,XD,春节,Spring Festival\n"
        "2099-02-03,day off,XD,春节,Spring Festival\n"
        "2099-02-01,workday,XD,调休,Make-up\n"
        "2099-02-05,holiday,xd-long,春节,Spring Festival\n",
        encoding="utf-8",
    )
    result = cli("calendar", "load", str(file))
    assert result.exit_code == 2
    assert [line.split(":")[0] for line in result.output.strip().splitlines()] == [
        "CALENDAR_FILE [line 3]",
        "CALENDAR_FILE [line 4]",
        "CALENDAR_FILE [line 5]",
        "CALENDAR_FILE [line 6]",
    ]
    assert "region" in result.output.strip().splitlines()[-1]
    assert cli("calendar", "show", "2099", "--region", "XD", "--csv").output == "date,kind,region,name_zh,name_en\n"
