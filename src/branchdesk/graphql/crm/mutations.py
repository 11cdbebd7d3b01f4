from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.crm import portfolios, records, rules
from branchdesk.crm import service as crm
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
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
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.platform.lunar import LunarBirthday

UNSET: Any = strawberry.UNSET


@strawberry.input(
    description="A lunar birthday (农历生日) as the client keeps it, without a year. With the solar birthday known, "
    "a 30th or a leap month the year of birth did not have is refused. 农历生日（不含年份），已登记公历生日时，"
    "出生当年没有的三十日或闰月会被拒绝。"
)
class LunarBirthdayInput:
    month: int = strawberry.field(description="Lunar month, 1 (正月) to 12 (腊月). 农历月份。")
    day: int = strawberry.field(description="Lunar day, 1 (初一) to 30 (三十). 农历日。")
    is_leap_month: bool = strawberry.field(default=False, description="In a leap month (闰月). 是否闰月。")

    def value(self) -> LunarBirthday:
        return LunarBirthday(self.month, self.day, self.is_leap_month)


@strawberry.input(description="A new client. Personal data is encrypted at rest and found by exact match only.")
class CreateClientInput:
    client_number: str = text("The core-banking client number (客户号), unique in the branch.", max_length=40)
    name: str = text("Full name, or the company's registered name.", max_length=200)
    kind: ClientKind = strawberry.field(default=rules.ClientKind.INDIVIDUAL, description="Individual or company.")
    id_type: IdDocumentType | None = strawberry.field(default=None, description="The identity document's kind.")
    id_number: str | None = text(
        "The document's number; a resident ID is checked (GB 11643 check character).", max_length=40, default=None
    )
    phone: str | None = text("An 11-digit mainland mobile, or E.164 (+852…).", max_length=20, default=None)
    address: str | None = text("Address.", max_length=300, default=None)
    birthday: date | None = strawberry.field(
        default=None, description="Date of birth; from a resident ID if not given."
    )
    lunar_birthday: LunarBirthdayInput | None = strawberry.field(
        default=None, description="The lunar birthday (农历生日) the client celebrates. 农历生日。"
    )
    gender: Gender | None = strawberry.field(default=None, description="Gender; from a resident ID if not given.")
    occupation: str | None = text("Occupation.", max_length=100, default=None)
    risk_grade: RiskGrade | None = strawberry.field(default=None, description="Risk tolerance, C1 to C5.")
    risk_assessed_on: date | None = strawberry.field(default=None, description="When it was assessed.")
    kyc_status: KycStatus = strawberry.field(default=rules.KycStatus.PENDING, description="The KYC check.")
    kyc_expires_on: date | None = strawberry.field(default=None, description="When the KYC check must be renewed.")
    consents: list[ContactChannel] = strawberry.field(
        default_factory=list, description="Channels the client agrees to be contacted on."
    )
    do_not_contact: bool = strawberry.field(default=False, description="The client asks not to be contacted.")
    preferred_language: str = text("e.g. zh-CN, en.", max_length=10, default="zh-CN")
    lifecycle: LifecycleStage = strawberry.field(
        default=rules.LifecycleStage.PROSPECT, description="Relationship stage."
    )
    tags: list[str] = text("Free tags.", max_length=40, each=True, default_factory=list)
    notes: str | None = text("Free notes.", max_length=2000, default=None)
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The owning customer manager (a `StaffMember` id); default: you."
    )
    co_owner_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Co-owners: the client's team beside its owner."
    )


@strawberry.input(description="Changes to a client: only the fields given change; null clears an optional field.")
class UpdateClientInput:
    id: strawberry.ID = strawberry.field(description="The client.")
    client_number: str | None = text("The core-banking client number.", max_length=40, default=UNSET)
    name: str | None = text("Full name.", max_length=200, default=UNSET)
    kind: ClientKind | None = strawberry.field(default=UNSET, description="Individual or company.")
    id_type: IdDocumentType | None = strawberry.field(default=UNSET, description="The document's kind.")
    id_number: str | None = text("The document's number.", max_length=40, default=UNSET)
    phone: str | None = text("Mobile phone.", max_length=20, default=UNSET)
    address: str | None = text("Address.", max_length=300, default=UNSET)
    birthday: date | None = strawberry.field(default=UNSET, description="Date of birth.")
    lunar_birthday: LunarBirthdayInput | None = strawberry.field(
        default=UNSET, description="The lunar birthday (农历生日); null clears it. 农历生日，传 null 清除。"
    )
    gender: Gender | None = strawberry.field(default=UNSET, description="Gender.")
    occupation: str | None = text("Occupation.", max_length=100, default=UNSET)
    risk_grade: RiskGrade | None = strawberry.field(default=UNSET, description="Risk tolerance.")
    risk_assessed_on: date | None = strawberry.field(default=UNSET, description="When it was assessed.")
    kyc_status: KycStatus | None = strawberry.field(default=UNSET, description="The KYC check.")
    kyc_expires_on: date | None = strawberry.field(default=UNSET, description="When the KYC check expires.")
    consents: list[ContactChannel] | None = strawberry.field(
        default=UNSET, description="Channels the client agrees to (replaces the list)."
    )
    do_not_contact: bool | None = strawberry.field(default=UNSET, description="The client asks not to be contacted.")
    preferred_language: str | None = text("e.g. zh-CN.", max_length=10, default=UNSET)
    lifecycle: LifecycleStage | None = strawberry.field(default=UNSET, description="Relationship stage.")
    tags: list[str] | None = text("Free tags (replaces the list).", max_length=40, each=True, default=UNSET)
    notes: str | None = text("Free notes.", max_length=2000, default=UNSET)


