"""The HR feed file: reading it (UTF-8, with or without the BOM Excel writes) and checking each row on
its own, before anything is compared with the database.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first person row 2.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from dataclasses import dataclass, field
from datetime import date

from branchdesk.access.registry import ROLES

COLUMNS = ("employee_number", "name", "email", "phone", "branch_code", "roles", "start_date", "end_date")
REQUIRED_COLUMNS = frozenset(COLUMNS) - {"email", "phone", "start_date", "end_date"}

_EMPLOYEE_NUMBER = re.compile(r"^[0-9A-Za-z]{3,32}$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_MAINLAND_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ROLE_SEPARATORS = re.compile(r"[;,]")


class Code(enum.StrEnum):
    """What a report line is about; each names the column at fault."""

    ENCODING = "ENCODING"
    MISSING_COLUMN = "MISSING_COLUMN"
    ROW_SHAPE = "ROW_SHAPE"
    EMPLOYEE_NUMBER_FORMAT = "EMPLOYEE_NUMBER_FORMAT"
    NAME_REQUIRED = "NAME_REQUIRED"
    NAME_TOO_LONG = "NAME_TOO_LONG"
    EMAIL_INVALID = "EMAIL_INVALID"
    PHONE_INVALID = "PHONE_INVALID"
    BRANCH_CODE_REQUIRED = "BRANCH_CODE_REQUIRED"
    BRANCH_UNKNOWN = "BRANCH_UNKNOWN"
    ROLES_REQUIRED = "ROLES_REQUIRED"
    ROLE_UNKNOWN = "ROLE_UNKNOWN"
    HEAD_OFFICE_ROLE = "HEAD_OFFICE_ROLE"
    DATE_FORMAT = "DATE_FORMAT"
    END_BEFORE_START = "END_BEFORE_START"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    PERSON_INCONSISTENT = "PERSON_INCONSISTENT"
    STAFF_DEACTIVATED = "STAFF_DEACTIVATED"
    LAST_BRANCH_HEAD = "LAST_BRANCH_HEAD"


@dataclass(frozen=True)
class Issue:
    """One line of the validation report. ``row`` 0: the file as a whole."""

    row: int
    column: str
    code: Code
    message: str


@dataclass(frozen=True)
class FeedRow:
    """A person's membership of one branch, as the file states it (checked, normalised)."""

    row: int
    employee_number: str
    name: str
    email: str | None
    phone: str | None
    branch_code: str
    roles: tuple[str, ...]
    start_date: date | None
    end_date: date | None


