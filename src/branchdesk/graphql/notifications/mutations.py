from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.notifications.types import Notification, NotificationKind, NotificationPreference
from branchdesk.notifications import service as inbox
from branchdesk.notifications.permissions import NOTIFICATION_READ
from branchdesk.platform.errors import NotFound


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] = strawberry.field(
        description="The caller's own notifications (1 to 100); any other id is not found, and nothing is marked."
    )


@strawberry.input
class SetNotificationPreferenceInput:
    kind: NotificationKind = strawberry.field(description="The kind of notification.")
    inbox: bool | None = strawberry.field(
        default=None, description="Keep it in the inbox (off: not stored, nor pushed); unchanged when null."
    )
    live: bool | None = strawberry.field(default=None, description="Push it live as it arrives; unchanged when null.")
    email_digest: bool | None = strawberry.field(
        default=None, description="Include it in the e-mail digest (a later release sends it); unchanged when null."
    )


async def _unread_now(root: MarkNotificationsReadPayload | MarkAllNotificationsReadPayload, info: Info) -> int | None:
    """The caller's unread count after the change (read only when asked for)."""
    if root.done is None:
        return None
    found: int = await info.context.call(inbox.unread_count)
    return found


@payload
class MarkNotificationsReadPayload:
    notifications: list[Notification] | None = strawberry.field(
        default=None, description="The notifications marked, newest first, each with its `readAt`."
    )
    unread_notification_count: int | None = strawberry.field(
        resolver=_unread_now, description="The caller's unread count after the change."
    )
    done: strawberry.Private[bool | None] = None


@payload
class MarkAllNotificationsReadPayload:
    marked: int | None = strawberry.field(default=None, description="How many were unread and are now read.")
    unread_notification_count: int | None = strawberry.field(
        resolver=_unread_now, description="The caller's unread count after the change: 0."
    )
    done: strawberry.Private[bool | None] = None


@payload
class SetNotificationPreferencePayload:
    preference: NotificationPreference | None = None


def _notification_uuid(value: strawberry.ID) -> uuid.UUID:
    from branchdesk.graphql.ids import node_uuid

    return node_uuid(value, "Notification", NotFound("Notification", "通知", field="ids"))


@strawberry.type
class Mutations:
    @p.mutation(
        NOTIFICATION_READ,
        "Mark some of the caller's notifications in the active branch read (those already read keep their time).",
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        async def mark(session: AsyncSession, by: Principal) -> dict[str, object]:
            ids = [_notification_uuid(value) for value in input.ids]
            marked = await inbox.mark_read(session, by, ids)
            return {"notifications": [Notification.of(n) for n in marked], "done": True}

        return await mutate(info, MarkNotificationsReadPayload, mark)

    @p.mutation(NOTIFICATION_READ, "Mark every unread notification of the caller's in the active branch read.")
    async def mark_all_notifications_read(self, info: Info) -> MarkAllNotificationsReadPayload:
        async def mark(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"marked": await inbox.mark_all_read(session, by), "done": True}

        return await mutate(info, MarkAllNotificationsReadPayload, mark)

    @p.mutation(
        NOTIFICATION_READ,
        "Set how the caller receives one kind of notification in the active branch: in the inbox, live, in "
        "the e-mail digest. A kind off for the inbox is not stored at all; off for live, it is stored, not pushed.",
    )
    async def set_notification_preference(
        self, info: Info, input: SetNotificationPreferenceInput
    ) -> SetNotificationPreferencePayload:
        async def set_(session: AsyncSession, by: Principal) -> dict[str, object]:
            kind = str(input.kind.value)
            found = await inbox.set_preference(
                session, by, kind, inbox=input.inbox, live=input.live, email_digest=input.email_digest
            )
            return {"preference": NotificationPreference.of(found)}

        return await mutate(info, SetNotificationPreferencePayload, set_)