@strawberry.input(description="Give clients to another customer manager: those listed, or a manager's whole portfolio.")
class AssignClientsInput:
    to_owner_id: strawberry.ID = strawberry.field(description="The new owner (a `StaffMember` id).")
    reason: str = text("Why; kept in each client's assignment history.", max_length=500)
    client_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The clients to move (all must be in your scope, or none moves)."
    )
    from_owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Instead of `clientIds`: every client of this manager that your scope reaches."
    )
    co_owner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="When given, the moved clients' team becomes exactly these co-owners."
    )


# Fields that can be cleared with null; the others keep their value when null is sent.
_CLEARABLE = frozenset(
    {
        "id_type", "id_number", "phone", "address", "birthday", "gender", "occupation", "risk_grade",
        "risk_assessed_on", "kyc_expires_on", "notes", "lunar_birthday",
    }
)  # fmt: skip
_ENUMS = {
    "kind": rules.ClientKind,
    "id_type": rules.IdDocumentType,
    "gender": rules.Gender,
    "risk_grade": rules.RiskGrade,
    "kyc_status": rules.KycStatus,
    "lifecycle": rules.LifecycleStage,
}


def _draft(input: CreateClientInput | UpdateClientInput) -> tuple[crm.ClientDraft, frozenset[str]]:
    """The service's draft, and the fields the caller gave."""
    draft = crm.ClientDraft()
    given = set()
    for name in crm.DRAFT_FIELDS - {"owner_id", "co_owner_ids"}:
        value = getattr(input, name, UNSET)
        if value is UNSET or (value is None and name not in _CLEARABLE):
            continue
        if name in _ENUMS and value is not None:
            value = _ENUMS[name](value.value if hasattr(value, "value") else value)
        if isinstance(value, LunarBirthdayInput):
            value = value.value()
        if name == "consents":
            value = [rules.ContactChannel(c.value if hasattr(c, "value") else c) for c in value]
        setattr(draft, name, value)
        given.add(name)
    return draft, frozenset(given)


async def _client_now(root: ClientPayload, info: Info) -> Client | None:
    """The client after the change, as the caller may see it (null if it left their scope)."""
    if root.client_id is None:
        return None
    found: Client | None = await info.context.loaders.client.load(root.client_id)
    return found


@payload
class ClientPayload:
    client: Client | None = strawberry.field(resolver=_client_now, description="The client after the change.")
    client_id: strawberry.Private[uuid.UUID | None] = None


async def _moved_now(root: AssignClientsPayload, info: Info) -> list[Client] | None:
    if root.client_ids is None:
        return None
    found = await info.context.loaders.client.load_many(root.client_ids)
    return [c for c in found if c is not None]


@payload
class AssignClientsPayload:
    moved: int | None = strawberry.field(default=None, description="How many clients changed owner.")
    clients: list[Client] | None = strawberry.field(
        resolver=_moved_now, description="The moved clients that you can still see (at most 100)."
    )
    client_ids: strawberry.Private[list[uuid.UUID] | None] = None


@strawberry.type
class Mutations:
    @p.mutation("client:write", "Record a new client of the active branch.")
    async def create_client(self, info: Info, input: CreateClientInput) -> ClientPayload:
        draft, _ = _draft(input)

        async def create(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft.owner_id = staff_uuid(input.owner_id, "ownerId") if input.owner_id is not None else None
            draft.co_owner_ids = [staff_uuid(i, "coOwnerIds") for i in input.co_owner_ids]
            return {"client_id": (await records.create_client(session, by, draft)).id}

        return await mutate(info, ClientPayload, create)

    @p.mutation("client:write", "Change a client in your data scope (others are not found).")
    async def update_client(self, info: Info, input: UpdateClientInput) -> ClientPayload:
        draft, given = _draft(input)

        async def update(session: AsyncSession, by: Principal) -> dict[str, object]:
            client_id = client_uuid(input.id)
            return {"client_id": (await records.update_client(session, by, client_id, draft, given)).id}

        return await mutate(info, ClientPayload, update)

    @p.mutation(
        "client:assign",
        "Give one client, a list, or a manager's whole portfolio to another customer manager, keeping the history "
        "(who, when, why). Clients outside your data scope are not found.",
    )
    async def assign_clients(self, info: Info, input: AssignClientsInput) -> AssignClientsPayload:
        async def assign(session: AsyncSession, by: Principal) -> dict[str, object]:
            to_owner = staff_uuid(input.to_owner_id, "toOwnerId")
            client_ids = (
                [client_uuid(i, "clientIds") for i in input.client_ids] if input.client_ids is not None else None
            )
            from_owner = staff_uuid(input.from_owner_id, "fromOwnerId") if input.from_owner_id is not None else None
            team = [staff_uuid(i, "coOwnerIds") for i in input.co_owner_ids] if input.co_owner_ids is not None else None
            moved = await portfolios.assign_clients(
                session,
                by,
                client_ids=client_ids,
                from_owner_id=from_owner,
                to_owner_id=to_owner,
                co_owner_ids=team,
                reason=input.reason,
            )
            return {"moved": len(moved), "client_ids": moved[:100]}

        return await mutate(info, AssignClientsPayload, assign)