@dataclass
class Feed:
    rows: list[FeedRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    total_rows: int = 0  # data rows in the file, valid or not
    # Of every row, valid or not, so that checks against the database report each bad row in full.
    branch_codes: dict[int, str] = field(default_factory=dict)
    employee_numbers: dict[int, str] = field(default_factory=dict)


def _decode(data: bytes) -> tuple[str | None, Issue | None]:
    try:
        return data.decode("utf-8-sig"), None  # utf-8-sig: a leading BOM is dropped, none is needed
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"The file is not UTF-8 (byte {exc.start + 1}, line {line}); save it as CSV UTF-8."
        return None, Issue(line, "-", Code.ENCODING, message)


def _header(names: list[str]) -> tuple[dict[str, int], list[Issue]]:
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        key = re.sub(r"[\s-]+", "_", name.strip().lower())
        index.setdefault(key, position)
    missing = [c for c in COLUMNS if c in REQUIRED_COLUMNS and c not in index]
    issues = [Issue(1, c, Code.MISSING_COLUMN, f"The header has no {c} column.") for c in missing]
    return index, issues


def _date(value: str, row: int, column: str, issues: list[Issue]) -> date | None:
    if not value:
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        issues.append(Issue(row, column, Code.DATE_FORMAT, f"{value!r} is not a date written YYYY-MM-DD."))
        return None


def check_row(row: int, values: dict[str, str]) -> tuple[FeedRow | None, list[Issue]]:
    """One row on its own: every problem it has, each with its column; the row when it has none."""
    issues: list[Issue] = []
    number, name = values["employee_number"], values["name"]
    email, phone = values.get("email") or None, values.get("phone") or None
    if not _EMPLOYEE_NUMBER.match(number):
        issues.append(
            Issue(row, "employee_number", Code.EMPLOYEE_NUMBER_FORMAT, "3 to 32 letters or digits, e.g. E0101001.")
        )
    if not name:
        issues.append(Issue(row, "name", Code.NAME_REQUIRED, "A name is required."))
    elif len(name) > 100:
        issues.append(Issue(row, "name", Code.NAME_TOO_LONG, "A name has at most 100 characters."))
    if email is not None and not (_EMAIL.match(email) and len(email) <= 254):
        issues.append(Issue(row, "email", Code.EMAIL_INVALID, f"{email!r} is not an email address."))
    if phone is not None and not (_MAINLAND_MOBILE.match(phone) or _E164.match(phone)):
        issues.append(
            Issue(
                row,
                "phone",
                Code.PHONE_INVALID,
                f"{phone!r} is neither an 11-digit mainland mobile number nor E.164 (+8613812345678).",
            )
        )
    branch_code = values["branch_code"].upper()
    if not branch_code:
        issues.append(Issue(row, "branch_code", Code.BRANCH_CODE_REQUIRED, "A branch code is required."))
    roles = tuple(sorted({r.strip() for r in _ROLE_SEPARATORS.split(values["roles"]) if r.strip()}))
    if not roles:
        issues.append(Issue(row, "roles", Code.ROLES_REQUIRED, "At least one role, e.g. customer_manager;teller."))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        known = ", ".join(sorted(ROLES))
        issues.append(Issue(row, "roles", Code.ROLE_UNKNOWN, f"Unknown role {', '.join(unknown)} (known: {known})."))
    starts = _date(values.get("start_date", ""), row, "start_date", issues)
    ends = _date(values.get("end_date", ""), row, "end_date", issues)
    if starts is not None and ends is not None and ends < starts:
        issues.append(Issue(row, "end_date", Code.END_BEFORE_START, f"Ends {ends} before it starts ({starts})."))
    if issues:
        return None, issues
    return FeedRow(row, number, name, email, phone, branch_code, roles, starts, ends), []


def _across_rows(rows: list[FeedRow]) -> tuple[list[FeedRow], list[Issue]]:
    """Rows that agree with each other: one per person and branch, one name, email and phone per person."""
    issues: list[Issue] = []
    kept: list[FeedRow] = []
    seen: dict[tuple[str, str], int] = {}
    person: dict[str, FeedRow] = {}
    for feed_row in rows:
        key = (feed_row.employee_number, feed_row.branch_code)
        if key in seen:
            message = f"{feed_row.employee_number} in {feed_row.branch_code} is already on row {seen[key]}."
            issues.append(Issue(feed_row.row, "branch_code", Code.DUPLICATE_ROW, message))
            continue
        seen[key] = feed_row.row
        first = person.setdefault(feed_row.employee_number, feed_row)
        differing = [c for c in ("name", "email", "phone") if getattr(first, c) != getattr(feed_row, c)]
        for column in differing:
            message = f"{feed_row.employee_number} has another {column} on row {first.row}."
            issues.append(Issue(feed_row.row, column, Code.PERSON_INCONSISTENT, message))
        if not differing:
            kept.append(feed_row)
    return kept, issues


def read_feed(data: bytes) -> Feed:
    """Parse and check the file; ``issues`` lists every problem found, ``rows`` the rows without one."""
    text, problem = _decode(data)
    if text is None:
        return Feed(issues=[problem] if problem else [])
    # Numbered before blank rows are skipped, so that numbers stay those of the spreadsheet.
    records = [
        (number, record)
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if any(v.strip() for v in record)
    ]
    if not records:
        return Feed(issues=[Issue(1, c, Code.MISSING_COLUMN, "The file is empty.") for c in sorted(REQUIRED_COLUMNS)])
    header_row, header = records[0]
    index, issues = _header(header)
    issues = [Issue(header_row, i.column, i.code, i.message) for i in issues]
    feed = Feed(issues=issues, total_rows=len(records) - 1)
    if issues:
        return feed
    checked: list[FeedRow] = []
    for number, record in records[1:]:
        if len(record) > len(header):
            message = f"{len(record)} fields where the header has {len(header)}; quote values with commas."
            feed.issues.append(Issue(number, "-", Code.ROW_SHAPE, message))
            continue
        values = {c: record[i].strip() if i < len(record) else "" for c, i in index.items() if c in COLUMNS}
        values |= {c: "" for c in COLUMNS if c not in values}
        if values["branch_code"]:
            feed.branch_codes[number] = values["branch_code"].upper()
        feed.employee_numbers[number] = values["employee_number"]
        feed_row, row_issues = check_row(number, values)
        feed.issues += row_issues
        if feed_row is not None:
            checked.append(feed_row)
    feed.rows, across = _across_rows(checked)
    feed.issues += across
    return feed


def report_csv(issues: list[Issue]) -> str:
    """The validation report: one line per problem, in row order (UTF-8 with a BOM so Excel reads it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "code", "message"])
    for issue in sorted(issues, key=lambda i: (i.row, COLUMNS.index(i.column) if i.column in COLUMNS else -1)):
        writer.writerow([issue.row, issue.column, issue.code.value, issue.message])
    return "\ufeff" + out.getvalue()
