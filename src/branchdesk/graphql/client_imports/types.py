"""GraphQL types of client imports: a batch of rows as the core-banking feed sends them, and what
became of it (counts, each refused row's problems, the clients written)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from branchdesk.graphql.crm.types import (
    Client,
    ClientKind,
    ContactChannel,
    Gender,
    IdDocumentType,
    KycStatus,
    LifecycleStage,
    RiskGrade,
)
from branchdesk.graphql.errors import ErrorCode, payload
from branchdesk.graphql.holdings.types import HoldingStatus
from branchdesk.graphql.inputs import text

MAX_ROWS = 1000  # rows per call: a feed sends more in further batches
UNSET: Any = strawberry.UNSET


@strawberry.input(
    description="One client as core banking states it, matched by `clientNumber`. A field no row of the batch "
    "gives is left as it is on known clients; a field some rows give and this one leaves out is empty for it."
)
class ClientImportRow:
    client_number: str = text("The core-banking client number (客户号): the key rows match on.", max_length=40)
    name: str = text("Full name, or the company's registered name.", max_length=200)
    owner_employee_number: str = text(
        "The owning customer manager's employee number (a member of this branch).", max_length=32
    )
    kind: ClientKind | None = strawberry.field(default=UNSET, description="Individual (default) or company.")
    id_type: IdDocumentType | None = strawberry.field(default=UNSET, description="The identity document's kind.")
    id_number: str | None = text(
        "The document's number; a resident ID is checked (GB 11643 check character).", max_length=40, default=UNSET
    )
    phone: str | None = text("An 11-digit mainland mobile, or E.164 (+852…).", max_length=20, default=UNSET)
    address: str | None = text("Address.", max_length=300, default=UNSET)
    birthday: date | None = strawberry.field(default=UNSET, description="Date of birth; from a resident ID if absent.")
    lunar_birthday: str | None = text(
        "The lunar birthday (农历生日) as month-day, a leap month marked 闰: 08-15, 闰04-08. "
        "农历生日，如 08-15、闰04-08。",
        max_length=8,
        default=UNSET,
    )
    gender: Gender | None = strawberry.field(default=UNSET, description="Gender; from a resident ID if absent.")
    occupation: str | None = text("Occupation.", max_length=100, default=UNSET)
    risk_grade: RiskGrade | None = strawberry.field(default=UNSET, description="Risk tolerance, C1 to C5.")
    risk_assessed_on: date | None = strawberry.field(default=UNSET, description="When it was assessed.")
    kyc_status: KycStatus | None = strawberry.field(default=UNSET, description="The KYC check (default pending).")
    kyc_expires_on: date | None = strawberry.field(default=UNSET, description="When the KYC check must be renewed.")
    consents: list[ContactChannel] | None = strawberry.field(
        default=UNSET, description="Channels the client agrees to be contacted on."
    )
    do_not_contact: bool | None = strawberry.field(default=UNSET, description="The client asks not to be contacted.")
    preferred_language: str | None = text("e.g. zh-CN (default), en.", max_length=10, default=UNSET)
    lifecycle: LifecycleStage | None = strawberry.field(default=UNSET, description="Relationship stage.")
    tags: list[str] | None = text("Free tags.", max_length=40, each=True, default=UNSET)
    notes: str | None = text("Free notes.", max_length=2000, default=UNSET)


@strawberry.input(description=f"A batch of clients from the core-banking feed: at most {MAX_ROWS} rows per call.")
class ImportClientsInput:
    rows: list[ClientImportRow] = strawberry.field(
        description=f"The clients, at most {MAX_ROWS}; row errors name each row by its position here (from 0)."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check the rows and count what would change; write nothing."
    )
    skip_invalid: bool = strawberry.field(
        default=False, description="Load the good rows even when some are bad (default: all or nothing)."
    )
    batch: str = text(
        "A name for the batch (the feed's run or file): kept in the audit trail and in the history of each client "
        "given a new owner.",
        max_length=200,
        default="core-banking feed",
    )


@strawberry.type(description="A problem of one row of an import: nothing of that row was loaded.")
class ClientImportRowError:
    row: int = strawberry.field(description="The row's position in `rows`, from 0.")
    field: str = strawberry.field(description="The row's field at fault, e.g. `idNumber`.")
    code: ErrorCode = strawberry.field(description="What went wrong, stable (docs/error-codes.md).")  # type: ignore[valid-type]
    message: str = strawberry.field(description="What went wrong, for people, in the caller's language.")


async def _written(root: ImportClientsPayload, info: Info) -> list[Client]:
    found = await info.context.loaders.client.load_many(root.client_ids)
    return [c for c in found if c is not None]


@payload
class ImportClientsPayload:
    inserted: int = strawberry.field(default=0, description="New clients (in a dry run: that would be).")
    updated: int = strawberry.field(default=0, description="Known clients changed (in a dry run: that would be).")
    unchanged: int = strawberry.field(default=0, description="Rows that match their client already.")
    refused: int = strawberry.field(default=0, description="Rows with a problem: not loaded.")
    owners_changed: int = strawberry.field(default=0, description="Known clients given another owner.")
    loaded: bool = strawberry.field(
        default=False, description="Whether anything was written: false for a dry run or a refused batch."
    )
    row_errors: list[ClientImportRowError] = strawberry.field(
        default_factory=list, description="Every problem of every refused row, by row."
    )
    clients: list[Client] = strawberry.field(
        resolver=_written,
        description="The clients inserted or updated (at most 100, by client number) that you may read.",
    )
    client_ids: strawberry.Private[list[uuid.UUID]] = strawberry.field(default_factory=list)


# --- holdings ------------------------------------------------------------------------------------


@strawberry.input(description="One holding as core banking states it, matched by `reference`.")
class HoldingImportRow:
    reference: str = text("The core-banking account or contract number: the key rows match on.", max_length=60)
    client_number: str = text("The holder's client number (客户号) in this branch.", max_length=40)
    product_code: str = text("A product code of the head-office catalogue.", max_length=40)
    balance: str = text("The balance in the holding's currency, an exact decimal (e.g. `1234.56`).", max_length=30)
    currency: str | None = text("ISO 4217 code; default: the product's currency.", max_length=3, default=None)
    opened_on: date | None = strawberry.field(default=None, description="When it was opened.")
    matures_on: date | None = strawberry.field(default=None, description="When it matures (time deposits, WMPs).")
    status: HoldingStatus | None = strawberry.field(default=None, description="Active (default), matured or closed.")


@strawberry.input(description=f"A batch of holdings from the core-banking feed: at most {MAX_ROWS} rows per call.")
class ImportHoldingsInput:
    rows: list[HoldingImportRow] = strawberry.field(
        description=f"The holdings, at most {MAX_ROWS}; row errors name each row by its position here (from 0)."
    )
    as_of: date = strawberry.field(
        description="The feed's business date: the exchange rates on or before it convert AUM to CNY."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check the rows and count what would change; write nothing."
    )
    skip_invalid: bool = strawberry.field(
        default=False, description="Load the good rows even when some are bad (default: all or nothing)."
    )


@payload
class ImportHoldingsPayload:
    inserted: int = strawberry.field(default=0, description="New holdings (in a dry run: that would be).")
    updated: int = strawberry.field(default=0, description="Known holdings changed (in a dry run: that would be).")
    unchanged: int = strawberry.field(default=0, description="Rows that match their holding already.")
    refused: int = strawberry.field(default=0, description="Rows with a problem: not loaded.")
    clients_changed: int = strawberry.field(default=0, description="Clients whose AUM or last movement changed.")
    loaded: bool = strawberry.field(
        default=False, description="Whether anything was written: false for a dry run or a refused batch."
    )
    row_errors: list[ClientImportRowError] = strawberry.field(
        default_factory=list, description="Every problem of every refused row, by row."
    )
