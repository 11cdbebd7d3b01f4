"""Clients: reading within one's data scope, creating and changing them, their personal data.

Every read applies the caller's data scope for ``client:read`` (own, team or branch, as their grant
declares it): a client outside it is reported exactly like one that does not exist. Personal data is
sealed before it is written and opened only for a response that shows it; the caller masks it unless
the reader holds ``client.pii:read`` (see :func:`sees_unmasked`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.registry import DataScope
from branchdesk.crm import errors, repository
from branchdesk.crm.models import Client
from branchdesk.crm.permissions import CLIENT_CARD_READ, CLIENT_PII_READ, CLIENT_READ, CLIENT_WRITE
from branchdesk.crm.rules import (
    CHANNEL_ZH,
    NEEDS_PHONE,
    ClientKind,
    ContactChannel,
    Gender,
    IdDocumentType,
    KycStatus,
    LifecycleStage,
    RiskGrade,
    mask_name,
    month_days_within,
    normalise_id_number,
    normalise_phone,
    parse_resident_id,
    phone_search_key,
)
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import DataKeyRing, data_keys
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput, NotFound, invalid
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants

ID_NUMBER, PHONE, ADDRESS = "client.id_number", "client.phone", "client.address"  # sealing purposes


@dataclass(frozen=True)
class ClientProfile:
    """A client as a list or a profile shows them: everything but the personal data."""

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

    @classmethod
    def of(cls, row: Any) -> ClientProfile:
        return cls(*row)


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
    )


async def list_clients(
    session: AsyncSession, by: Principal, page: PageRequest, filters: ClientFilters
) -> Page[ClientProfile]:
    """The clients the caller's scope reaches, filtered, by name unless ``page`` says otherwise."""
    scope = reader(by)
    if filters.owner_id is not None and not await repository.members_among(session, by.branch_id, [filters.owner_id]):
        raise NotFound("Staff member", "员工", field="ownerId")
    stmt = repository.clients_query(by.branch_id, scope, await _filters(session, by, filters))
    key = CLIENT_ORDERS[page.order_by or "name"]
    return await keyset(session, stmt, key, page, ClientProfile.of)


async def count_clients(session: AsyncSession, by: Principal, filters: ClientFilters) -> int:
    scope = reader(by)
    return await count(session, repository.clients_query(by.branch_id, scope, await _filters(session, by, filters)))


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


