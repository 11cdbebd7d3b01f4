"""All SQL of the CRM's clients and portfolios. Every statement filters by ``tenant_id`` (row-level
security does too) and, for a reader, by what their data scope reaches (:func:`in_scope`)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    SmallInteger,
    Uuid,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.registry import DataScope
from branchdesk.crm.models import Client, ClientAssignment, ClientCoOwner
from branchdesk.tenants.models import Membership

# What a list or a profile shows without personal data: the hot path never reads a sealed value.
PROFILE = (
    Client.id,
    Client.client_number,
    Client.kind,
    Client.name,
    Client.id_type,
    Client.birthday,
    Client.gender,
    Client.occupation,
    Client.risk_grade,
    Client.risk_assessed_on,
    Client.kyc_status,
    Client.kyc_expires_on,
    Client.consents,
    Client.do_not_contact,
    Client.preferred_language,
    Client.lifecycle,
    Client.tags,
    Client.notes,
    Client.owner_id,
    Client.created_at,
    Client.updated_at,
    Client.last_contact_at,
    Client.lunar_birth_month,
    Client.lunar_birth_day,
    Client.lunar_birth_leap,
    Client.aum_cny,
    Client.aum_as_of,
    # The team with the client, so its members are read in one batch with the owner
    func.array(
        select(ClientCoOwner.staff_id)
        .where(ClientCoOwner.tenant_id == Client.tenant_id, ClientCoOwner.client_id == Client.id)
        .order_by(ClientCoOwner.staff_id)
        .scalar_subquery(),
        type_=ARRAY(Uuid),
    ).label("team_ids"),
)


@dataclass(frozen=True)
class Reader:
    """Whose data scope a query applies: the staff member (None for the system) and how far it reaches."""

    staff_id: uuid.UUID | None
    scope: DataScope


@dataclass(frozen=True)
class Filters:
    owner_id: uuid.UUID | None = None
    lifecycle: str | None = None
    tag: str | None = None
    kyc_expiring_before: date | None = None
    birthday_month_days: Sequence[int] | None = None
    phone_hash: bytes | None = None
    id_number_hash: bytes | None = None
    name_prefix: str | None = None
    client_number: str | None = None
    within: Select[*tuple[Any, ...]] | None = (
        None  # only clients whose id this sub-select gives (another domain's filter)
    )


def _book(staff_id: uuid.UUID | BindParameter[uuid.UUID]) -> ColumnElement[bool]:
    """The clients a staff member owns or co-owns."""
    co_owned = exists().where(
        ClientCoOwner.tenant_id == Client.tenant_id,
        ClientCoOwner.client_id == Client.id,
        ClientCoOwner.staff_id == staff_id,
    )
    return or_(Client.owner_id == staff_id, co_owned)


def in_scope(branch_id: uuid.UUID, reader: Reader) -> ColumnElement[bool]:
    """The clients of the branch that ``reader``'s scope reaches."""
    if reader.scope is DataScope.BRANCH:
        return true()
    if reader.staff_id is None:
        return Client.id.is_(None)  # a scope below the branch with nobody to own anything reaches nothing
    return _reaches(reader.scope, branch_id, reader.staff_id)


def _reaches(
    scope: DataScope, branch_id: uuid.UUID | BindParameter[uuid.UUID], staff_id: uuid.UUID | BindParameter[uuid.UUID]
) -> ColumnElement[bool]:
    """The clients a staff member's own or team scope reaches (values, or parameters for them)."""
    if scope is DataScope.OWN:
        return _book(staff_id)
    # Team: the books of everyone who owns or co-owns a client together with the reader.
    mine = select(Client.id).where(Client.tenant_id == branch_id, _book(staff_id))
    colleagues = (
        select(ClientCoOwner.staff_id)
        .where(ClientCoOwner.tenant_id == branch_id, ClientCoOwner.client_id.in_(mine))
        .union(select(Client.owner_id).where(Client.tenant_id == branch_id, Client.id.in_(mine)))
    )
    shared = exists().where(
        ClientCoOwner.tenant_id == Client.tenant_id,
        ClientCoOwner.client_id == Client.id,
        ClientCoOwner.staff_id.in_(colleagues),
    )
    return or_(_book(staff_id), Client.owner_id.in_(colleagues), shared)


