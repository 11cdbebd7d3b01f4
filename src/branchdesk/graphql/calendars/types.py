"""GraphQL types of the business calendar: head-office calendar entries and branch closures."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info
from strawberry.types.enum import has_enum_definition

from branchdesk.calendars import models
from branchdesk.graphql.labels import localized
from branchdesk.graphql.nodes import LoadedNode

HolidayKind = strawberry.enum(
    models.CalendarDayKind,
    name="HolidayKind",
    description="What a head-office calendar entry makes of its day.",
)
assert has_enum_definition(HolidayKind)
for _value in HolidayKind.__strawberry_definition__.values:
    _value.description = " · ".join(models.KIND_LABELS[models.CalendarDayKind(_value.value)])


@strawberry.type(
    description="One day of the head-office calendar: a holiday, or a make-up working day (调休上班) on which "
    "branches open with a normal weekday's hours."
)
class Holiday:
    date: date = strawberry.field(description="The day.")
    kind: HolidayKind = strawberry.field(description="Holiday or make-up working day.")  # type: ignore[valid-type]
    region: str = strawberry.field(
        description="Whose calendar: `CN` (mainland), `HK`, `GB`, a subdivision such as `CN-XZ`, or `ALL` for "
        "every branch."
    )
    name_zh: str = strawberry.field(description="Name in Chinese, e.g. 春节.")
    name_en: str = strawberry.field(description="Name in English, e.g. Spring Festival.")

    @strawberry.field(description="The name in the caller's language (Accept-Language).")
    def name(self, info: Info) -> str:
        return localized(self.name_en, self.name_zh, info.context.locale)

    @classmethod
    def from_model(cls, day: models.CalendarDay) -> Holiday:
        return cls(date=day.day, kind=day.kind, region=day.region, name_zh=day.name_zh, name_en=day.name_en)


@strawberry.type(name="BranchClosure", description="Days the branch is closed of its own accord (both ends included).")
class BranchClosure(LoadedNode):
    node_loader = "branch_closure"
    id: relay.NodeID[str]
    starts_on: date = strawberry.field(description="First closed day, local date.")
    ends_on: date = strawberry.field(description="Last closed day, local date.")
    reason: str = strawberry.field(description="Why, e.g. renovation or a local holiday.")

    @classmethod
    def from_model(cls, closure: models.BranchClosure) -> BranchClosure:
        return cls(id=str(closure.id), starts_on=closure.starts_on, ends_on=closure.ends_on, reason=closure.reason)
