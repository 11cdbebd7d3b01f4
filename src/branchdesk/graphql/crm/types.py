"""GraphQL types of the CRM: the client profile, its routing card, the list's filters and orders."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.crm import rules
from branchdesk.crm import service as crm
from branchdesk.graphql.completion import prefetched
from branchdesk.graphql.inputs import text
from branchdesk.graphql.interactions.types import Interaction, InteractionConnection
from branchdesk.graphql.labels import graphql_enum
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import (
    Before,
    CountedConnection,
    Cursor,
    First,
    Last,
    OrderDirection,
    connection,
    page_request,
)
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.platform import lunar
from branchdesk.platform.masking import mask_address, mask_id_number, mask_phone

if TYPE_CHECKING:
    from branchdesk.graphql.care.types import FollowUpNode
    from branchdesk.graphql.feedback.types import FeedbackNode
    from branchdesk.graphql.handoffs.types import HandoffNode
    from branchdesk.graphql.holdings.types import HoldingConnection, HoldingOrder, Money
    from branchdesk.graphql.segments.types import ClientValueScore, ValueTier
    from branchdesk.graphql.surveys.types import SurveyResponseInfo
    from branchdesk.graphql.visits.types import VisitNode

ClientKind = graphql_enum(rules.ClientKind, "ClientKind", "An individual or a company.")
IdDocumentType = graphql_enum(rules.IdDocumentType, "IdDocumentType", "The kind of identity document.")
Gender = graphql_enum(rules.Gender, "Gender", "A client's gender.")
RiskGrade = graphql_enum(rules.RiskGrade, "RiskGrade", "Risk tolerance from the suitability assessment.")
KycStatus = graphql_enum(rules.KycStatus, "KycStatus", "Where the client's know-your-customer check stands.")
LifecycleStage = graphql_enum(rules.LifecycleStage, "LifecycleStage", "Where the client is in their relationship.")
ContactChannel = graphql_enum(rules.ContactChannel, "ContactChannel", "A way of contacting a client.")

_PII_NOTE = "Masked unless you hold `client.pii:read` (and may read the client at all); every unmasked read is audited."
_MASKS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}


@strawberry.type(description="A change of the client's owner or team: who made it, when and why.")
class ClientAssignmentEntry:
    assigned_at: datetime = strawberry.field(description="When.")
    reason: str = strawberry.field(description="Why, as the person who made it said.")
    acted_by: str = strawberry.field(description="Who made it (employee number and name, or the system).")
    from_owner_id: strawberry.Private[uuid.UUID | None]
    to_owner_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The owner before; null for the client's creation or a former member.")
    async def from_owner(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.from_owner_id)

    @strawberry.field(description="The owner after; null once they have left the branch.")
    async def to_owner(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.to_owner_id)


@strawberry.type(
    description="A lunar birthday (农历生日): a month and day of the Chinese calendar, without a year. In a year "
    "without that day it is kept on the month's 29th (for a 30th) or in the regular month (for a leap month). "
    "农历生日（不含年份）：当年该月只有二十九天时在二十九日，当年无此闰月时在同名的平月。"
)
class LunarBirthday:
    month: int = strawberry.field(description="Lunar month, 1 (正月) to 12 (腊月). 农历月份。")
    day: int = strawberry.field(description="Lunar day, 1 (初一) to 30 (三十). 农历日。")
    is_leap_month: bool = strawberry.field(description="In a leap month (闰月). 是否闰月。")
    label: str = strawberry.field(description="As written in Chinese, e.g. 闰四月初八, 八月十五. 中文写法。")

    @classmethod
    def of(cls, found: lunar.LunarBirthday) -> LunarBirthday:
        return cls(month=found.month, day=found.day, is_leap_month=found.leap, label=found.label_zh)


E = TypeVar("E", bound=Enum)


def _by_value(enum: type[E]) -> dict[str, E]:
    """An enum's members by stored value: a dict lookup, not ``Enum.__call__`` (~0.5 µs, eight a client of a page)."""
    return {member.value: member for member in enum}


_KIND, _ID_TYPE, _GENDER = _by_value(rules.ClientKind), _by_value(rules.IdDocumentType), _by_value(rules.Gender)
_RISK_GRADE, _KYC_STATUS = _by_value(rules.RiskGrade), _by_value(rules.KycStatus)
_CHANNEL, _LIFECYCLE = _by_value(rules.ContactChannel), _by_value(rules.LifecycleStage)