def reachable(branch_id: uuid.UUID, reader: Reader, client_ids: Sequence[uuid.UUID] | None = None) -> Select[Any]:
    """The ids of the clients (of ``client_ids``, when given) that ``reader``'s scope reaches: the subquery
    what hangs off a client (holdings, interactions, segment members) is filtered by."""
    stmt = select(Client.id).where(Client.tenant_id == branch_id, in_scope(branch_id, reader))
    return stmt.where(Client.id.in_(client_ids)) if client_ids is not None else stmt


# The clients list's conditions, each with its value as a parameter, in the order they are applied.
_BRANCH_ID: BindParameter[uuid.UUID] = bindparam("branch_id", type_=Uuid)
_READER_ID: BindParameter[uuid.UUID] = bindparam("reader_id", type_=Uuid)
_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "owner_id": Client.owner_id == bindparam("owner_id"),
    "lifecycle": Client.lifecycle == bindparam("lifecycle"),
    "tag": Client.tags.contains(bindparam("tag", type_=Client.tags.type)),
    "kyc_expiring_before": Client.kyc_expires_on < bindparam("kyc_expiring_before"),
    "birthday_month_days": Client.birthday_md == any_(bindparam("birthday_month_days", type_=ARRAY(SmallInteger))),
    "phone_hash": Client.phone_hash == bindparam("phone_hash"),
    "id_number_hash": Client.id_number_hash == bindparam("id_number_hash"),
    "client_number": Client.client_number == bindparam("client_number"),
    "name_prefix": Client.name.like(bindparam("name_prefix"), escape="\\"),
}


@functools.lru_cache(maxsize=256)
def _clients_statement(scope: DataScope | None, given: tuple[str, ...]) -> Select[*tuple[Any, ...]]:
    """The list's statement for a scope (None: one that reaches nothing) and the conditions given: built
    once, so its pages are read straight from the driver and no statement is built per request."""
    if scope is DataScope.BRANCH:
        reach: ColumnElement[bool] = true()
    elif scope is None:
        reach = Client.id.is_(None)
    else:
        reach = _reaches(scope, _BRANCH_ID, _READER_ID)
    stmt: Select[*tuple[Any, ...]] = select(*PROFILE).where(Client.tenant_id == _BRANCH_ID, reach)
    for name in given:
        stmt = stmt.where(_CONDITIONS[name])
    return stmt


def clients_query(
    branch_id: uuid.UUID, reader: Reader, filters: Filters
) -> tuple[Select[*tuple[Any, ...]], dict[str, Any]]:
    """The clients of the branch that ``reader``'s scope reaches and ``filters`` lets through, and the
    values of the statement's parameters."""
    params: dict[str, Any] = {"branch_id": branch_id}
    if reader.scope is not DataScope.BRANCH and reader.staff_id is not None:
        params["reader_id"] = reader.staff_id
    scope = reader.scope if reader.scope is DataScope.BRANCH or reader.staff_id is not None else None
    values = {
        "owner_id": filters.owner_id,
        "lifecycle": filters.lifecycle,
        "tag": [filters.tag] if filters.tag is not None else None,
        "kyc_expiring_before": filters.kyc_expiring_before,
        "birthday_month_days": list(filters.birthday_month_days) if filters.birthday_month_days is not None else None,
        "phone_hash": filters.phone_hash,
        "id_number_hash": filters.id_number_hash,
        "client_number": filters.client_number,
        "name_prefix": _like_prefix(filters.name_prefix) if filters.name_prefix is not None else None,
    }
    given = tuple(name for name, value in values.items() if value is not None)
    params |= {name: values[name] for name in given}
    stmt = _clients_statement(scope, given)
    if filters.within is not None:  # another domain's sub-select: this statement is the request's own
        stmt = stmt.where(Client.id.in_(filters.within))
    return stmt, params


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern for names starting with ``prefix`` (its own ``%``, ``_`` and ``\\`` taken literally)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def find(session: AsyncSession, branch_id: uuid.UUID, reader: Reader, filters: Filters, limit: int) -> list[Any]:
    """At most ``limit`` clients matching ``filters``, by name."""
    stmt, params = clients_query(branch_id, reader, filters)
    return list((await session.execute(stmt.order_by(Client.name, Client.id).limit(limit), params)).all())


