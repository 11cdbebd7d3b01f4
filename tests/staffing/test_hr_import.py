"""The HR feed: a good file loads, a bad one loads nothing and names every bad row and column, a re-run
changes nothing, a dry run writes nothing, leavers are deactivated only when asked, a BOM is fine, roles
change; through the import function and, end to end, the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.outbox import OutboxMessage
from branchdesk.staffing import service as staffing
from branchdesk.staffing.hr_import import service as hr_import
from branchdesk.staffing.hr_import.feed import report_csv
from branchdesk.staffing.hr_import.service import ChangeKind
from branchdesk.tenants.models import BranchLevel, Membership, MembershipKind, Staff, StaffStatus
from tests.conftest import SYSTEM, add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

FIXTURES = Path(__file__).parent / "fixtures" / "hr"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Scene:
    a: Any  # branches the file covers
    b: Any
    head_a: str
    head_b: str
    prefix: str  # of the file's employee numbers

    def feed(self, name: str, **extra: str) -> bytes:
        """A sample file with this scene's branch codes, employee numbers and dates."""
        today = datetime.now(SHANGHAI).date()
        values = {
            "{p}": self.prefix,
            "{a}": self.a.code,
            "{b}": self.b.code,
            "{today}": today.isoformat(),
            "{next_month}": (today + timedelta(days=30)).isoformat(),
            "{in_two_weeks}": (today + timedelta(days=14)).isoformat(),
            **extra,
        }
        data = (FIXTURES / name).read_bytes()
        for placeholder, value in values.items():
            data = data.replace(placeholder.encode(), value.encode())
        return data


@pytest.fixture
async def scene(rt, world) -> Scene:
    head_a, head_b = unique_employee_number("HA"), unique_employee_number("HB")
    a = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_a)
    b = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_b)
    return Scene(a, b, head_a, head_b, unique_employee_number("F")[:7])


async def run(rt, data: bytes, name: str = "feed.csv", **options: Any) -> hr_import.ImportResult:
    async with rt.db.session(None) as session:
        return await hr_import.import_feed(session, rt.db.platform_session, data, name, **options)


async def memberships(rt, branch, prefix: str) -> dict[str, Membership]:
    async with rt.db.session(branch.id) as session:
        rows = await session.execute(
            select(Staff.employee_number, Membership)
            .join(Membership, Membership.staff_id == Staff.id)
            .where(Membership.tenant_id == branch.id, Staff.employee_number.startswith(prefix))
        )
        return {row[0]: row[1] for row in rows}


async def staff_numbered(rt, prefix: str) -> dict[str, Staff]:
    async with rt.db.session(None) as session:
        found = await session.scalars(select(Staff).where(Staff.employee_number.startswith(prefix)))
        return {s.employee_number: s for s in found}


async def trail(rt, branch) -> list[AuditEvent]:
    async with rt.db.session(branch.id) as session:
        found = await session.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == branch.id).order_by(AuditEvent.seq)
        )
        return list(found)


def counts(result: hr_import.ImportResult) -> dict[str, int]:
    return {kind.value: n for kind, n in result.counts.items() if n}


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


# --- a good file -----------------------------------------------------------------------------------


async def test_a_good_file_creates_the_staff_and_their_memberships_covers_and_future_starts(rt, scene):
    result = await run(rt, scene.feed("good.csv"), "good.csv")

    assert result.issues == [] and result.applied
    assert counts(result) == {"created": 4, "membership_added": 5, "leaver": 2}  # the onboarded heads
    p, today = scene.prefix, datetime.now(SHANGHAI).date()
    staff = await staff_numbered(rt, p)
    assert sorted(staff) == [f"{p}01", f"{p}02", f"{p}03", f"{p}04"]
    assert staff[f"{p}01"].display_name == "李明" and staff[f"{p}02"].phone == "+8613900001111"
    in_a, in_b = await memberships(rt, scene.a, p), await memberships(rt, scene.b, p)
    assert sorted(in_a[f"{p}01"].roles) == ["customer_manager", "teller"]
    assert in_a[f"{p}01"].kind is MembershipKind.REGULAR and in_a[f"{p}01"].ends_at is None
    # a start in the future: the membership starts then, at the branch's midnight
    assert in_b[f"{p}03"].starts_at == midnight(today + timedelta(days=30))
    # an end date on top of a home membership elsewhere (0101 → a) is a cover
    assert in_b[f"{p}01"].kind is MembershipKind.COVER
    assert in_b[f"{p}01"].ends_at == midnight(today + timedelta(days=15))
    # an end date with no home elsewhere is a fixed-term regular membership
    assert in_b[f"{p}04"].kind is MembershipKind.REGULAR
    assert in_b[f"{p}04"].ends_at == midnight(today + timedelta(days=15))