async def teams_of(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each client's co-owners (the caller reached the clients through a scoped read)."""
    if by.data_scope(CLIENT_READ) is None:
        return {}
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for client_id, staff_id in await repository.co_owners(session, by.branch_id, ids):
        found.setdefault(client_id, []).append(staff_id)
    return found


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


# --- writing -------------------------------------------------------------------------------------


def check_draft(draft: ClientDraft, given: frozenset[str]) -> tuple[dict[str, Any], list[DomainError]]:
    """The columns a draft sets (only those in ``given``), validated; every problem is collected."""
    problems: list[DomainError] = []
    values: dict[str, Any] = {}
    simple = (
        "client_number", "kind", "name", "id_type", "birthday", "gender", "occupation", "risk_grade",
        "risk_assessed_on", "kyc_status", "kyc_expires_on", "do_not_contact", "preferred_language",
        "lifecycle", "notes",
    )  # fmt: skip
    for name in simple:
        if name in given:
            value = getattr(draft, name)
            values[name] = value.value if hasattr(value, "value") else value
    if "consents" in given:
        values["consents"] = sorted({c.value for c in draft.consents})
    if "tags" in given:
        values["tags"] = sorted({t.strip() for t in draft.tags if t.strip()})
    if "phone" in given:
        try:
            values["phone"] = normalise_phone(draft.phone) if draft.phone else None
        except DomainError as exc:
            problems.append(exc)
    if "address" in given:
        values["address"] = draft.address.strip() if draft.address and draft.address.strip() else None
    if "id_number" in given or "id_type" in given:
        values["id_number"] = draft.id_number.strip() if draft.id_number and draft.id_number.strip() else None
    return values, problems


def complete_draft(state: dict[str, Any], problems: list[DomainError]) -> None:
    """Rules across fields, on the client as it will be: ID number against its type, birthday and gender
    from a resident ID, consent against do-not-contact and a phone on record."""
    id_type, number = state.get("id_type"), state.get("id_number")
    if id_type and not number:
        problems.append(DomainError(errors.ID_NUMBER_REQUIRED, field="idNumber"))
    elif id_type and number:
        try:
            state["id_number"] = normalise_id_number(IdDocumentType(id_type), number)
            if id_type == IdDocumentType.RESIDENT_ID:
                parsed = parse_resident_id(number)
                if state.get("birthday") is None:
                    state["birthday"] = parsed.birthday
                elif state["birthday"] != parsed.birthday:
                    problems.append(
                        DomainError(errors.BIRTHDAY_MISMATCH, field="birthday", expected=parsed.birthday.isoformat())
                    )
                if state.get("gender") is None:
                    state["gender"] = parsed.gender.value
        except DomainError as exc:
            problems.append(exc)
    consents = state.get("consents") or []
    if state.get("do_not_contact") and consents:
        problems.append(DomainError(errors.CONSENT_CONFLICT, field="consents"))
    elif not state.get("phone"):
        for channel in sorted(set(consents) & {c.value for c in NEEDS_PHONE}):
            problems.append(
                DomainError(
                    errors.CONSENT_NEEDS_PHONE, field="consents", channel=channel, channel_zh=CHANNEL_ZH[channel]
                )
            )
            break


def seal_personal_data(ring: DataKeyRing, state: dict[str, Any]) -> dict[str, Any]:
    """The personal-data columns for a client's clear values, all under the ring's current key."""
    number, phone, address = state.get("id_number"), state.get("phone"), state.get("address")
    return {
        "id_number_sealed": ring.seal(ID_NUMBER, number),
        "id_number_hash": ring.digest(ID_NUMBER, number),
        "phone_sealed": ring.seal(PHONE, phone),
        "phone_hash": ring.digest(PHONE, phone_search_key(phone) if phone else None),
        "address_sealed": ring.seal(ADDRESS, address),
        "pii_key_id": ring.current if (number or phone or address) else None,
    }


async def check_people(
    session: AsyncSession,
    by: Principal,
    scope: DataScope,
    owner: uuid.UUID | None,
    team: list[uuid.UUID],
    *,
    owner_field: str = "ownerId",
    others: dict[str, uuid.UUID] | None = None,
    caller_stays: bool = True,
) -> list[DomainError]:
    """An owner and co-owners who are members of the branch (anyone else is not found, like a member of
    another branch), and, below branch scope, the caller among them (``caller_stays``: when creating,
    one may not make a client one could not see)."""
    if owner is None:
        return [DomainError(errors.OWNER_NOT_MEMBER, field=owner_field)]
    named = {owner_field: owner, **(others or {})}
    members = await repository.members_among(session, by.branch_id, [*named.values(), *team])
    for field_name, staff_id in named.items():
        if staff_id not in members:
            raise NotFound("Staff member", "员工", field=field_name)
    if set(team) - members:
        raise NotFound("Staff member", "员工", field="coOwnerIds")
    if caller_stays and scope is not DataScope.BRANCH and not by.is_system and by.staff_id not in {owner, *team}:
        return [DomainError(errors.OWNER_OUT_OF_SCOPE, field=owner_field)]
    return []


async def create_client(session: AsyncSession, by: Principal, draft: ClientDraft) -> ClientProfile:
    """A new client of the caller's branch, owned by ``draft.owner_id`` (default: the caller)."""
    scope = reader(by, CLIENT_WRITE).scope
    owner = draft.owner_id or by.staff_id
    team = sorted(set(draft.co_owner_ids) - {owner} if owner else set(draft.co_owner_ids))
    people = await check_people(session, by, scope, owner, team)
    state, problems = check_draft(draft, DRAFT_FIELDS)
    complete_draft(state, problems)
    problems += people
    number = (state.get("client_number") or "").strip()
    if number and await repository.client_number_taken(session, by.branch_id, number):
        problems.append(DomainError(errors.CLIENT_NUMBER_TAKEN, field="clientNumber", number=number))
    if problems:
        raise InvalidInput(problems)
    assert owner is not None
    now = utcnow()
    columns = {k: v for k, v in state.items() if k not in ("id_number", "phone", "address")}
    client = Client(
        id=new_id(),
        tenant_id=by.branch_id,
        **columns | {"client_number": number, "owner_id": owner, "updated_at": now, "created_at": now},
        **seal_personal_data(data_keys(session), state),
    )
    session.add(client)
    await session.flush()
    await repository.replace_co_owners(session, by.branch_id, [client.id], team)
    await repository.record_assignments(session, [history_row(by, client.id, None, owner, team, "created", now)])
    await audit.record(session, by.branch_id, by.author, "client.created", "client", client.id, {"number": number})
    return (await clients_by_id(session, _as_branch(by), [client.id]))[0]


async def update_client(
    session: AsyncSession, by: Principal, client_id: uuid.UUID, draft: ClientDraft, given: frozenset[str]
) -> ClientProfile:
    """Change the fields named in ``given`` of a client in the caller's write scope (else not found)."""
    scope = reader(by, CLIENT_WRITE)
    client = await repository.client_for_update(session, by.branch_id, scope, client_id)
    if client is None:
        raise NotFound("Client", "客户", field="id")
    changes, problems = check_draft(draft, given - {"owner_id", "co_owner_ids"})
    ring = data_keys(session)
    state = {c: getattr(client, c) for c in ("id_type", "birthday", "gender", "consents", "do_not_contact")}
    state |= {
        "id_number": ring.open(ID_NUMBER, client.id_number_sealed),
        "phone": ring.open(PHONE, client.phone_sealed),
        "address": ring.open(ADDRESS, client.address_sealed),
    }
    state |= changes
    new_resident_id = changes.keys() & {"id_number", "id_type"} and state.get("id_type") == IdDocumentType.RESIDENT_ID
    for derived in ("birthday", "gender"):
        if new_resident_id and derived not in changes:
            state[derived] = None  # derived again from the new number
    complete_draft(state, problems)
    number = (changes.get("client_number") or "").strip()
    if "client_number" in changes:
        if not number:
            problems.append(DomainError(errors.CLIENT_NUMBER_TAKEN, field="clientNumber", number=""))
        elif await repository.client_number_taken(session, by.branch_id, number, but=client.id):
            problems.append(DomainError(errors.CLIENT_NUMBER_TAKEN, field="clientNumber", number=number))
    if problems:
        raise InvalidInput(problems)
    for column, value in changes.items():
        if column not in ("id_number", "phone", "address"):
            setattr(client, column, value.strip() if column == "client_number" else value)
    client.birthday, client.gender = state.get("birthday"), state.get("gender")
    if changes.keys() & {"id_number", "id_type", "phone", "address"}:
        for column, value in seal_personal_data(ring, state).items():
            setattr(client, column, value)
    client.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session, by.branch_id, by.author, "client.updated", "client", client.id, {"fields": sorted(changes)}
    )
    return (await clients_by_id(session, _as_branch(by), [client.id]))[0]


def _as_branch(by: Principal) -> Principal:
    """The caller reading back what they just wrote, even where it now falls outside their scope."""
    return Principal.system("crm", by.branch) if not by.is_system else by


def history_row(
    by: Principal,
    client_id: uuid.UUID,
    before: uuid.UUID | None,
    owner: uuid.UUID,
    team: list[uuid.UUID] | None,
    reason: str,
    at: datetime,
) -> dict[str, Any]:
    return {
        "tenant_id": by.branch_id,
        "id": new_id(),
        "client_id": client_id,
        "from_owner_id": before,
        "to_owner_id": owner,
        "co_owner_ids": team,
        "assigned_at": at,
        "actor_kind": by.author.kind,
        "actor_id": by.author.id,
        "actor_label": by.author.label,
        "reason": reason,
    }
