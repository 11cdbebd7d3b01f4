"""The holdings file's layout, and each row read into a staged record (the feed's staging columns)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from branchdesk.crm import errors
from branchdesk.crm.imports.layout import Issue, read_table

COLUMNS = (
    "reference", "client_number", "product_code", "balance", "currency", "opened_on", "matures_on", "status",
)  # fmt: skip
REQUIRED = ("reference", "client_number", "product_code", "balance")
LIMITS = {"reference": 60, "client_number": 40, "product_code": 40, "currency": 3, "status": 10}
_MAX_BALANCE = Decimal("1e18")  # numeric(20, 2)
# What a file column says in the API's words (row errors of importHoldings name fields like this).
FIELDS = {c: c.split("_")[0] + "".join(p.title() for p in c.split("_")[1:]) for c in COLUMNS}


@dataclass
class HoldingsSheet:
    """Rows read: the staged records of the rows without a problem of their own, and every problem."""

    records: list[tuple[Any, ...]]
    issues: list[Issue]
    total_rows: int


def read_row(row: int, values: dict[str, str], issues: list[Issue]) -> tuple[Any, ...] | None:
    """A row as the feed's staging table takes it (``line`` first), or None when it has a problem."""
    found = len(issues)
    issues.extend(Issue.of(row, c, errors.IMPORT_REQUIRED) for c in REQUIRED if not values.get(c))
    for column, limit in LIMITS.items():
        if len(values.get(column) or "") > limit:
            issues.append(Issue.of(row, column, errors.IMPORT_TOO_LONG, limit=limit))
    balance = _amount(values.get("balance", ""), row, issues)
    opened, matures = _day(values, "opened_on", row, issues), _day(values, "matures_on", row, issues)
    if len(issues) > found:
        return None
    return (
        row, values["reference"], values["client_number"], values["product_code"], balance,
        values.get("currency") or None, opened, matures, values.get("status") or None,
    )  # fmt: skip


def _amount(value: str, row: int, issues: list[Issue]) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or abs(amount) >= _MAX_BALANCE:
        issues.append(Issue.of(row, "balance", errors.IMPORT_AMOUNT_FORMAT, value=value))
        return None
    return amount


def _day(values: dict[str, str], column: str, row: int, issues: list[Issue]) -> date | None:
    value = values.get(column) or ""
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        issues.append(Issue.of(row, column, errors.IMPORT_DATE_FORMAT, value=value))
        return None


def read_sheet(data: bytes) -> HoldingsSheet:
    """Parse a holdings file (UTF-8, with or without a BOM; header names in any order)."""
    table = read_table(data, COLUMNS, REQUIRED)
    issues = table.issues
    records = [r for number, values in table.records if (r := read_row(number, values, issues)) is not None]
    return HoldingsSheet(records, issues, table.total_rows)


def read_batch(batch: list[dict[str, str]]) -> HoldingsSheet:
    """Rows sent through the API (column → text), numbered from 0 as the list's positions."""
    issues: list[Issue] = []
    records = [
        r
        for position, values in enumerate(batch)
        if (r := read_row(position, {c: v.strip() for c, v in values.items()}, issues)) is not None
    ]
    return HoldingsSheet(records, issues, len(batch))
