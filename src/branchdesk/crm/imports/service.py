"""Importing clients: check every row, then load the good ones with one COPY and one upsert.

Each row is checked with the rules ``createClient`` applies (``records.check_draft`` and
``complete_draft``: formats, GB 11643 check characters, phones, consent against do-not-contact), then
against the rest of the file (a client number twice) and the branch (owners by employee number, in one
statement). A file with any bad row loads nothing unless ``skip_invalid``, which loads exactly the good
rows. A dry run checks and counts what would be inserted, updated and left unchanged, in a savepoint it
rolls back. Writing is one staging COPY and one upsert (``repository``); a client whose owner changes
gets an assignment history entry as ``assignClients`` writes one, and the import one audit record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import errors
from branchdesk.crm.imports import repository
from branchdesk.crm.imports.layout import Issue, Row, Sheet, sort_key
from branchdesk.crm.permissions import CLIENT_IMPORT
from branchdesk.crm.records import LUNAR_COLUMNS, check_draft, complete_draft
from branchdesk.crm.rules import phone_search_key
from branchdesk.crm.service import ADDRESS, DRAFT_FIELDS, ID_NUMBER, PHONE
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import data_keys
from branchdesk.platform.ids import new_ids_for_copy
from branchdesk.platform.memory import collector_paused

# (phase, done, total): the CLI draws a progress bar from it; the domain knows no terminal.
Progress = Callable[[str, int, int], None]
CHECKING, SEALING, LOADING = "checking", "sealing", "loading"
_TICK = 5_000  # rows between progress calls
# File columns that are not a column of ``clients`` as they are: the owner is resolved to an id.
# Problems of the file as a whole: nothing can be loaded, whatever ``skip_invalid`` says.
_WHOLE_FILE = frozenset({errors.IMPORT_ENCODING, errors.IMPORT_COLUMN_MISSING})


@dataclass
class ImportResult:
    source: str
    total_rows: int
    issues: list[Issue]
    dry_run: bool
    skip_invalid: bool
    refused: int = 0  # rows with a problem (not loaded)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0  # existing clients given another owner
    loaded: bool = False  # written (not a dry run, and not refused as a whole)
    refused_rows: list[int] = field(default_factory=list)
    written_ids: list[uuid.UUID] = field(default_factory=list)  # up to 100 clients inserted or updated

    @property
    def accepted(self) -> bool:
        """Whether the good rows were (or, in a dry run, would be) loaded."""
        return not self.issues or (self.skip_invalid and not any(i.code in _WHOLE_FILE for i in self.issues))


def stated_columns(columns: frozenset[str]) -> frozenset[str]:
    """The client columns a file or batch states: left out, they stay as they are on known clients."""
    stated = frozenset(c for c in columns if c not in ("owner_employee_number", "lunar_birthday"))
    lunar = frozenset(LUNAR_COLUMNS) if "lunar_birthday" in columns else frozenset()
    return stated | lunar | {"owner_id", "client_number", "name"}


async def import_clients(
    session: AsyncSession,
    by: Principal,
    sheet: Sheet,
    *,
    source: str,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    statement_timeout_s: int | None = None,
) -> ImportResult:
    """Check ``sheet``'s rows and, unless it is a dry run or a row is bad (and not ``skip_invalid``),
    load the good ones into the caller's branch in the caller's transaction. ``statement_timeout_s``: a
    longer statement timeout for this transaction (a command loading a large file; never an API call)."""
    by.require(CLIENT_IMPORT)
    tick = progress or (lambda phase, done, total: None)
    issues = list(sheet.issues)
    with collector_paused():
        checked = _check_rows(sheet.rows, issues, tick)
    owners = await repository.owners_by_number(session, by.branch_id, {r.owner for r, _ in checked if r.owner})
    for row, _ in checked:
        if row.owner and row.owner not in owners:
            issues.append(Issue.of(row.row, "owner_employee_number", errors.IMPORT_OWNER_UNKNOWN, number=row.owner))
    issues.sort(key=sort_key)
    bad = {i.row for i in issues if i.code not in _WHOLE_FILE}
    result = ImportResult(source, sheet.total_rows, issues, dry_run, skip_invalid)
    result.refused_rows = sorted(bad)
    result.refused = len(bad)
    if not result.accepted:
        return result
    good = [(row, state) for row, state in checked if row.row not in bad]
    tick(SEALING, 0, len(good))
    with collector_paused():
        records = _staged(session, good, owners, tick)
    columns = stated_columns(sheet.columns)
    tick(LOADING, 0, 1)
    if statement_timeout_s is not None:
        await repository.allow_long_statements(session, statement_timeout_s)
    if dry_run:
        async with session.begin_nested() as savepoint:
            await _load(session, by, records, columns, source, result)
            await savepoint.rollback()
        result.written_ids = []
    else:
        await _load(session, by, records, columns, source, result)
        result.loaded = True
        await audit.record(
            session,
            by.branch_id,
            by.author,
            "client.imported",
            "client",
            None,
            {
                "source": source,
                "rows": sheet.total_rows,
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "refused": result.refused,
                "owners_changed": result.moved,
            },
        )
    tick(LOADING, 1, 1)
    return result


def _check_rows(rows: Sequence[Row], issues: list[Issue], tick: Progress) -> list[tuple[Row, dict[str, Any]]]:
    """Each row through the client rules, then against the rows before it (a client number twice)."""
    checked: list[tuple[Row, dict[str, Any]]] = []
    first: dict[str, int] = {}
    tick(CHECKING, 0, len(rows))
    for done, row in enumerate(rows, start=1):
        state, found = check_draft(row.draft, DRAFT_FIELDS)
        complete_draft(state, found)
        issues += [Issue.from_error(row.row, problem) for problem in found]
        number = (state.get("client_number") or "").strip()
        if number:
            state["client_number"] = number
            seen = first.setdefault(number, row.row)
            if seen != row.row:
                issues.append(Issue.of(row.row, "client_number", errors.IMPORT_DUPLICATE, number=number, first=seen))
        checked.append((row, state))
        if done % _TICK == 0:
            tick(CHECKING, done, len(rows))
    tick(CHECKING, len(rows), len(rows))
    return checked


def _staged(
    session: AsyncSession, good: list[tuple[Row, dict[str, Any]]], owners: dict[str, Any], tick: Progress
) -> list[tuple[Any, ...]]:
    """The staging table's records: personal data sealed under the current key, with its keyed hashes; in
    client number order, so the upsert's probes and inserts into the unique index go page after page
    (sorting here costs a tenth of what an ORDER BY on the server did, which spilled to disk)."""
    good = sorted(good, key=lambda checked: checked[1]["client_number"])
    ring = data_keys(session)
    key = ring.current
    numbers = [s.get("id_number") for _, s in good]
    phones = [s.get("phone") for _, s in good]
    addresses = [s.get("address") for _, s in good]
    # Column by column: each value sealed and hashed in one batch (the cipher, header and nonces made once)
    sealed = zip(
        ring.seal_many(ID_NUMBER, numbers), ring.digest_many(ID_NUMBER, numbers),
        ring.seal_many(PHONE, phones), ring.digest_many(PHONE, [phone_search_key(p) if p else None for p in phones]),
        ring.seal_many(ADDRESS, addresses), ring.digest_many(ADDRESS, addresses),
        strict=True,
    )  # fmt: skip
    ids = new_ids_for_copy(2 * len(good))
    records: list[tuple[Any, ...]] = [
        (
            row.row, ids[2 * n], ids[2 * n + 1], s["client_number"], s["kind"], s["name"], s["id_type"],
            *pii, key if (number or phone or address) else None,
            s.get("birthday"), s.get("gender"), s["occupation"], s["risk_grade"], s["risk_assessed_on"],
            s["kyc_status"], s["kyc_expires_on"], s["consents"], s["do_not_contact"], s["preferred_language"],
            s["lifecycle"], s["tags"], s["notes"], owners[row.owner],
            s.get("lunar_birth_month"), s.get("lunar_birth_day"), s.get("lunar_birth_leap"),
        )
        for n, ((row, s), pii, number, phone, address) in enumerate(
            zip(good, sealed, numbers, phones, addresses, strict=True)
        )
    ]  # fmt: skip
    tick(SEALING, len(good), len(good))
    return records


async def _load(
    session: AsyncSession,
    by: Principal,
    records: list[tuple[Any, ...]],
    columns: frozenset[str],
    source: str,
    result: ImportResult,
) -> None:
    await repository.stage(session, records)
    written = await repository.upsert(
        session,
        by.branch_id,
        columns,
        author=by.author,
        reason=f"import {source}"[:500],
        now=utcnow(),
        current_key=data_keys(session).current,
    )
    result.inserted, result.updated, result.moved = written.inserted, written.updated, written.moved
    result.written_ids = written.written_ids
    result.unchanged = len(records) - written.inserted - written.updated
