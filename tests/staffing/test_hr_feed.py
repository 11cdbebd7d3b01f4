"""Reading the HR feed, before any database: row numbers as a spreadsheet shows them, headers as people
type them, and the phone, email and date forms the report accepts or refuses."""

from __future__ import annotations

from datetime import date

import pytest

from branchdesk.staffing.hr_import.feed import Code, read_feed

HEADER = "employee_number,name,email,phone,branch_code,roles,start_date,end_date\n"


def issues(text: str) -> list[tuple[int, str, str]]:
    return [(i.row, i.column, i.code.value) for i in read_feed(text.encode()).issues]


def test_rows_keep_their_spreadsheet_numbers_across_blank_lines():
    feed = read_feed((HEADER + "E001,A,,,0101,teller,,\n\n,,,,,,,\nE-2,B,,,0101,teller,,\n").encode())

    assert [r.row for r in feed.rows] == [2]
    assert [(i.row, i.code) for i in feed.issues] == [(5, Code.EMPLOYEE_NUMBER_FORMAT)]


def test_headers_are_read_in_any_order_case_and_spacing():
    feed = read_feed(b'Roles,Branch Code,Name,Employee-Number\n"teller,lobby_manager",0101,A,E001\n')

    assert feed.issues == []
    [row] = feed.rows
    assert (row.employee_number, row.branch_code, row.roles) == ("E001", "0101", ("lobby_manager", "teller"))
    assert (row.email, row.phone, row.start_date, row.end_date) == (None, None, None, None)


def test_a_row_with_more_fields_than_the_header_is_refused():
    assert issues(HEADER + "E001,A,,,0101,teller,,,extra\n") == [(2, "-", "ROW_SHAPE")]


@pytest.mark.parametrize(
    ("phone", "ok"),
    [("13812345678", True), ("+8613812345678", True), ("+14155550123", True), ("12812345678", False),
     ("1381234567", False), ("8613812345678", False), ("+86 138 1234 5678", False), ("021-12345678", False)],
)  # fmt: skip
def test_phones_are_mainland_mobiles_or_e164(phone, ok):
    found = issues(HEADER + f"E001,A,,{phone},0101,teller,,\n")
    assert found == ([] if ok else [(2, "phone", "PHONE_INVALID")])


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [("2026-12-01", "2026-12-01", []), ("2026-2-1", "", [(2, "start_date", "DATE_FORMAT")]),
     ("2026-02-30", "", [(2, "start_date", "DATE_FORMAT")]), ("", "2026-13-01", [(2, "end_date", "DATE_FORMAT")]),
     ("2026-12-02", "2026-12-01", [(2, "end_date", "END_BEFORE_START")])],
)  # fmt: skip
def test_dates_are_iso_days_and_end_after_start(start, end, expected):
    assert issues(HEADER + f"E001,A,,,0101,teller,{start},{end}\n") == expected


def test_every_problem_of_a_row_is_reported_not_only_the_first():
    assert issues(HEADER + "x,,a@b,123,,,2026-01-01,2025-01-01\n") == [
        (2, "employee_number", "EMPLOYEE_NUMBER_FORMAT"),
        (2, "name", "NAME_REQUIRED"),
        (2, "email", "EMAIL_INVALID"),
        (2, "phone", "PHONE_INVALID"),
        (2, "branch_code", "BRANCH_CODE_REQUIRED"),
        (2, "roles", "ROLES_REQUIRED"),
        (2, "end_date", "END_BEFORE_START"),
    ]


def test_a_valid_row_is_normalised():
    [row] = read_feed((HEADER + " E001 , 李明 ,li@bank.example,,0101 ,teller; teller,2026-01-05,\n").encode()).rows
    assert (row.employee_number, row.name, row.branch_code, row.roles, row.start_date) == (
        "E001", "李明", "0101", ("teller",), date(2026, 1, 5)
    )  # fmt: skip