async def profiles(session: AsyncSession, branch_id: uuid.UUID, reader: Reader, ids: list[uuid.UUID]) -> list[Any]:
    if not ids:
        return []
    stmt = select(*PROFILE).where(Client.tenant_id == branch_id, Client.id.in_(ids), in_scope(branch_id, reader))
    return list((await session.execute(stmt)).all())


async def in_scope_ids(
    session: AsyncSession, branch_id: uuid.UUID, reader: Reader, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    return list(await session.scalars(reachable(branch_id, reader, ids)))


async def portfolio_ids(
    session: AsyncSession, branch_id: uuid.UUID, reader: Reader, owner_id: uuid.UUID
) -> list[uuid.UUID]:
    stmt = select(Client.id).where(
        Client.tenant_id == branch_id, Client.owner_id == owner_id, in_scope(branch_id, reader)
    )
    return list(await session.scalars(stmt))


async def client_for_update(
    session: AsyncSession, branch_id: uuid.UUID, reader: Reader, client_id: uuid.UUID
) -> Client | None:
    stmt = (
        select(Client)
        .where(Client.tenant_id == branch_id, Client.id == client_id, in_scope(branch_id, reader))
        .with_for_update()
    )
    found: Client | None = await session.scalar(stmt)
    return found


async def lock_client_number(session: AsyncSession, branch_id: uuid.UUID, number: str) -> None:
    """Hold the branch's client number until this transaction ends: two concurrent writers of one number
    take turns, so the second sees the first's client and is refused, not failed by the unique index."""
    key = f"client_number:{branch_id}:{number}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def client_number_taken(
    session: AsyncSession, branch_id: uuid.UUID, number: str, but: uuid.UUID | None = None
) -> bool:
    """Whether another client of the branch (in anyone's scope) has the number."""
    stmt = select(Client.id).where(Client.tenant_id == branch_id, Client.client_number == number)
    if but is not None:
        stmt = stmt.where(Client.id != but)
    return (await session.scalar(stmt.limit(1))) is not None


async def sealed_of(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Any]:
    """The sealed personal data of clients (the caller has checked they are in scope)."""
    if not ids:
        return []
    stmt = select(Client.id, Client.id_number_sealed, Client.phone_sealed, Client.address_sealed).where(
        Client.tenant_id == branch_id, Client.id.in_(ids)
    )
    return list((await session.execute(stmt)).all())


async def replace_co_owners(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID], staff_ids: list[uuid.UUID]
) -> None:
    await session.execute(
        delete(ClientCoOwner).where(ClientCoOwner.tenant_id == branch_id, ClientCoOwner.client_id.in_(client_ids))
    )
    rows = [
        {"tenant_id": branch_id, "client_id": client_id, "staff_id": staff_id}
        for client_id in client_ids
        for staff_id in staff_ids
    ]
    if rows:
        await session.execute(pg_insert(ClientCoOwner).values(rows).on_conflict_do_nothing())


