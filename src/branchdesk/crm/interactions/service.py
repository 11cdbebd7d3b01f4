"""Logging and reading interactions on a client's timeline.

Logging applies the caller's ``interaction:log`` scope and reading the ``client:read`` scope, through
the clients' own scope rule (``crm.service.reader`` and ``crm.repository.in_scope``): a client outside
it is not found, like a client of another branch. Logging moves the client's ``last_contact_at`` in the
same transaction (segmentation and dormancy filter on it).

Products discussed are free product codes for now: the product catalogue comes later, and will check them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import errors
from branchdesk.crm import repository as clients
from branchdesk.crm.interactions import repository
from branchdesk.crm.models import Interaction
from branchdesk.crm.permissions import CLIENT_READ, INTERACTION_LOG
from branchdesk.crm.rules import InteractionChannel, InteractionKind
from branchdesk.crm.service import reader
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Page, PageRequest, keyset_each

SUMMARY_MAX, OUTCOME_MAX, NEXT_STEP_MAX, PRODUCT_MAX = 2000, 500, 500, 40
CLOCK_SKEW = timedelta(minutes=5)  # a device's clock a little ahead is not "the future"
# Newest first; ties (two logged for the same minute) by id.
TIMELINE_ORDER = (Interaction.occurred_at, Interaction.id)


@dataclass(frozen=True)
class InteractionEntry:
    id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    channel: str
    occurred_at: datetime
    logged_by_id: uuid.UUID
    logged_at: datetime
    summary: str
    outcome: str | None
    next_step: str | None
    next_step_on: date | None
    products: list[str]

    @classmethod
    def of(cls, row: Any) -> InteractionEntry:
        m = row._mapping
        return cls(**{name: m[name] for name in cls.__dataclass_fields__})


@dataclass
class InteractionDraft:
    client_id: uuid.UUID
    kind: InteractionKind
    channel: InteractionChannel
    occurred_at: datetime
    summary: str
    outcome: str | None = None
    next_step: str | None = None
    next_step_on: date | None = None
    products: list[str] = field(default_factory=list)


def _text(value: str | None, name: str, limit: int, problems: list[DomainError]) -> str | None:
    cleaned = value.strip() if value else None
    if cleaned and len(cleaned) > limit:
        problems.append(DomainError(errors.INTERACTION_TEXT_TOO_LONG, field=name, limit=limit))
    return cleaned or None


def check(draft: InteractionDraft, now: datetime) -> tuple[dict[str, Any], list[DomainError]]:
    """The columns a draft sets, with every problem found (named by the API's field names)."""
    problems: list[DomainError] = []
    summary = _text(draft.summary, "summary", SUMMARY_MAX, problems)
    if summary is None:
        problems.append(DomainError(errors.INTERACTION_SUMMARY_EMPTY, field="summary"))
    if draft.occurred_at > now + CLOCK_SKEW:
        problems.append(DomainError(errors.INTERACTION_IN_FUTURE, field="occurredAt"))
    products = sorted({p.strip().upper() for p in draft.products if p.strip()})
    if any(len(p) > PRODUCT_MAX for p in products):
        problems.append(DomainError(errors.INTERACTION_TEXT_TOO_LONG, field="products", limit=PRODUCT_MAX))
    return {
        "kind": draft.kind.value,
        "channel": draft.channel.value,
        "occurred_at": draft.occurred_at,
        "summary": summary,
        "outcome": _text(draft.outcome, "outcome", OUTCOME_MAX, problems),
        "next_step": _text(draft.next_step, "nextStep", NEXT_STEP_MAX, problems),
        "next_step_on": draft.next_step_on,
        "products": products,
    }, problems


async def log_interaction(session: AsyncSession, by: Principal, draft: InteractionDraft) -> InteractionEntry:
    """Log an interaction on a client in the caller's ``interaction:log`` scope (else not found), logged
    by the caller; audited; the client's last contact moves forward."""
    scope = reader(by, INTERACTION_LOG)
    if not await clients.in_scope_ids(session, by.branch_id, scope, [draft.client_id]):
        raise NotFound("Client", "客户", field="clientId")
    return await log_for_work(session, by, draft)


async def log_for_work(session: AsyncSession, by: Principal, draft: InteractionDraft) -> InteractionEntry:
    """Log an interaction done for work the caller was given on the client (a care follow-up assigned to
    them, perhaps as a cover from another branch): the calling domain has checked that the work is
    theirs, so their own client scope is not asked. Checked, audited and noted as contact like any."""
    if by.staff_id is None:
        raise NotFound("Staff member", "员工", field="clientId")  # the system logs nobody's contact
    now = utcnow()
    values, problems = check(draft, now)
    if problems:
        raise InvalidInput(problems)
    interaction_id = new_id()
    row: dict[str, Any] = {
        "id": interaction_id,
        "client_id": draft.client_id,
        "logged_by_id": by.staff_id,
        "logged_at": now,
    }
    await repository.add(session, {"tenant_id": by.branch_id} | row | values)
    await repository.note_contact(session, by.branch_id, [draft.client_id], values["occurred_at"])
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "interaction.logged",
        "client",
        draft.client_id,
        {"interaction": str(interaction_id), "kind": values["kind"], "channel": values["channel"]},
    )
    return InteractionEntry(**row, **values)


