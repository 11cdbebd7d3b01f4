from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.crm import errors
from branchdesk.crm.imports import layout
from branchdesk.crm.imports import service as imports
from branchdesk.crm.permissions import CLIENT_IMPORT
from branchdesk.graphql import permissions as p
from branchdesk.graphql.client_imports.types import (
    MAX_ROWS,
    UNSET,
    ClientImportRow,
    ClientImportRowError,
    ImportClientsInput,
    ImportClientsPayload,
    ImportHoldingsInput,
    ImportHoldingsPayload,
)
from branchdesk.graphql.errors import UserError, mutate
from branchdesk.holdings.imports import layout as holdings_layout
from branchdesk.holdings.imports import service as holdings_imports
from branchdesk.holdings.permissions import HOLDING_FEED
from branchdesk.platform.errors import DomainError


def _camel(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.title() for part in rest)


def _text(value: Any) -> str:
    """A row's value as the file would hold it: the one reading of rows applies to both."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(_text(v) for v in value)
    return str(value)


def read_rows(rows: list[ClientImportRow]) -> layout.Sheet:
    batch = [{c: _text(v) for c in layout.COLUMNS if (v := getattr(row, c, UNSET)) is not UNSET} for row in rows]
    sheet = layout.read_batch(batch)
    for row, given in zip(sheet.rows, rows, strict=True):
        if isinstance(given.tags, list):  # a tag may hold a separator: kept whole, as createClient keeps it
            row.draft.tags = [t.strip() for t in given.tags if t.strip()]
    return sheet


@strawberry.type
class Mutations:
    @p.mutation(
        CLIENT_IMPORT,
        f"Create and update clients of the active branch from the core-banking feed, matched by client number, in "
        f"batches of at most {MAX_ROWS} rows: all or nothing unless `skipInvalid`. Sending the same rows again "
        "changes nothing. Every row is checked as `createClient` checks a client.",
    )
    async def import_clients(self, info: Info, input: ImportClientsInput) -> ImportClientsPayload:
        locale = info.context.locale

        async def load(session: AsyncSession, by: Principal) -> dict[str, object]:
            if len(input.rows) > MAX_ROWS:
                raise DomainError(errors.IMPORT_TOO_MANY_ROWS, field="rows", limit=MAX_ROWS)
            sheet = read_rows(input.rows)
            result = await imports.import_clients(
                session, by, sheet, source=input.batch.strip() or "core-banking feed",
                dry_run=input.dry_run, skip_invalid=input.skip_invalid,
            )  # fmt: skip
            refusal = []
            if not result.accepted:
                error = DomainError(errors.IMPORT_REFUSED, field="rows", count=result.refused)
                refusal.append(UserError(code=error.code, field=error.field, message=error.message(locale)))
            return {
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "refused": result.refused,
                "owners_changed": result.moved,
                "loaded": result.loaded,
                "row_errors": [
                    ClientImportRowError(row=i.row, field=_camel(i.column), code=i.code.code, message=i.message(locale))
                    for i in result.issues
                ],
                "client_ids": result.written_ids,
                "errors": refusal,
            }

        return await mutate(info, ImportClientsPayload, load)

    @p.mutation(
        HOLDING_FEED,
        f"Create and update holdings of the active branch's clients from the core-banking feed, matched by "
        f"reference, in batches of at most {MAX_ROWS} rows, and keep each client's AUM current: all or nothing "
        "unless `skipInvalid` (a currency without a rate on or before `asOf` refuses the batch). Sending the same "
        "rows again changes nothing.",
    )
    async def import_holdings(self, info: Info, input: ImportHoldingsInput) -> ImportHoldingsPayload:
        locale = info.context.locale

        async def load(session: AsyncSession, by: Principal) -> dict[str, object]:
            if len(input.rows) > MAX_ROWS:
                raise DomainError(errors.IMPORT_TOO_MANY_ROWS, field="rows", limit=MAX_ROWS)
            sheet = holdings_layout.read_batch(
                [{c: _text(getattr(row, c)) for c in holdings_layout.COLUMNS} for row in input.rows]
            )
            result = await holdings_imports.import_holdings(
                session, by, sheet, source="core-banking feed", as_of=input.as_of,
                dry_run=input.dry_run, skip_invalid=input.skip_invalid,
            )  # fmt: skip
            problems, refusal = [], []
            for issue in result.issues:
                if issue.row in result.refused_rows:
                    field_name = holdings_layout.FIELDS.get(issue.column, issue.column)
                    problems.append(
                        ClientImportRowError(
                            row=issue.row, field=field_name, code=issue.code.code, message=issue.message(locale)
                        )
                    )
                else:  # the batch as a whole (a currency without a rate)
                    refusal.append(UserError(code=issue.code.code, field="rows", message=issue.message(locale)))
            if not result.accepted and not refusal:
                error = DomainError(errors.IMPORT_REFUSED, field="rows", count=result.refused)
                refusal.append(UserError(code=error.code, field=error.field, message=error.message(locale)))
            return {
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "refused": result.refused,
                "clients_changed": result.clients,
                "loaded": result.loaded,
                "row_errors": problems,
                "errors": refusal,
            }

        return await mutate(info, ImportHoldingsPayload, load)