async def test_every_change_is_in_the_branch_trail_by_the_import_naming_the_file(rt, scene):
    await run(rt, scene.feed("good.csv"), "hr-2026-11.csv")

    added = [e for e in await trail(rt, scene.b) if e.action == "staff.membership_added"]
    assert {e.details["employee_number"] for e in added} == {
        f"{scene.prefix}01",
        f"{scene.prefix}03",
        f"{scene.prefix}04",
    }
    assert {(e.actor_kind, e.actor_label) for e in added} == {("system", "hr-import hr-2026-11.csv")}
    assert {e.details["file"] for e in added} == {"hr-2026-11.csv"}
    roles = [e for e in await trail(rt, scene.b) if e.action == "policy.roles_changed" and e.actor_kind == "system"]
    assert [e.actor_label for e in roles][-3:] == ["hr-import hr-2026-11.csv"] * 3  # after the head's onboarding
    # new identities go through create_staff: audited in the head office, activation queued
    staff = await staff_numbered(rt, scene.prefix)
    async with rt.db.platform_session() as platform:
        queued = await platform.scalars(select(OutboxMessage).where(OutboxMessage.job == staffing.STAFF_CREATED))
        created_for = {m.payload["staff_id"] for m in queued}
    assert {str(s.id) for s in staff.values()} <= created_for


# --- a bad file ----------------------------------------------------------------------------------


async def test_a_bad_file_writes_nothing_and_reports_every_bad_row_with_its_column(rt, scene):
    result = await run(rt, scene.feed("bad.csv"), "bad.csv")

    assert not result.applied
    assert [(i.row, i.column, i.code.value) for i in result.issues] == [
        (3, "employee_number", "EMPLOYEE_NUMBER_FORMAT"),
        (4, "name", "NAME_REQUIRED"),
        (5, "email", "EMAIL_INVALID"),
        (6, "phone", "PHONE_INVALID"),
        (7, "branch_code", "BRANCH_UNKNOWN"),
        (8, "roles", "ROLE_UNKNOWN"),
        (9, "start_date", "DATE_FORMAT"),
        (10, "end_date", "END_BEFORE_START"),
        (11, "branch_code", "DUPLICATE_ROW"),
        (12, "roles", "HEAD_OFFICE_ROLE"),
    ]
    assert "row 2" in result.issues[8].message  # the duplicate names the first
    assert await staff_numbered(rt, scene.prefix) == {}  # not even row 2, which was good
    report = list(csv.reader(io.StringIO(report_csv(result.issues).lstrip("\ufeff"))))
    assert report[0] == ["row", "column", "code", "message"] and len(report) == 11
    assert report[1][:3] == ["3", "employee_number", "EMPLOYEE_NUMBER_FORMAT"]


async def test_a_file_that_is_not_utf8_is_refused_naming_the_line(rt, scene):
    data = scene.feed("bom.csv").decode("utf-8-sig").encode("gb18030")  # an Excel export in the local code page

    result = await run(rt, data)

    assert [(i.row, i.code.value) for i in result.issues] == [(2, "ENCODING")]
    assert await staff_numbered(rt, scene.prefix) == {}


async def test_a_missing_column_is_reported_against_the_header(rt, scene):
    result = await run(rt, b"employee_number,name,email\nE1,x,\n")

    assert {(i.row, i.column, i.code.value) for i in result.issues} == {
        (1, "branch_code", "MISSING_COLUMN"),
        (1, "roles", "MISSING_COLUMN"),
    }