@strawberry.type(name="Client", description="A client of the branch (客户), as its owner and team see them.")
class Client(LoadedNode):
    node_loader = "client"
    id: relay.NodeID[str]
    client_number: str = strawberry.field(description="The core-banking client number (客户号), unique in the branch.")
    kind: ClientKind = strawberry.field(description="Individual or company.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="Full name, or the company's registered name.")
    id_type: IdDocumentType | None = strawberry.field(description="The identity document's kind.")  # type: ignore[valid-type]
    birthday: date | None = strawberry.field(description="Date of birth (from the resident ID when not given).")
    lunar_birthday: LunarBirthday | None = strawberry.field(
        description="The lunar birthday (农历生日) the client celebrates; null when not recorded. "
        "客户的农历生日，未登记时为空。"
    )
    gender: Gender | None = strawberry.field(description="Gender (from the resident ID when not given).")  # type: ignore[valid-type]
    occupation: str | None = strawberry.field(description="Occupation.")
    risk_grade: RiskGrade | None = strawberry.field(description="Risk tolerance, C1 to C5.")  # type: ignore[valid-type]
    risk_assessed_on: date | None = strawberry.field(description="When the risk tolerance was last assessed.")
    kyc_status: KycStatus = strawberry.field(description="The know-your-customer check.")  # type: ignore[valid-type]
    kyc_expires_on: date | None = strawberry.field(description="When the KYC check must be renewed.")
    consents: list[ContactChannel] = strawberry.field(description="Channels the client agreed to be contacted on.")  # type: ignore[valid-type]
    do_not_contact: bool = strawberry.field(description="The client asked not to be contacted for marketing at all.")
    preferred_language: str = strawberry.field(description="Language to serve the client in, e.g. zh-CN.")
    lifecycle: LifecycleStage = strawberry.field(description="Relationship stage.")  # type: ignore[valid-type]
    tags: list[str] = strawberry.field(description="Free tags, e.g. 代发工资.")
    notes: str | None = strawberry.field(description="Free notes of the client's team.")
    created_at: datetime = strawberry.field(description="When the client was recorded.")
    updated_at: datetime = strawberry.field(description="When the profile last changed.")
    last_contact_at: datetime | None = strawberry.field(
        description="When the client was last contacted (the latest interaction on the timeline); null if never."
    )
    aum_as_of: datetime | None = strawberry.field(
        description="When a holdings feed last changed the client's AUM; null before any feed."
    )
    owner_id: strawberry.Private[uuid.UUID]
    aum_cny: strawberry.Private[Decimal]  # read with the profile: the feed keeps it, never recomputed here
    team_ids: strawberry.Private[list[uuid.UUID]]
    # Read ahead by a list (its page's members in one batch), so that its nodes complete as plain values
    read_owner: strawberry.Private[tuple[StaffMember | None] | None] = None
    read_team: strawberry.Private[tuple[list[StaffMember]] | None] = None

    @classmethod
    def of(cls, found: crm.ClientProfile) -> Client:
        lunar_birthday = found.lunar_birthday
        return cls(
            id=str(found.id),
            client_number=found.client_number,
            kind=_KIND[found.kind],
            name=found.name,
            id_type=_ID_TYPE[found.id_type] if found.id_type else None,
            birthday=found.birthday,
            lunar_birthday=LunarBirthday.of(lunar_birthday) if lunar_birthday else None,
            gender=_GENDER[found.gender] if found.gender else None,
            occupation=found.occupation,
            risk_grade=_RISK_GRADE[found.risk_grade] if found.risk_grade else None,
            risk_assessed_on=found.risk_assessed_on,
            kyc_status=_KYC_STATUS[found.kyc_status],
            kyc_expires_on=found.kyc_expires_on,
            consents=[_CHANNEL[c] for c in found.consents],
            do_not_contact=found.do_not_contact,
            preferred_language=found.preferred_language,
            lifecycle=_LIFECYCLE[found.lifecycle],
            tags=list(found.tags),
            notes=found.notes,
            created_at=found.created_at,
            updated_at=found.updated_at,
            last_contact_at=found.last_contact_at,
            aum_as_of=found.aum_as_of,
            owner_id=found.owner_id,
            aum_cny=found.aum_cny,
            team_ids=list(found.team_ids),
        )

    async def _personal(self, info: Info, name: str) -> str | None:
        """Personal data is opened (in one batch per request) only when a response shows it."""
        found = await info.context.loaders.client_personal_data.load(uuid.UUID(self.id))
        value: str | None = getattr(found, name) if found is not None else None
        if value is None:
            return None
        if not crm.sees_unmasked(info.context.principal()):
            return _MASKS[name](value)
        await info.context.loaders.unmasked_read.load(("client", self.id))
        return value

    @strawberry.field(description=f"Mobile phone (11-digit mainland or E.164). {_PII_NOTE}")
    async def phone(self, info: Info) -> str | None:
        return await self._personal(info, "phone")

    @strawberry.field(description=f"ID document number. {_PII_NOTE}")
    async def id_number(self, info: Info) -> str | None:
        return await self._personal(info, "id_number")

    @strawberry.field(description=f"Address. {_PII_NOTE}")
    async def address(self, info: Info) -> str | None:
        return await self._personal(info, "address")

    @strawberry.field(description="The customer manager who owns the client; null once they have left the branch.")
    @prefetched("read_owner")
    async def owner(self, info: Info) -> StaffMember | None:
        if self.read_owner is not None:
            return self.read_owner[0]
        return await member_or_none(info, self.owner_id)

    @strawberry.field(description="Co-owners who serve the client with its owner (the client's team).")
    @prefetched("read_team")
    async def team(self, info: Info) -> list[StaffMember]:
        if self.read_team is not None:
            return self.read_team[0]
        members = await info.context.loaders.member.load_many(self.team_ids)
        return [m for m in members if m is not None]

    @strawberry.field(description="Changes of owner and team, oldest first.")
    async def assignment_history(self, info: Info) -> list[ClientAssignmentEntry]:
        entries: list[ClientAssignmentEntry] = await info.context.loaders.client_assignments.load(uuid.UUID(self.id))
        return entries

    @strawberry.field(description="The client's timeline: calls, visits, messages, meetings and notes, newest first.")
    async def interactions(
        self, info: Info, first: First = None, after: Cursor = None, last: Last = None, before: Before = None
    ) -> InteractionConnection:
        ctx, client_id = info.context, uuid.UUID(self.id)
        request = page_request(ctx.settings, first, after, last, before, direction=OrderDirection.DESC)
        page = await ctx.loaders.client_interactions.load((client_id, request))
        return connection(
            page,
            Interaction.of,
            InteractionConnection,
            total=lambda: ctx.loaders.client_interaction_count.load(client_id),
        )

    @strawberry.field(
        description="Feedback and complaints about the client, newest first (empty without `feedback:read`)."
    )
    async def feedback(
        self, info: Info
    ) -> list[Annotated[FeedbackNode, strawberry.lazy("branchdesk.graphql.feedback.types")]]:
        found: list[FeedbackNode] = await info.context.loaders.client_feedback.load(uuid.UUID(self.id))
        return found

    @strawberry.field(
        description="The client's care follow-ups you may see (your own; all with `follow_up:manage`), latest due "
        "first."
    )
    async def follow_ups(
        self, info: Info
    ) -> list[Annotated[FollowUpNode, strawberry.lazy("branchdesk.graphql.care.types")]]:
        found: list[FollowUpNode] = await info.context.loaders.client_follow_ups.load(uuid.UUID(self.id))
        return found

    @strawberry.field(description="The client's value tier (客户等级) from the last scoring run; null until scored.")
    async def tier(
        self, info: Info
    ) -> Annotated[ValueTier, strawberry.lazy("branchdesk.graphql.segments.types")] | None:
        from branchdesk.graphql.segments.types import client_tier

        return await client_tier(info, uuid.UUID(self.id))

    @strawberry.field(description="RFM quintiles within the branch from the last scoring run; null until scored.")
    async def value_score(
        self, info: Info
    ) -> Annotated[ClientValueScore, strawberry.lazy("branchdesk.graphql.segments.types")] | None:
        from branchdesk.graphql.segments.types import client_value_score

        return await client_value_score(info, uuid.UUID(self.id))

    @strawberry.field(
        description="The client's holdings as core banking last fed them, by reference unless `orderBy` says otherwise."
    )
    async def holdings(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[HoldingOrder, strawberry.lazy("branchdesk.graphql.holdings.types")] | None = None,
    ) -> Annotated[HoldingConnection, strawberry.lazy("branchdesk.graphql.holdings.types")]:
        from branchdesk.graphql.holdings.types import Holding, HoldingConnection, HoldingOrderField

        ctx, client_id = info.context, uuid.UUID(self.id)
        field = order_by.field if order_by is not None else HoldingOrderField.REFERENCE
        direction = order_by.direction if order_by is not None else OrderDirection.ASC
        request = page_request(ctx.settings, first, after, last, before, order_by=str(field.value), direction=direction)
        page = await ctx.loaders.client_holdings.load((client_id, request))
        return connection(
            page, Holding.of, HoldingConnection, total=lambda: ctx.loaders.client_holding_count.load(client_id)
        )

    @strawberry.field(
        description="Assets under management in CNY: the active holdings (loans excepted) converted with the feed's "
        "rates, as the last holdings feed set it (never recomputed per request)."
    )
    def aum(self) -> Annotated[Money, strawberry.lazy("branchdesk.graphql.holdings.types")]:
        from branchdesk.graphql.holdings.types import Money

        return Money.of(self.aum_cny, "CNY")

    @strawberry.field(description="The client's survey responses, newest first (empty without `survey:read`).")
    async def survey_responses(
        self, info: Info
    ) -> list[Annotated[SurveyResponseInfo, strawberry.lazy("branchdesk.graphql.surveys.types")]]:
        found: list[SurveyResponseInfo] = await info.context.loaders.client_survey_responses.load(uuid.UUID(self.id))
        return found

    @strawberry.field(description="The client's walk-in visits, newest first (empty without `visit:read`).")
    async def visits(
        self, info: Info
    ) -> list[Annotated[VisitNode, strawberry.lazy("branchdesk.graphql.visits.types")]]:
        found: list[VisitNode] = await info.context.loaders.client_visits.load(uuid.UUID(self.id))
        return found

    @strawberry.field(description="Handoffs about the client that you may see, newest first.")
    async def handoffs(
        self, info: Info
    ) -> list[Annotated[HandoffNode, strawberry.lazy("branchdesk.graphql.handoffs.types")]]:
        found: list[HandoffNode] = await info.context.loaders.client_handoffs.load(uuid.UUID(self.id))
        return found


@strawberry.type(
    description="What a teller or lobby manager sees of a client to guide them (分流卡片): no profile, no "
    "personal data."
)
class ClientRoutingCard:
    masked_name: str = strawberry.field(description="The name, masked: 王** or the first characters of a company.")
    lifecycle: LifecycleStage = strawberry.field(description="Relationship stage.")  # type: ignore[valid-type]
    owner_id: strawberry.Private[uuid.UUID]
    client_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, card: crm.RoutingCard) -> ClientRoutingCard:
        return cls(
            masked_name=card.masked_name,
            lifecycle=rules.LifecycleStage(card.lifecycle),
            owner_id=card.owner_id,
            client_id=card.client_id,
        )

    @strawberry.field(
        name="clientId",
        description="The client's id, to name them when queueing or referring them (`registerVisit`, "
        "`raiseHandoff`); reading the profile with it still needs `client:read` and the client in scope.",
    )
    def global_client_id(self) -> strawberry.ID:
        return strawberry.ID(relay.to_base64("Client", self.client_id))

    @strawberry.field(description="The client's value tier, to serve them at the right desk; null until scored.")
    async def tier(
        self, info: Info
    ) -> Annotated[ValueTier, strawberry.lazy("branchdesk.graphql.segments.types")] | None:
        from branchdesk.graphql.segments.types import client_tier

        return await client_tier(info, self.client_id)

    @strawberry.field(description="Open work items for the client: its open handoffs (submitted, accepted, started).")
    async def open_work(self, info: Info) -> int:
        found: int = await info.context.loaders.client_open_work.load(self.client_id)
        return found

    @strawberry.field(description="The customer manager to hand the client to; null once they have left.")
    async def owner(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.owner_id)


