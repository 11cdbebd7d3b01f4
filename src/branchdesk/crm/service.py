"""Clients: what a client is to its callers (drafts, profiles, cards) and reading them within one's data
scope, their personal data included. Recording and changing clients is ``records``; moving them between
managers ``portfolios``; many at once ``bulk``; re-sealing under a new key ``pii``.

Every read applies the caller's data scope for ``client:read`` (own, team or branch, as their grant
declares it): a client outside it is reported exactly like one that does not exist. Personal data is
sealed before it is written and opened only for a response that shows it; the caller masks it unless
the reader holds ``client.pii:read`` (see :func:`sees_unmasked`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.registry import DataScope
from branchdesk.crm import repository
from branchdesk.crm.models import Client
from branchdesk.crm.permissions import CLIENT_CARD_READ, CLIENT_PII_READ, CLIENT_READ
from branchdesk.crm.rules import (
    ClientKind,
    ContactChannel,
    Gender,
    IdDocumentType,
    KycStatus,
    LifecycleStage,
    RiskGrade,
    mask_name,
    month_days_within,
    normalise_phone,
    phone_search_key,
)
from branchdesk.platform.crypto import data_keys
from branchdesk.platform.errors import Forbidden, NotFound, invalid
from branchdesk.platform.lunar import LunarBirthday
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants

ID_NUMBER, PHONE, ADDRESS = "client.id_number", "client.phone", "client.address"  # sealing purposes


class ClientProfile(NamedTuple):
    """A client as a list or a profile shows them: everything but the personal data. A row of
    ``repository.PROFILE`` taken as it is (a tuple, like tenants' ``Member``: one is built for each row of a
    page, and a frozen dataclass of these 28 fields cost ~4.6 µs a row)."""

    id: uuid.UUID
    client_number: str
    kind: str
    name: str
    id_type: str | None
    birthday: date | None
    gender: str | None
    occupation: str | None
    risk_grade: str | None
    risk_assessed_on: date | None
    kyc_status: str
    kyc_expires_on: date | None
    consents: list[str]
    do_not_contact: bool
    preferred_language: str
    lifecycle: str
    tags: list[str]
    notes: str | None
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    last_contact_at: datetime | None  # the latest interaction's time
    lunar_birth_month: int | None
    lunar_birth_day: int | None
    lunar_birth_leap: bool | None
    aum_cny: Decimal  # as the holdings feed last set it
    aum_as_of: datetime | None
    team_ids: list[uuid.UUID]  # co-owners, by id

    @property
    def lunar_birthday(self) -> LunarBirthday | None:
        if self.lunar_birth_month is None or self.lunar_birth_day is None:
            return None
        return LunarBirthday(self.lunar_birth_month, self.lunar_birth_day, bool(self.lunar_birth_leap))

    @classmethod
    def of(cls, row: Any) -> ClientProfile:
        return cls._make(row)


@dataclass(frozen=True)
class PersonalData:
    id_number: str | None
    phone: str | None
    address: str | None


@dataclass(frozen=True)
class RoutingCard:
    """What a teller or lobby manager needs to guide a client, without the profile."""

    client_id: uuid.UUID
    masked_name: str
    lifecycle: str
    owner_id: uuid.UUID
    open_work: int  # open handoffs, complaints and follow-ups: 0 until those domains land


@dataclass
class ClientDraft:
    """A client's fields as a caller gives them. On update, only the fields named in ``given`` change."""

    client_number: str | None = None
    kind: ClientKind = ClientKind.INDIVIDUAL
    name: str | None = None
    id_type: IdDocumentType | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    birthday: date | None = None
    lunar_birthday: LunarBirthday | None = None  # 农历生日; None clears it
    gender: Gender | None = None
    occupation: str | None = None
    risk_grade: RiskGrade | None = None
    risk_assessed_on: date | None = None
    kyc_status: KycStatus = KycStatus.PENDING
    kyc_expires_on: date | None = None
    consents: list[ContactChannel] = field(default_factory=list)
    do_not_contact: bool = False
    preferred_language: str = "zh-CN"
    lifecycle: LifecycleStage = LifecycleStage.PROSPECT
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    owner_id: uuid.UUID | None = None
    co_owner_ids: list[uuid.UUID] = field(default_factory=list)


DRAFT_FIELDS = frozenset(f.name for f in fields(ClientDraft))


@dataclass(frozen=True)
class ClientFilters:
    owner_id: uuid.UUID | None = None
    lifecycle: LifecycleStage | None = None
    tag: str | None = None
    kyc_expiring_before: date | None = None
    birthday_within_days: int | None = None
    phone: str | None = None
    id_number: str | None = None
    name_prefix: str | None = None
    client_number: str | None = None
    within: Any = None  # a sub-select of client ids another domain gives (the tier filter: segments.scoring)


# Orders of the client list: each ends with a unique column, so a cursor names one row.
CLIENT_ORDERS: dict[str, Key] = {
    "name": (Client.name, Client.id),
    "client_number": Client.client_number,
    "created_at": (Client.created_at, Client.id),
}