async def test_a_person_whose_rows_disagree_or_who_left_the_bank_is_reported(rt, scene):
    left = await add_member(rt, scene.a, ["teller"])
    async with rt.db.platform_session() as platform, rt.db.session(None) as session:
        await staffing.deactivate(session, SYSTEM, platform, left)
    p, a, b = scene.prefix, scene.a.code, scene.b.code
    data = (
        "employee_number,name,email,phone,branch_code,roles,start_date,end_date\n"
        f"{p}01,李明,,13812345678,{a},teller,,\n"
        f"{p}01,李明,,13812345679,{b},teller,,\n"
        f"{left},Back again,,,{a},teller,,\n"
    ).encode()

    result = await run(rt, data)

    assert [(i.row, i.column, i.code.value) for i in result.issues] == [
        (3, "phone", "PERSON_INCONSISTENT"),
        (4, "employee_number", "STAFF_DEACTIVATED"),
    ]


# --- re-runs, dry runs ---------------------------------------------------------------------------


async def test_importing_the_same_file_twice_changes_nothing_the_second_time(rt, scene):
    await run(rt, scene.feed("good.csv"))
    before_a, before_b = len(await trail(rt, scene.a)), len(await trail(rt, scene.b))

    again = await run(rt, scene.feed("good.csv"))

    assert counts(again) == {"unchanged": 5, "leaver": 2}
    assert (len(await trail(rt, scene.a)), len(await trail(rt, scene.b))) == (before_a, before_b)


async def test_a_dry_run_shows_what_would_change_and_writes_nothing(rt, scene):
    before = len(await trail(rt, scene.a))

    result = await run(rt, scene.feed("good.csv"), dry_run=True)

    assert counts(result) == {"created": 4, "membership_added": 5, "leaver": 2} and not result.applied
    assert await staff_numbered(rt, scene.prefix) == {}
    assert await memberships(rt, scene.a, scene.prefix) == {}
    assert len(await trail(rt, scene.a)) == before


# --- changes ------------------------------------------------------------------------------------


async def test_changed_roles_are_set_and_recorded(rt, scene):
    await run(rt, scene.feed("good.csv"))

    result = await run(rt, scene.feed("roles_changed.csv"), "roles.csv")

    assert counts(result) == {"roles_changed": 2, "unchanged": 3, "leaver": 2}
    changed = {c.employee_number: (c.before, c.roles) for c in result.changes if c.kind is ChangeKind.ROLES_CHANGED}
    p = scene.prefix
    assert changed == {
        f"{p}01": (("customer_manager", "teller"), ("customer_manager",)),
        f"{p}02": (("teller",), ("lobby_manager", "teller")),
    }
    in_a = await memberships(rt, scene.a, p)
    assert sorted(in_a[f"{p}02"].roles) == ["lobby_manager", "teller"]
    history = [
        e
        for e in await trail(rt, scene.a)
        if e.action == "policy.roles_changed" and e.actor_label.endswith("roles.csv")
    ]
    assert [e.details["after"]["roles"] for e in history] == [["customer_manager"], ["lobby_manager", "teller"]]


async def test_a_person_listed_in_another_branch_moves_and_other_dates_restart_the_membership(rt, scene):
    p, a, b = scene.prefix, scene.a.code, scene.b.code
    header = "employee_number,name,email,phone,branch_code,roles,start_date,end_date\n"
    await run(rt, f"{header}{p}01,李明,,,{a},teller,,\n{p}02,王芳,,,{a},teller,,\n".encode())
    later = (datetime.now(SHANGHAI).date() + timedelta(days=60)).isoformat()

    result = await run(rt, f"{header}{p}01,李明,,,{b},teller,,\n{p}02,王芳,,,{a},teller,,{later}\n".encode())

    assert counts(result) == {"membership_added": 1, "ended": 1, "window_changed": 1, "leaver": 2}
    assert list(await memberships(rt, scene.b, p)) == [f"{p}01"]
    in_a = await memberships(rt, scene.a, p)
    assert list(in_a) == [f"{p}02"] and in_a[f"{p}02"].ends_at is not None
    async with rt.db.session(scene.a.id) as session:
        history = await staffing.membership_history(session, SYSTEM.moved_to(_ref(scene.a)), f"{p}01")
    assert [period.ends_at is not None for period, _ in history] == [True]  # the history stays


