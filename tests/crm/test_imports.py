"""Importing clients from a core-banking file: a good file loads, a file with bad rows loads nothing and
reports every bad row with its column, the same file again changes nothing, ``skip_invalid`` loads
exactly the good rows, a dry run writes nothing, owners moved by a file keep the portfolio's history,
and another branch's clients are untouched."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from branchdesk.access.unit_of_work import system_work
from branchdesk.crm.imports import layout
from branchdesk.crm.imports import service as imports
from branchdesk.crm.models import Client, ClientAssignment
from branchdesk.platform.audit import AuditEvent
from tests.conftest import SqlCounter, unique_code
from tests.crm.conftest import mobile, resident_id

pytestmark = pytest.mark.external

HEADER = "client_number,name,owner_employee_number,id_type,id_number,phone,address,consents,lifecycle,tags\n"


def line(number: str, owner: str, *, name: str = "王芳", **given: str) -> str:
    values = {
        "id_type": "resident_id",
        "id_number": resident_id(date(1980, 1, 1)),
        "phone": mobile(),
        "address": "北京市朝阳区建国路 1 号",
        "consents": "sms;phone",
        "lifecycle": "active",
        "tags": "vip",
    } | given
    cells = [number, name, owner, *(values[c] for c in HEADER.strip().split(",")[3:])]
    return ",".join(f'"{c}"' for c in cells) + "\n"


def prefix() -> str:
    return f"I{unique_code()}"


async def run(rt, branch, data: str | bytes, **options: Any) -> imports.ImportResult:
    sheet = layout.read_sheet(data.encode() if isinstance(data, str) else data)
    async with system_work(rt.db, "test import", branch.id) as (session, by):
        return await imports.import_clients(session, by, sheet, source="clients.csv", **options)


async def clients_of(rt, branch, number_prefix: str) -> dict[str, Any]:
    async with rt.db.session(branch.id) as session:
        rows = await session.execute(
            select(Client).where(Client.tenant_id == branch.id, Client.client_number.like(number_prefix + "%"))
        )
        return {c.client_number: c for c in rows.scalars()}


async def test_a_good_file_loads_every_client_with_sealed_personal_data(rt, crm_branch):
    p = prefix()
    data = HEADER + line(f"{p}1", crm_branch.cm1) + line(f"{p}2", crm_branch.cm2, name="李娜", tags="")

    result = await run(rt, crm_branch.branch, data)

    assert (result.inserted, result.updated, result.unchanged, result.refused, result.issues) == (2, 0, 0, 0, [])
    loaded = await clients_of(rt, crm_branch.branch, p)
    assert sorted(loaded) == [f"{p}1", f"{p}2"]
    first = loaded[f"{p}1"]
    assert first.birthday == date(1980, 1, 1) and first.lifecycle == "active" and first.tags == ["vip"]
    assert first.consents == ["phone", "sms"] and first.phone_hash and first.address_hash
    assert b"13" not in (first.phone_sealed or b"")[:4] and first.pii_key_id


async def test_a_file_with_bad_rows_loads_nothing_and_reports_every_bad_row_with_its_column(rt, crm_branch):
    p = prefix()
    data = (
        HEADER
        + line(f"{p}1", crm_branch.cm1)
        + line(f"{p}2", crm_branch.cm1, id_number="110105198001011230")  # wrong check character
        + line(f"{p}3", "NOBODY999", phone="12345")  # unknown owner, bad phone
        + line(f"{p}1", crm_branch.cm1)  # the client number again
        + line(f"{p}5", crm_branch.cm1, lifecycle="sleeping", consents="fax")
    )

    result = await run(rt, crm_branch.branch, data)

    assert not result.loaded and result.inserted == 0 and result.refused == 4
    assert [(i.row, i.column, i.code.code) for i in result.issues] == [
        (3, "id_number", "CLIENT_ID_CHECK_DIGIT"),
        (4, "owner_employee_number", "CLIENT_IMPORT_OWNER_UNKNOWN"),
        (4, "phone", "CLIENT_PHONE_FORMAT"),
        (4, "consents", "CLIENT_CONSENT_NEEDS_PHONE"),  # as createClient says: no usable phone on record
        (5, "client_number", "CLIENT_IMPORT_DUPLICATE"),
        (6, "consents", "CLIENT_IMPORT_VALUE"),
        (6, "lifecycle", "CLIENT_IMPORT_VALUE"),
    ]
    assert "expected" in result.issues[0].message() and "row 2" in result.issues[4].message()
    assert await clients_of(rt, crm_branch.branch, p) == {}


async def test_importing_the_same_file_again_changes_nothing(rt, crm_branch):
    p = prefix()
    data = HEADER + "".join(line(f"{p}{i}", crm_branch.cm1) for i in range(5))
    await run(rt, crm_branch.branch, data)
    before = {
        n: (c.updated_at, c.phone_sealed, c.pii_key_id) for n, c in (await clients_of(rt, crm_branch.branch, p)).items()
    }

    again = await run(rt, crm_branch.branch, data)

    assert (again.inserted, again.updated, again.unchanged, again.moved) == (0, 0, 5, 0)
    after = {
        n: (c.updated_at, c.phone_sealed, c.pii_key_id) for n, c in (await clients_of(rt, crm_branch.branch, p)).items()
    }
    assert after == before


async def test_a_changed_row_updates_only_that_client_and_a_new_owner_enters_the_history(rt, crm_branch):
    p = prefix()
    phone = mobile()
    rows = [line(f"{p}1", crm_branch.cm1, phone=phone), line(f"{p}2", crm_branch.cm1, phone=phone)]
    await run(rt, crm_branch.branch, HEADER + "".join(rows))
    before = await clients_of(rt, crm_branch.branch, p)

    changed = HEADER + rows[0].replace(crm_branch.cm1, crm_branch.cm2) + rows[1].replace("vip", "vip;wealth")
    result = await run(rt, crm_branch.branch, changed)

    assert (result.inserted, result.updated, result.unchanged, result.moved) == (0, 2, 0, 1)
    after = await clients_of(rt, crm_branch.branch, p)
    assert after[f"{p}2"].tags == ["vip", "wealth"]
    assert after[f"{p}2"].phone_sealed == before[f"{p}2"].phone_sealed  # unchanged personal data kept as sealed
    async with rt.db.session(crm_branch.branch.id) as session:
        history = (
            await session.execute(
                select(ClientAssignment.from_owner_id, ClientAssignment.to_owner_id, ClientAssignment.reason)
                .where(ClientAssignment.client_id == after[f"{p}1"].id)
                .order_by(ClientAssignment.assigned_at, ClientAssignment.id)
            )
        ).all()
    assert [(h.from_owner_id, h.to_owner_id) for h in history] == [
        (None, before[f"{p}1"].owner_id),
        (before[f"{p}1"].owner_id, after[f"{p}1"].owner_id),
    ]
    assert history[-1].reason == "import clients.csv"


async def test_skip_invalid_loads_exactly_the_good_rows(rt, crm_branch):
    p = prefix()
    data = (
        HEADER
        + line(f"{p}1", crm_branch.cm1)
        + line(f"{p}2", crm_branch.cm1, phone="42", consents="")
        + line(f"{p}3", crm_branch.cm2)
    )

    result = await run(rt, crm_branch.branch, data, skip_invalid=True)

    assert (result.inserted, result.refused, result.loaded) == (2, 1, True)
    assert [(i.row, i.column) for i in result.issues] == [(3, "phone")]
    assert sorted(await clients_of(rt, crm_branch.branch, p)) == [f"{p}1", f"{p}3"]


async def test_a_dry_run_counts_but_writes_nothing(rt, crm_branch):
    p = prefix()
    await run(rt, crm_branch.branch, HEADER + line(f"{p}1", crm_branch.cm1))
    data = HEADER + line(f"{p}1", crm_branch.cm2) + line(f"{p}2", crm_branch.cm1)
    async with rt.db.session(crm_branch.branch.id) as session:
        audits = await session.scalar(select(func.count()).select_from(AuditEvent))

    result = await run(rt, crm_branch.branch, data, dry_run=True)

    assert (result.inserted, result.updated, result.loaded) == (1, 1, False)
    loaded = await clients_of(rt, crm_branch.branch, p)
    assert sorted(loaded) == [f"{p}1"]
    async with rt.db.session(crm_branch.branch.id) as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == audits


async def test_one_audit_record_per_import_with_its_counts(rt, crm_branch):
    p = prefix()
    data = HEADER + "".join(line(f"{p}{i}", crm_branch.cm1) for i in range(3))

    await run(rt, crm_branch.branch, data)

    async with rt.db.session(crm_branch.branch.id) as session:
        events = (
            (
                await session.execute(
                    select(AuditEvent.details)
                    .where(AuditEvent.tenant_id == crm_branch.branch.id, AuditEvent.action == "client.imported")
                    .order_by(AuditEvent.seq.desc())
                    .limit(1)
                )
            )
            .scalars()
            .all()
        )
    assert events[0] | {} == {
        "source": "clients.csv",
        "rows": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "refused": 0,
        "owners_changed": 0,
    }


async def test_another_branchs_clients_with_the_same_numbers_are_untouched(rt, crm_branch, world):
    p = prefix()
    head_a = world.head_a
    await run(rt, world.branch_a, HEADER + line(f"{p}1", head_a, name="甲网点客户"))

    result = await run(rt, crm_branch.branch, HEADER + line(f"{p}1", crm_branch.cm1, name="乙网点客户"))

    assert result.inserted == 1
    assert (await clients_of(rt, world.branch_a, p))[f"{p}1"].name == "甲网点客户"
    assert (await clients_of(rt, crm_branch.branch, p))[f"{p}1"].name == "乙网点客户"


async def test_an_owner_of_another_branch_is_unknown(rt, crm_branch, world):
    result = await run(rt, crm_branch.branch, HEADER + line(f"{prefix()}1", world.head_a))

    assert [(i.column, i.code.code) for i in result.issues] == [
        ("owner_employee_number", "CLIENT_IMPORT_OWNER_UNKNOWN")
    ]


def test_a_file_with_a_bom_and_columns_in_any_order_reads_alike():
    body = "name,client_number,owner_employee_number\n张伟,C1,E1\n"
    plain, with_bom = layout.read_sheet(body.encode()), layout.read_sheet(b"\xef\xbb\xbf" + body.encode())
    assert [(r.row, r.draft.name, r.draft.client_number, r.owner) for r in plain.rows] == [(2, "张伟", "C1", "E1")]
    assert [(r.row, r.draft.name) for r in with_bom.rows] == [(2, "张伟")] and not with_bom.issues


def test_a_file_that_is_not_utf8_or_lacks_a_column_is_refused_as_a_whole():
    assert [i.code.code for i in layout.read_sheet(b"client_number,name\n").issues] == ["CLIENT_IMPORT_COLUMN_MISSING"]
    assert [i.code.code for i in layout.read_sheet("姓名".encode("gbk")).issues] == ["CLIENT_IMPORT_ENCODING"]


# --- the command line ------------------------------------------------------------------------------


@pytest.fixture
def cli(settings, monkeypatch):
    from typer.testing import CliRunner

    from branchdesk.cli import app
    from branchdesk.platform.settings import get_settings

    monkeypatch.setenv("BRANCHDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BRANCHDESK_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("BRANCHDESK_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_the_command_loads_a_file_and_writes_the_report_beside_it(cli, crm_branch, tmp_path):
    p = prefix()
    file = tmp_path / "clients.csv"
    file.write_bytes(
        b"\xef\xbb\xbf" + (HEADER + line(f"{p}1", crm_branch.cm1) + line(f"{p}2", crm_branch.cm2)).encode()
    )

    dry = cli("crm", "import", "clients", str(file), "--branch", crm_branch.code, "--dry-run")
    loaded = cli("crm", "import", "clients", str(file), "--branch", crm_branch.code)
    again = cli("crm", "import", "clients", str(file), "--branch", crm_branch.code)

    assert dry.exit_code == 0 and "would be inserted 2" in dry.output, dry.output
    assert loaded.exit_code == 0 and "inserted 2" in loaded.output, loaded.output
    assert again.exit_code == 0 and "inserted 0, updated 0 (0 to another owner), unchanged 2" in again.output
    assert (tmp_path / "clients.report.csv").read_text(encoding="utf-8-sig") == "row,column,code,message\n"


def test_the_command_refuses_a_file_with_bad_rows_and_lists_them_in_the_report(cli, crm_branch, tmp_path):
    p = prefix()
    file = tmp_path / "feed.csv"
    file.write_text(HEADER + line(f"{p}1", crm_branch.cm1) + line(f"{p}2", crm_branch.cm1, id_number="123", phone="7"))

    refused = cli("crm", "import", "clients", str(file), "--branch", crm_branch.code)
    skipped = cli("crm", "import", "clients", str(file), "--branch", crm_branch.code, "--skip-invalid")
    unknown = cli("crm", "import", "clients", str(file), "--branch", "NOPE99")

    assert refused.exit_code == 1 and "nothing was loaded" in refused.output, refused.output
    report = (tmp_path / "feed.report.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [r.split(",")[:3] for r in report[1:]] == [
        ["3", "id_number", "CLIENT_ID_NUMBER_FORMAT"],
        ["3", "phone", "CLIENT_PHONE_FORMAT"],
        ["3", "consents", "CLIENT_CONSENT_NEEDS_PHONE"],
    ]
    assert skipped.exit_code == 1 and "inserted 1" in skipped.output and "refused 1" in skipped.output
    assert unknown.exit_code == 2 and "no branch NOPE99" in unknown.output


async def test_an_import_runs_the_same_statements_for_5_rows_or_200(rt, crm_branch, sql_counter):
    counts = []
    for size in (5, 200):
        p = prefix()
        sheet = layout.read_sheet((HEADER + "".join(line(f"{p}{i}", crm_branch.cm1) for i in range(size))).encode())
        async with system_work(rt.db, "test import", crm_branch.branch.id) as (session, by):
            with SqlCounter(rt) as counter:  # the COPY goes by the driver: not a statement of the engine
                result = await imports.import_clients(session, by, sheet, source="clients.csv")
            counts.append(counter.count)
        assert result.inserted == size

    assert counts[0] == counts[1] == 8  # owners, the staging table (3), the upsert, the audit record (3)


def test_the_holdings_command_writes_its_report_beside_the_file(cli, crm_branch, tmp_path):
    file = tmp_path / "holdings.csv"
    file.write_text("reference,client_number,product_code,balance\nR1,NOSUCH,NOPRODUCT,12x\n", encoding="utf-8")

    refused = cli("crm", "import", "holdings", str(file), "--branch", crm_branch.code, "--as-of", "2026-11-27")

    assert refused.exit_code == 1 and "nothing was loaded" in refused.output, refused.output
    report = (tmp_path / "holdings.report.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [r.split(",")[:3] for r in report[1:]] == [["2", "balance", "IMPORT_AMOUNT_FORMAT"]]


async def test_a_file_gives_lunar_birthdays_and_refuses_a_bad_one_naming_its_column(rt, crm_branch):
    # given a file with a lunar birthday column: a regular one, a leap month, one left empty, and bad ones
    number = prefix()
    header = "client_number,name,owner_employee_number,lunar_birthday\n"
    good = header + "".join(
        f"{number}{n},王芳,{crm_branch.cm1},{value}\n" for n, value in enumerate(["08-15", "闰4-8", ""])
    )
    # when it loads
    result = await run(rt, crm_branch.branch, good)
    # then each client has the lunar birthday the file gave
    assert result.inserted == 3
    found = await clients_of(rt, crm_branch.branch, number)
    assert [
        (
            found[f"{number}{n}"].lunar_birth_month,
            found[f"{number}{n}"].lunar_birth_day,
            found[f"{number}{n}"].lunar_birth_leap,
        )
        for n in range(3)
    ] == [(8, 15, False), (4, 8, True), (None, None, None)]
    # and a file with a malformed or impossible one loads nothing, naming the column
    bad = header + f"{number}7,王芳,{crm_branch.cm1},八月十五\n{number}8,王芳,{crm_branch.cm1},13-01\n"
    refused = await run(rt, crm_branch.branch, bad)
    assert refused.inserted == 0
    assert sorted((i.row, i.column, i.code.code) for i in refused.issues) == [
        (2, "lunar_birthday", "CLIENT_IMPORT_LUNAR_FORMAT"),
        (3, "lunar_birthday", "CLIENT_LUNAR_MONTH"),
    ]