def reader(by: Principal, permission: str = CLIENT_READ) -> repository.Reader:
    """Whose scope, and how far it reaches, for ``permission``; Forbidden without it."""
    scope = by.data_scope(permission)
    if scope is None:
        raise Forbidden(permission)
    return repository.Reader(by.staff_id, scope)


def sees_unmasked(by: Principal) -> bool:
    """Personal data of a client the reader may read (in scope) is unmasked with ``client.pii:read``."""
    return by.can(CLIENT_PII_READ)


# --- reading -------------------------------------------------------------------------------------


async def branch_today(session: AsyncSession, by: Principal) -> date:
    """Today in the branch's time zone (birthdays and expiry dates are the branch's calendar days)."""
    branch = await tenants.branch_by_id(session, by.branch_id)
    return datetime.now(ZoneInfo(branch.timezone)).date()


async def _filters(session: AsyncSession, by: Principal, given: ClientFilters) -> repository.Filters:
    ring = data_keys(session)
    phone_hash = id_hash = None
    if given.phone is not None:
        phone_hash = ring.digest(PHONE, phone_search_key(normalise_phone(given.phone, field="phone")))
    if given.id_number is not None:
        id_hash = ring.digest(ID_NUMBER, given.id_number.strip().upper())
    days = given.birthday_within_days
    if days is not None and not 0 <= days <= 366:
        raise invalid("birthdayWithinDays", "Between 0 and 366 days.", "须在 0 至 366 天之间。")
    today = await branch_today(session, by) if days is not None else None
    return repository.Filters(
        owner_id=given.owner_id,
        lifecycle=given.lifecycle.value if given.lifecycle else None,
        tag=given.tag,
        kyc_expiring_before=given.kyc_expiring_before,
        birthday_month_days=month_days_within(today, days) if days is not None and today else None,
        phone_hash=phone_hash,
        id_number_hash=id_hash,
        name_prefix=given.name_prefix or None,
        client_number=given.client_number.strip() if given.client_number else None,
        within=given.within,
    )


async def list_clients(
    session: AsyncSession, by: Principal, page: PageRequest, filters: ClientFilters
) -> Page[ClientProfile]:
    """The clients the caller's scope reaches, filtered, by name unless ``page`` says otherwise."""
    scope = reader(by)
    if filters.owner_id is not None and not await repository.members_among(session, by.branch_id, [filters.owner_id]):
        raise NotFound("Staff member", "员工", field="ownerId")
    stmt, params = repository.clients_query(by.branch_id, scope, await _filters(session, by, filters))
    key = CLIENT_ORDERS[page.order_by or "name"]
    return await keyset(session, stmt, key, page, ClientProfile.of, params)


async def count_clients(session: AsyncSession, by: Principal, filters: ClientFilters) -> int:
    scope = reader(by)
    stmt, params = repository.clients_query(by.branch_id, scope, await _filters(session, by, filters))
    return await count(session, stmt, params)


async def clients_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[ClientProfile]:
    """Clients by id, only those the caller may read (none without ``client:read``): never an error."""
    scope = by.data_scope(CLIENT_READ)
    if scope is None:
        return []
    rows = await repository.profiles(session, by.branch_id, repository.Reader(by.staff_id, scope), ids)
    return [ClientProfile.of(row) for row in rows]


async def personal_data_of(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, PersonalData]:
    """Clients' personal data, opened (for those the caller may read); the caller masks it unless
    :func:`sees_unmasked`, and audits what it shows unmasked."""
    scope = by.data_scope(CLIENT_READ)
    if scope is None or not ids:
        return {}
    visible = await repository.in_scope_ids(session, by.branch_id, repository.Reader(by.staff_id, scope), ids)
    ring = data_keys(session)
    return {
        row.id: PersonalData(
            ring.open(ID_NUMBER, row.id_number_sealed),
            ring.open(PHONE, row.phone_sealed),
            ring.open(ADDRESS, row.address_sealed),
        )
        for row in await repository.sealed_of(session, by.branch_id, visible)
    }


async def assignment_history(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    if by.data_scope(CLIENT_READ) is None:
        return {}
    found: dict[uuid.UUID, list[Any]] = {}
    for entry in await repository.assignments(session, by.branch_id, ids):
        found.setdefault(entry.client_id, []).append(entry)
    return found


async def routing_cards(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID] | None = None, filters: ClientFilters | None = None
) -> list[RoutingCard]:
    """Routing cards of the branch's clients, by id or by exact client number, phone or ID number."""
    by.require(CLIENT_CARD_READ)
    everyone = repository.Reader(by.staff_id, DataScope.BRANCH)  # a card shows nothing personal
    if ids is not None:
        rows = await repository.profiles(session, by.branch_id, everyone, ids)
    else:
        wanted = await _filters(session, by, filters or ClientFilters())
        rows = await repository.find(session, by.branch_id, everyone, wanted, limit=20)
    return [_card(ClientProfile.of(row)) for row in rows]


def _card(client: ClientProfile) -> RoutingCard:
    return RoutingCard(client.id, mask_name(client.name), client.lifecycle, client.owner_id, 0)
