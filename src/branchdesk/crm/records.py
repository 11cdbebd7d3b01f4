"""Recording and changing clients: every field checked (all problems reported together), personal data
sealed before it is written, the owner and team members of the branch, the history of who owns a client.

Writes apply the caller's ``client:write`` scope like reads apply ``client:read``: a client outside it is
not found; below branch scope, one cannot record a client one would not see.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.registry import DataScope
from branchdesk.crm import errors, repository
from branchdesk.crm.models import Client
from branchdesk.crm.permissions import CLIENT_WRITE
from branchdesk.crm.rules import (
    CHANNEL_ZH,
    NEEDS_PHONE,
    IdDocumentType,
    lunar_birthday_problems,
    normalise_id_number,
    normalise_phone,
    parse_resident_id,
    phone_search_key,
)
from branchdesk.crm.service import (
    ADDRESS,
    DRAFT_FIELDS,
    ID_NUMBER,
    PHONE,
    ClientDraft,
    ClientProfile,
    clients_by_id,
    reader,
)
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import DataKeyRing, data_keys
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.lunar import LunarBirthday

LUNAR_COLUMNS = ("lunar_birth_month", "lunar_birth_day", "lunar_birth_leap")


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
            # ``_value_``: an enum member's value without the ``value`` property's descriptor call
            values[name] = value._value_ if isinstance(value, Enum) else value
    if "lunar_birthday" in given:
        lunar = draft.lunar_birthday
        values |= dict(zip(LUNAR_COLUMNS, (lunar.month, lunar.day, lunar.leap) if lunar else (None,) * 3, strict=True))
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


def complete_draft(state: dict[str, Any], problems: list[DomainError], check_lunar: bool = True) -> None:
    """Rules across fields, on the client as it will be: ID number against its type, birthday and gender
    from a resident ID, the lunar birthday against the year of birth (``check_lunar``: when either is
    given), consent against do-not-contact and a phone on record."""
    id_type, number = state.get("id_type"), state.get("id_number")
    if id_type and not number:
        problems.append(DomainError(errors.ID_NUMBER_REQUIRED, field="idNumber"))
    elif id_type and number:
        try:
            if id_type != IdDocumentType.RESIDENT_ID:
                state["id_number"] = normalise_id_number(IdDocumentType(id_type), number)
            else:
                parsed = parse_resident_id(number)
                state["id_number"] = parsed.number
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
    month, day, leap = (state.get(c) for c in LUNAR_COLUMNS)
    if check_lunar and month is not None and day is not None:
        problems += lunar_birthday_problems(LunarBirthday(month, day, bool(leap)), state.get("birthday"))
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
        "address_hash": ring.digest(ADDRESS, address),
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
    if number and await _number_taken_locked(session, by.branch_id, number):
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


async def _number_taken_locked(
    session: AsyncSession, branch_id: uuid.UUID, number: str, but: uuid.UUID | None = None
) -> bool:
    """Whether another client has the number, asked while holding it (see ``lock_client_number``)."""
    await repository.lock_client_number(session, branch_id, number)
    return await repository.client_number_taken(session, branch_id, number, but=but)


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
    kept = ("id_type", "birthday", "gender", "consents", "do_not_contact", *LUNAR_COLUMNS)
    state = {c: getattr(client, c) for c in kept}
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
    complete_draft(state, problems, check_lunar=bool(changes.keys() & {*LUNAR_COLUMNS, "birthday", "id_number"}))
    number = (changes.get("client_number") or "").strip()
    if "client_number" in changes:
        if not number:
            problems.append(DomainError(errors.CLIENT_NUMBER_TAKEN, field="clientNumber", number=""))
        elif await _number_taken_locked(session, by.branch_id, number, but=client.id):
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
