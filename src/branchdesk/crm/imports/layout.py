"""The client file's layout and each row read into a draft: a column's text into the value the client
rules take (an enum, a date, a list), with a problem named by its column when it cannot be.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first client row 2. A GraphQL
batch numbers its rows from 0, as the list's positions.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from branchdesk.crm import errors
from branchdesk.crm.rules import (
    ClientKind,
    ContactChannel,
    Gender,
    IdDocumentType,
    KycStatus,
    LifecycleStage,
    RiskGrade,
)
from branchdesk.crm.service import ClientDraft
from branchdesk.platform.errors import DomainError, ErrorCode
from branchdesk.platform.lunar import LunarBirthday
from branchdesk.platform.memory import collector_paused

# The file's columns, in the order a report sorts them; ``owner_employee_number`` names the owner.
COLUMNS = (
    "client_number", "name", "owner_employee_number", "kind", "id_type", "id_number", "phone", "address",
    "birthday", "lunar_birthday", "gender", "occupation", "risk_grade", "risk_assessed_on", "kyc_status",
    "kyc_expires_on", "consents", "do_not_contact", "preferred_language", "lifecycle", "tags", "notes",
)  # fmt: skip
REQUIRED = ("client_number", "name", "owner_employee_number")
# Longest value of each text column (the column's size, as createClient's inputs state it).
LIMITS = {
    "client_number": 40, "name": 200, "owner_employee_number": 32, "id_number": 40, "phone": 20,
    "address": 300, "occupation": 100, "preferred_language": 10, "notes": 2000,
}  # fmt: skip
TAG_LIMIT = 40
ENUMS: dict[str, type[enum.StrEnum]] = {
    "kind": ClientKind,
    "id_type": IdDocumentType,
    "gender": Gender,
    "risk_grade": RiskGrade,
    "kyc_status": KycStatus,
    "lifecycle": LifecycleStage,
}
DATES = ("birthday", "risk_assessed_on", "kyc_expires_on")
_LISTS = re.compile(r"[;,|]")
_TRUE, _FALSE = frozenset({"true", "yes", "y", "1", "是"}), frozenset({"false", "no", "n", "0", "否", ""})
# The API's field names (the client rules name fields as the API does) and the file's columns.
_CAMEL = {
    "idNumber": "id_number",
    "clientNumber": "client_number",
    "ownerId": "owner_employee_number",
    **dict.fromkeys(("lunarBirthday.month", "lunarBirthday.day", "lunarBirthday.isLeapMonth"), "lunar_birthday"),
}
# A lunar birthday as a file writes it: month-day, a leap month marked 闰 (08-15, 8-15, 闰04-08)
_LUNAR = re.compile(r"^(闰)?\s*(\d{1,2})-(\d{1,2})$")


def column_of(field: str | None) -> str:
    """The file's column for a field a client rule names (``idNumber`` → ``id_number``)."""
    if not field:
        return "-"
    return _CAMEL.get(field) or re.sub(r"(?<!^)([A-Z])", r"_\1", field).lower()


@dataclass(frozen=True)
class Issue:
    """One line of the validation report. ``row`` 0: the file as a whole."""

    row: int
    column: str
    code: ErrorCode
    params: tuple[tuple[str, Any], ...] = ()

    def message(self, locale: str = "en") -> str:
        return self.code.render(locale, **dict(self.params))

    @classmethod
    def of(cls, row: int, at: str, code: ErrorCode, /, **params: Any) -> Issue:
        return cls(row, at, code, tuple(params.items()))

    @classmethod
    def from_error(cls, row: int, error: DomainError) -> Issue:
        return cls(row, column_of(error.field), error.error, tuple(error.params.items()))


@dataclass
class Row:
    """One client as a file or batch states it, read into a draft; ``owner`` is an employee number."""

    row: int
    draft: ClientDraft
    owner: str


@dataclass
class Sheet:
    """A file read: the columns its header names, the rows that could be read, every problem so far."""

    columns: frozenset[str]
    rows: list[Row]
    issues: list[Issue]
    total_rows: int