async def timelines(
    session: AsyncSession, by: Principal, client_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[InteractionEntry]]:
    """The same page of each client's timeline (newest first unless ``page`` says otherwise), for the
    clients the caller may read (none without ``client:read``): one statement for all of them."""
    scope = by.data_scope(CLIENT_READ)
    if scope is None or not client_ids:
        return {}
    reader = clients.Reader(by.staff_id, scope)
    stmt = repository.timelines_query(by.branch_id, reader, client_ids)
    totals = repository.counts_query(by.branch_id, reader, client_ids)
    return await keyset_each(session, stmt, Interaction.client_id, TIMELINE_ORDER, page, InteractionEntry.of, totals)


async def timeline_counts(session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    scope = by.data_scope(CLIENT_READ)
    if scope is None or not client_ids:
        return {}
    return await repository.counts(session, by.branch_id, clients.Reader(by.staff_id, scope), client_ids)


async def interactions_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[InteractionEntry]:
    """Interactions the caller may read (their client in the ``client:read`` scope); never an error."""
    scope = by.data_scope(CLIENT_READ)
    if scope is None or not ids:
        return []
    rows = await repository.by_id(session, by.branch_id, clients.Reader(by.staff_id, scope), ids)
    return [InteractionEntry.of(row) for row in rows]


async def books_of(
    session: AsyncSession, by: Principal, owner_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, str, uuid.UUID]]:
    """(client, client number, owner) of every client these staff members own (for loading timelines)."""
    by.require(INTERACTION_LOG)
    return [(row[0], row[1], row[2]) for row in await repository.books(session, by.branch_id, owner_ids)]


async def record_in_bulk(
    session: AsyncSession, by: Principal, logged: list[tuple[InteractionDraft, uuid.UUID]], reason: str
) -> int:
    """Many interactions at once, each logged by the staff member named with it (the demo's timelines; an
    import later), checked like one: one insert per 1,000, one update of the clients' last contact, one
    audit record. A client that already has a timeline is left alone, so loading again changes nothing.
    Returns how many were recorded."""
    by.require(INTERACTION_LOG)
    now = utcnow()
    taken = await repository.with_timelines(session, by.branch_id, sorted({d.client_id for d, _ in logged}))
    rows, problems = [], []
    for position, (draft, staff_id) in enumerate(logged):
        if draft.client_id in taken:
            continue
        values, found = check(draft, now)
        problems += [DomainError(p.error, field=f"[{position}].{p.field}", **p.params) for p in found]
        rows.append(
            {"tenant_id": by.branch_id, "id": new_id(), "client_id": draft.client_id}
            | values
            | {"logged_by_id": staff_id, "logged_at": now}
        )
    if problems:
        raise InvalidInput(problems)
    if not rows:
        return 0
    await repository.add_many(session, rows)
    await repository.refresh_last_contact(session, by.branch_id, sorted({r["client_id"] for r in rows}))
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "interaction.bulk_logged",
        "client",
        None,
        {"new": len(rows), "reason": reason},
    )
    return len(rows)