def _ref(branch: Any) -> Any:
    from branchdesk.access.principal import BranchRef

    return BranchRef(branch.id, branch.code)


# --- leavers ------------------------------------------------------------------------------------


async def test_leavers_are_reported_and_deactivated_only_when_asked(rt, scene, world):
    leaving = await add_member(rt, scene.a, ["teller"])
    staying_elsewhere = await add_member(rt, scene.a, ["teller"])
    outside = await onboard(
        rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("HC")
    )
    async with rt.db.session(None) as session:
        await staffing.add_membership(session, SYSTEM, staying_elsewhere, ["teller"], branch_code=outside.code)
    heads = (
        f"{scene.head_a},Head A,,,{scene.a.code},branch_head,,\n{scene.head_b},Head B,,,{scene.b.code},branch_head,,\n"
    )
    data = scene.feed("good.csv") + heads.encode()

    reported = await run(rt, data)

    assert sorted(c.employee_number for c in reported.leavers) == sorted([leaving, staying_elsewhere])
    assert {c.kind for c in reported.leavers} == {ChangeKind.LEAVER}
    assert (await staff_numbered(rt, leaving))[leaving].status is StaffStatus.ACTIVE

    applied = await run(rt, data, apply_leavers=True)

    assert [c.employee_number for c in applied.changes if c.kind is ChangeKind.DEACTIVATED] == [leaving]
    assert (await staff_numbered(rt, leaving))[leaving].status is StaffStatus.DISABLED
    # placed in a branch the file does not cover: not leaving the bank, only the covered branch ends
    assert (await staff_numbered(rt, staying_elsewhere))[staying_elsewhere].status is StaffStatus.ACTIVE
    assert staying_elsewhere not in await memberships(rt, scene.a, staying_elsewhere)
    assert staying_elsewhere in await memberships(rt, outside, staying_elsewhere)


async def test_applying_leavers_never_leaves_a_branch_without_its_head(rt, scene):
    result = await run(rt, scene.feed("good.csv"), apply_leavers=True)

    assert {(i.column, i.code.value) for i in result.issues} == {("roles", "LAST_BRANCH_HEAD")}
    assert len(result.issues) == 2 and not result.applied
    assert (await staff_numbered(rt, scene.head_a))[scene.head_a].status is StaffStatus.ACTIVE


# --- encodings ----------------------------------------------------------------------------------


async def test_a_file_with_a_byte_order_mark_loads(rt, scene):
    data = scene.feed("bom.csv")
    assert data.startswith(b"\xef\xbb\xbf")

    result = await run(rt, data)

    assert result.issues == [] and counts(result) == {"created": 2, "membership_added": 2, "leaver": 1}
    assert sorted(await memberships(rt, scene.a, scene.prefix)) == [f"{scene.prefix}01", f"{scene.prefix}02"]


# --- the command --------------------------------------------------------------------------------


def _cli(servers, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BRANCHDESK_DATABASE_URL": servers.admin_url,
        "BRANCHDESK_REDIS_URL": servers.redis_url,
        "BRANCHDESK_DATA_DIR": str(servers.data_dir),
        "COLUMNS": "160",
    }
    command = [str(Path(sys.executable).parent / "branchdesk"), "staff", "import", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)


async def test_the_command_imports_writes_the_report_and_summarises(rt, scene, servers, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(scene.feed("good.csv"))
    bad.write_bytes(scene.feed("bad.csv"))

    dry = await asyncio.to_thread(_cli, servers, str(good), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing written" in dry.stderr and "would be created" in dry.stderr
    assert await staff_numbered(rt, scene.prefix) == {}

    done = await asyncio.to_thread(_cli, servers, str(good))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "good.report.csv").read_text(encoding="utf-8-sig").splitlines() == ["row,column,code,message"]
    assert len(await staff_numbered(rt, scene.prefix)) == 4

    refused = await asyncio.to_thread(_cli, servers, str(bad))
    assert refused.returncode == 1
    assert "10 problems: nothing was written" in refused.stderr
    report = (tmp_path / "bad.report.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(report) == 11 and report[1].startswith("3,employee_number,EMPLOYEE_NUMBER_FORMAT,")