def read_row(row: int, values: dict[str, str], issues: list[Issue]) -> Row:
    """A row's texts (column → stripped text, only the columns given) as a draft; problems appended."""
    draft = ClientDraft()
    for column, value in values.items():
        limit = LIMITS.get(column)
        if limit is not None and len(value) > limit:
            issues.append(Issue.of(row, column, errors.IMPORT_TOO_LONG, limit=limit))
        _READERS[column](draft, value, row, column, issues)
    issues.extend(Issue.of(row, c, errors.IMPORT_REQUIRED) for c in REQUIRED if not values.get(c))
    return Row(row, draft, values.get("owner_employee_number", ""))


Reader = Callable[[ClientDraft, str, int, str, list[Issue]], None]


def _aliases(kind: type[enum.StrEnum]) -> dict[str, Any]:
    """A value as a file may write it: ``resident_id``, ``RESIDENT_ID``, ``c3`` or ``C3``."""
    found: dict[str, Any] = {}
    for member in kind:
        for alias in (member.value, member.value.lower(), member.value.upper(), member.name, member.name.lower()):
            found.setdefault(alias, member)
    return found


def _enum_reader(kind: type[enum.StrEnum], *, empty_clears: bool) -> Reader:
    known, allowed = _aliases(kind), ", ".join(m.value for m in kind)

    def read(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
        if not value:
            if empty_clears:
                setattr(draft, column, None)
            return  # a required value (kind, KYC status, stage) keeps its default
        member = known.get(value) or known.get(value.lower())
        if member is None:
            issues.append(Issue.of(row, column, errors.IMPORT_NOT_ALLOWED_VALUE, value=value, allowed=allowed))
        else:
            setattr(draft, column, member)

    return read


_CHANNELS, _CHANNELS_ALLOWED = _aliases(ContactChannel), ", ".join(c.value for c in ContactChannel)


def _consents(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    draft.consents = []
    for part in _LISTS.split(value) if value else ():
        text = part.strip()
        if not text:
            continue
        channel = _CHANNELS.get(text) or _CHANNELS.get(text.lower())
        if channel is None:
            allowed = _CHANNELS_ALLOWED
            issues.append(Issue.of(row, column, errors.IMPORT_NOT_ALLOWED_VALUE, value=text, allowed=allowed))
        else:
            draft.consents.append(channel)


def _tags(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    draft.tags = [t.strip() for t in _LISTS.split(value) if t.strip()] if value else []
    if any(len(t) > TAG_LIMIT for t in draft.tags):
        issues.append(Issue.of(row, column, errors.IMPORT_TOO_LONG, limit=TAG_LIMIT))


def _flag(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    lowered = value.lower()
    if lowered not in _TRUE and lowered not in _FALSE:
        issues.append(Issue.of(row, column, errors.IMPORT_NOT_ALLOWED_VALUE, value=value, allowed="true, false"))
    draft.do_not_contact = lowered in _TRUE


def _day(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    setattr(draft, column, _date(value, row, column, issues))


def _lunar_birthday(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    """Empty clears it; the ranges and the year of birth are checked by the client rules."""
    found = _LUNAR.match(value)
    if value and found is None:
        issues.append(Issue.of(row, column, errors.IMPORT_LUNAR_FORMAT, value=value))
    draft.lunar_birthday = (
        LunarBirthday(int(found.group(2)), int(found.group(3)), found.group(1) is not None) if found else None
    )


def _text(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    setattr(draft, column, value)


def _optional_text(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    setattr(draft, column, value or None)


def _language(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    draft.preferred_language = value or "zh-CN"


def _owner(draft: ClientDraft, value: str, row: int, column: str, issues: list[Issue]) -> None:
    """Resolved against the branch's members later, with every other row's owner at once."""


# How each column's text is read into the draft, built once.
_READERS: dict[str, Reader] = {
    "client_number": _text,
    "name": _text,
    "owner_employee_number": _owner,
    **{c: _enum_reader(k, empty_clears=c in ("id_type", "gender", "risk_grade")) for c, k in ENUMS.items()},
    **dict.fromkeys(DATES, _day),
    "lunar_birthday": _lunar_birthday,
    "consents": _consents,
    "tags": _tags,
    "do_not_contact": _flag,
    "preferred_language": _language,
    **dict.fromkeys(("id_number", "phone", "address", "occupation", "notes"), _optional_text),
}
assert set(_READERS) == set(COLUMNS)


def _date(value: str, row: int, column: str, issues: list[Issue]) -> date | None:
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        issues.append(Issue.of(row, column, errors.IMPORT_DATE_FORMAT, value=value))
        return None


@dataclass
class Table:
    """A CSV file read: the known columns its header names, each data row's texts by column (with its row
    number), the problems of the file as a whole or of a row's shape, and how many data rows it has."""

    columns: frozenset[str]
    records: list[tuple[int, dict[str, str]]]
    issues: list[Issue]
    total_rows: int


def read_table(data: bytes, columns: tuple[str, ...], required: tuple[str, ...]) -> Table:
    """Parse a CSV file (UTF-8, with or without the BOM Excel writes) whose header names ``columns`` in
    any order (``required`` ones at least; unknown ones are ignored)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Table(frozenset(), [], [Issue.of(0, "-", errors.IMPORT_ENCODING, position=exc.start + 1)], 0)
    header: list[str] | None = None
    issues: list[Issue] = []
    records: list[tuple[int, dict[str, str]]] = []
    total = 0
    index: dict[str, int] = {}
    for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if not any(v.strip() for v in record):
            continue  # blank lines keep the spreadsheet's numbering
        if header is None:
            header = record
            for position, name in enumerate(record):
                index.setdefault(re.sub(r"[\s-]+", "_", name.strip().lower()), position)
            index = {c: i for c, i in index.items() if c in columns}
            missing = [c for c in required if c not in index]
            if missing:
                issues += [Issue.of(number, c, errors.IMPORT_COLUMN_MISSING, column=c) for c in missing]
                return Table(frozenset(index), [], issues, 0)
            continue
        total += 1
        if len(record) > len(header):
            issues.append(Issue.of(number, "-", errors.IMPORT_ROW_SHAPE, found=len(record), expected=len(header)))
            continue
        width = len(record)
        records.append((number, {c: record[i].strip() if i < width else "" for c, i in index.items()}))
    if header is None:
        issues += [Issue.of(1, c, errors.IMPORT_COLUMN_MISSING, column=c) for c in required]
    return Table(frozenset(index), records, issues, total)


def read_sheet(data: bytes) -> Sheet:
    """Parse a client file: its rows, and every problem a row has on its own."""
    with collector_paused():
        table = read_table(data, COLUMNS, REQUIRED)
        issues = table.issues
        rows = [read_row(number, values, issues) for number, values in table.records]
    return Sheet(table.columns, rows, issues, table.total_rows)


def read_batch(batch: list[dict[str, str]]) -> Sheet:
    """Rows sent through the API (column → text), numbered from 0 as the list's positions. The batch
    states the columns any of its rows gives; a row that leaves one out gives it empty."""
    columns = frozenset(c for values in batch for c in values if c in COLUMNS)
    issues: list[Issue] = []
    with collector_paused():
        rows = [
            read_row(position, {c: values.get(c, "").strip() for c in columns}, issues)
            for position, values in enumerate(batch)
        ]
    return Sheet(columns, rows, issues, len(batch))


def report_csv(issues: list[Issue], locale: str = "en", columns: tuple[str, ...] = COLUMNS) -> str:
    """The validation report: one line per problem, by row and then by the file's ``columns`` in order
    (UTF-8 with a BOM so that Excel reads it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "code", "message"])
    for issue in sorted(issues, key=lambda i: sort_key(i, columns)):
        writer.writerow([issue.row, issue.column, issue.code.code, issue.message(locale)])
    return "\ufeff" + out.getvalue()


def sort_key(issue: Issue, columns: tuple[str, ...] = COLUMNS) -> tuple[int, int]:
    return issue.row, columns.index(issue.column) if issue.column in columns else -1