@strawberry.type(name="ClientConnection", description="A page of clients.")
class ClientConnection(CountedConnection[Client]):
    pass


@strawberry.enum(description="What a client list is sorted by.")
class ClientOrderField(Enum):
    NAME = strawberry.enum_value("name", description="Name; ties broken by id.")
    CLIENT_NUMBER = strawberry.enum_value("client_number", description="Client number.")
    CREATED_AT = strawberry.enum_value("created_at", description="When the client was recorded; ties by id.")


@strawberry.input(description="How a client list is sorted.")
class ClientOrder:
    field: ClientOrderField = ClientOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Which clients a list shows (all given conditions hold); within your data scope.")
class ClientFilter:
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Only this manager's clients.")
    lifecycle: LifecycleStage | None = strawberry.field(default=None, description="Only this stage.")  # type: ignore[valid-type]
    tag: str | None = text("Only clients with this tag.", max_length=40, default=None)
    kyc_expiring_before: date | None = strawberry.field(
        default=None, description="Only clients whose KYC expires before this date."
    )
    birthday_within_days: int | None = strawberry.field(
        default=None, description="Only clients whose birthday falls today or in the next N days (0 to 366)."
    )
    phone: str | None = text("Exactly this phone (either 13812345678 or +8613812345678).", max_length=20, default=None)
    id_number: str | None = text("Exactly this ID document number.", max_length=40, default=None)
    name_prefix: str | None = text("Names starting with this.", max_length=200, default=None)
    tier: str | None = text("Only clients in this value tier (its code, see `tiers`).", max_length=30, default=None)
