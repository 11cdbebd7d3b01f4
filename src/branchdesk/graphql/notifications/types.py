"""GraphQL types of the inbox: a notification, its kind (an enum built from the declared kinds) and a
staff member's preference per kind."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.labels import localized
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.vocabulary import enum_name, registry_enum
from branchdesk.notifications import models
from branchdesk.notifications import service as inbox_service
from branchdesk.notifications.kinds import KINDS, SHIPPED

NotificationKind: Any = registry_enum(
    "NotificationKind",
    "What a notification is about, as the domains that raise them declare it (English · 中文).",
    {code: f"{kind.en} · {kind.zh} (`{code}`)" for code, kind in sorted(SHIPPED.items())},
)


def kind_of(code: str) -> Any:
    """The enum value of a kind; None for one this version does not ship (retired, or a test's)."""
    return NotificationKind[enum_name(code)] if code in SHIPPED else None


@strawberry.type(name="Notification", description="Something a member of staff should know, in their inbox.")
class Notification(LoadedNode):
    node_loader = "notification"
    id: relay.NodeID[str]
    kind: NotificationKind | None = strawberry.field(
        description="What it is about; null for a kind this version no longer declares."
    )
    title: str = strawberry.field(description="One line, in the language it was raised in.")
    body: str = strawberry.field(description="The details; may be empty.")
    subject_type: str | None = strawberry.field(
        description="What it concerns, for the app to open: `handoff`, `client`, `directive`…; null for nothing."
    )
    subject_id: str | None = strawberry.field(description="The id of what it concerns (a UUID); null for nothing.")
    created_at: datetime = strawberry.field(description="When it was raised.")
    read_at: datetime | None = strawberry.field(
        description="When its recipient first marked it read; null while unread."
    )
    code: strawberry.Private[str]

    @classmethod
    def of(cls, found: models.Notification) -> Notification:
        return cls(
            id=str(found.id),
            kind=kind_of(found.kind),
            title=found.title,
            body=found.body,
            subject_type=found.subject_type,
            subject_id=str(found.subject_id) if found.subject_id else None,
            created_at=found.created_at,
            read_at=found.read_at,
            code=found.kind,
        )

    @strawberry.field(description="Whether it has been read.")
    def read(self) -> bool:
        return self.read_at is not None

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: Info) -> str:
        declared = KINDS.get(self.code)
        return localized(declared.en, declared.zh, info.context.locale) if declared else self.code


@strawberry.type(name="NotificationConnection", description="A page of the caller's notifications.")
class NotificationConnection(CountedConnection[Notification]):
    pass


@strawberry.enum(description="What the caller's notifications are sorted by.")
class NotificationOrderField(Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When each was raised (ties cannot happen).")


@strawberry.input(
    description="How notifications are sorted: newest first by default; `{direction: ASC}` with `after` reads "
    "what arrived since a cursor."
)
class NotificationOrder:
    field: NotificationOrderField = NotificationOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.type(description="How the caller receives one kind of notification in the active branch.")
class NotificationPreference:
    kind: NotificationKind = strawberry.field(description="The kind.")
    inbox: bool = strawberry.field(description="Kept in the inbox; off: not stored at all (nor pushed).")
    live: bool = strawberry.field(description="Pushed to `notificationAdded` as it arrives.")
    email_digest: bool = strawberry.field(description="Included in the e-mail digest (sent in a later release).")
    code: strawberry.Private[str]

    @classmethod
    def of(cls, found: inbox_service.Preference) -> NotificationPreference:
        return cls(
            kind=kind_of(found.kind),
            inbox=found.inbox,
            live=found.live,
            email_digest=found.email_digest,
            code=found.kind,
        )

    @strawberry.field(description="The kind in the caller's language.")
    def kind_label(self, info: Info) -> str:
        declared = KINDS[self.code]
        return localized(declared.en, declared.zh, info.context.locale)


def notification_uuid(value: str) -> uuid.UUID | None:
    try:
        gid = relay.GlobalID.from_id(value)
    except (ValueError, TypeError):
        return None
    if gid.type_name != "Notification":
        return None
    try:
        return uuid.UUID(gid.node_id)
    except ValueError:
        return None