async def reassign(
    session: AsyncSession,
    branch_id: uuid.UUID,
    client_ids: list[uuid.UUID],
    to_owner: uuid.UUID,
    at: datetime,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Give the clients a new owner in one statement; returns (client, previous owner) for each."""
    if not client_ids:
        return []
    previous = (
        select(Client.id, Client.owner_id)
        .where(Client.tenant_id == branch_id, Client.id.in_(client_ids))
        .with_for_update()
        .cte("previous")
    )
    stmt = (
        update(Client)
        .where(Client.tenant_id == branch_id, Client.id == previous.c.id)
        .values(owner_id=to_owner, updated_at=at)
        .returning(Client.id, previous.c.owner_id)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def record_assignments(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One multi-row insert per 1,000 entries (PostgreSQL takes at most 32,767 parameters a statement)."""
    for start in range(0, len(rows), 1000):
        await session.execute(insert(ClientAssignment).values(rows[start : start + 1000]))


async def assignments(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]
) -> list[ClientAssignment]:
    if not client_ids:
        return []
    stmt = (
        select(ClientAssignment)
        .where(ClientAssignment.tenant_id == branch_id, ClientAssignment.client_id.in_(client_ids))
        .order_by(ClientAssignment.client_id, ClientAssignment.assigned_at, ClientAssignment.id)
    )
    return list(await session.scalars(stmt))


async def members_among(session: AsyncSession, branch_id: uuid.UUID, staff_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the staff are members of the branch."""
    if not staff_ids:
        return set()
    stmt = select(Membership.staff_id).where(Membership.tenant_id == branch_id, Membership.staff_id.in_(staff_ids))
    return set(await session.scalars(stmt))


# --- re-sealing (crm rekey) ----------------------------------------------------------------------


async def sealed_batch(
    session: AsyncSession, branch_id: uuid.UUID, current_key: str, after: uuid.UUID | None, size: int
) -> list[Any]:
    """The next ``size`` clients (by id) whose personal data is not sealed under ``current_key``."""
    stmt = select(Client.id, Client.id_type, Client.id_number_sealed, Client.phone_sealed, Client.address_sealed).where(
        Client.tenant_id == branch_id,
        Client.pii_key_id.is_not(None),
        Client.pii_key_id != current_key,
    )
    if after is not None:
        stmt = stmt.where(Client.id > after)
    return list((await session.execute(stmt.order_by(Client.id).limit(size))).all())


async def count_not_under(session: AsyncSession, branch_id: uuid.UUID, current_key: str) -> int:
    stmt = select(func.count()).where(
        Client.tenant_id == branch_id, Client.pii_key_id.is_not(None), Client.pii_key_id != current_key
    )
    return int(await session.scalar(stmt) or 0)


async def write_sealed(session: AsyncSession, branch_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Each row: ``b_id`` and the new sealed values, hashes and key id (one executemany)."""
    if not rows:
        return
    stmt = (
        update(Client)
        .where(and_(Client.tenant_id == branch_id, Client.id == _bind("b_id")))
        .values(
            id_number_sealed=_bind("b_id_number_sealed"),
            id_number_hash=_bind("b_id_number_hash"),
            phone_sealed=_bind("b_phone_sealed"),
            phone_hash=_bind("b_phone_hash"),
            address_sealed=_bind("b_address_sealed"),
            pii_key_id=_bind("b_pii_key_id"),
        )
    )
    await (await session.connection()).execute(stmt, rows)


def _bind(name: str) -> Any:
    return bindparam(name)


async def insert_clients(session: AsyncSession, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert many clients in one statement; a client number the branch already has is left alone.
    Returns the ids inserted."""
    inserted: list[uuid.UUID] = []
    for start in range(0, len(rows), 500):  # 35 columns: 500 rows stay under PostgreSQL's parameter limit
        stmt = (
            pg_insert(Client)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=[Client.tenant_id, Client.client_number])
            .returning(Client.id)
        )
        inserted += await session.scalars(stmt)
    return inserted


async def add_co_owners(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        await session.execute(pg_insert(ClientCoOwner).values(rows[start : start + 5000]).on_conflict_do_nothing())
