"""Importing holdings: rows checked in Python, staged by COPY, applied by the holdings feed.

The feed (``holdings.feed.apply_holdings_feed``) checks the staged rows against the branch (client
numbers, products, duplicate references, statuses, currencies and their rates) and refuses them all on
any problem; its problems come back here as report lines. All or nothing unless ``skip_invalid``, which
takes the bad rows out of the staging table and applies the rest (a currency without a rate refuses the
whole file: it concerns every holding in that currency). A dry run does the same in a savepoint it rolls
back, so its counts are the real ones. A ``full`` file is the branch's whole book: holdings it does not
name are closed; it is all or nothing (a skipped row would close its holding).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import errors as crm_errors
from branchdesk.crm.imports.layout import Issue
from branchdesk.holdings import errors as holding_errors
from branchdesk.holdings import feed
from branchdesk.holdings.imports import repository
from branchdesk.holdings.imports.layout import COLUMNS, FIELDS, HoldingsSheet
from branchdesk.holdings.permissions import HOLDING_FEED
from branchdesk.platform.errors import DomainError, InvalidInput

Progress = Callable[[str, int, int], None]
CHECKING, LOADING = "checking", "loading"
_FIELD = re.compile(r"^\[(\d+)\]\.(\w+)$")
_COLUMN = {field_name: column for column, field_name in FIELDS.items()}
# Problems of the file as a whole: nothing is loaded, whatever ``skip_invalid`` says.
_WHOLE_FILE = frozenset({crm_errors.IMPORT_ENCODING, crm_errors.IMPORT_COLUMN_MISSING, holding_errors.MISSING_RATE})


@dataclass
class HoldingsImportResult:
    source: str
    total_rows: int
    issues: list[Issue]
    dry_run: bool
    skip_invalid: bool
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    clients: int = 0  # clients whose AUM or last movement changed
    closed: int = 0  # a full book: holdings it no longer names, closed
    full: bool = False
    refused: int = 0
    loaded: bool = False
    refused_rows: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.issues or (self.skip_invalid and not any(i.code in _WHOLE_FILE for i in self.issues))


def _issue(error: DomainError) -> Issue:
    """A feed problem as a report line: ``[12].clientNumber`` is row 12's client_number; a problem of no
    row (a currency without a rate) is the file's (row 0)."""
    matched = _FIELD.match(error.field or "")
    if matched:
        return Issue(int(matched[1]), _COLUMN.get(matched[2], matched[2]), error.error, tuple(error.params.items()))
    return Issue(0, _COLUMN.get(error.field or "", "-"), error.error, tuple(error.params.items()))


async def import_holdings(
    session: AsyncSession,
    by: Principal,
    sheet: HoldingsSheet,
    *,
    source: str,
    as_of: date,
    dry_run: bool = False,
    skip_invalid: bool = False,
    full: bool = False,
    progress: Progress | None = None,
) -> HoldingsImportResult:
    """Check and, unless refused, apply ``sheet``'s holdings to the caller's branch as of ``as_of`` (the
    feed's business date: the exchange rates on or before it convert AUM). ``full``: the sheet is the whole
    book, and the branch's holdings it does not name are closed (never with ``skip_invalid``)."""
    by.require(HOLDING_FEED)
    if full and skip_invalid:
        raise DomainError(holding_errors.FULL_BOOK_WHOLE, field="skipInvalid")
    tick = progress or (lambda phase, done, total: None)
    result = HoldingsImportResult(source, sheet.total_rows, list(sheet.issues), dry_run, skip_invalid, full=full)
    tick(CHECKING, sheet.total_rows, sheet.total_rows)
    if any(i.code in _WHOLE_FILE for i in sheet.issues):
        return _refused(result)
    # Rows bad on their own refuse the file unless skipped; the feed still checks the others, so that the
    # report names every bad row at once.
    refuse = bool(sheet.issues) and not skip_invalid
    tick(LOADING, 0, 1)
    savepoint = await session.begin_nested()
    try:
        await feed.create_staging(session, by)
        await repository.copy_into_staging(session, sheet.records)
        while True:  # each round takes bad rows out (the feed names up to 200 a round), or refuses
            try:
                fed = await feed.apply_holdings_feed(session, by, as_of, full=full)
                break
            except InvalidInput as exc:
                found = [_issue(e) for e in exc.errors]
                result.issues += found
                if refuse or not result.accepted:
                    await savepoint.rollback()
                    return _refused(result)
                await repository.drop_lines(session, sorted({i.row for i in found}))
        if refuse:
            await savepoint.rollback()
            return _refused(result)
        written = len(sheet.records) - len(_rows_of(result.issues) & _lines(sheet))
        result.inserted, result.updated, result.clients, result.closed = (
            fed.inserted,
            fed.updated,
            fed.clients,
            fed.closed,
        )
        result.unchanged = written - fed.inserted - fed.updated
        if dry_run:
            await savepoint.rollback()
        else:
            await savepoint.commit()
            result.loaded = True
    except BaseException:
        if savepoint.is_active:
            await savepoint.rollback()
        raise
    tick(LOADING, 1, 1)
    return _refused(result)


def _rows_of(issues: list[Issue]) -> set[int]:
    return {i.row for i in issues if i.code not in _WHOLE_FILE}


def _lines(sheet: HoldingsSheet) -> set[int]:
    return {int(record[0]) for record in sheet.records}


def _refused(result: HoldingsImportResult) -> HoldingsImportResult:
    result.issues.sort(key=lambda i: (i.row, COLUMNS.index(i.column) if i.column in COLUMNS else -1))
    result.refused_rows = sorted(_rows_of(result.issues))
    result.refused = len(result.refused_rows)
    return result
