from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.notifications.types import (
    Notification,
    NotificationConnection,
    NotificationOrder,
    NotificationPreference,
)
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.notifications import service as inbox
from branchdesk.notifications.permissions import NOTIFICATION_READ


@strawberry.type
class Queries:
    @p.field(
        NOTIFICATION_READ,
        "The caller's own notifications in the active branch, newest first unless `orderBy` says otherwise. "
        "A client that reconnects asks for what it missed with `orderBy: {direction: ASC}, after: <the "
        "newest cursor it holds>` (or, newest first, `before:` it).",
    )
    async def notifications(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        unread_only: Annotated[bool, strawberry.argument(description="Only those not read yet.")] = False,
        order_by: NotificationOrder | None = None,
    ) -> NotificationConnection | None:
        ctx = info.context
        order = order_by or NotificationOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(inbox.list_notifications, request, unread_only)
        return connection(
            page,
            Notification.of,
            NotificationConnection,
            total=lambda: ctx.call(inbox.count_notifications, unread_only),
        )

    @p.field(NOTIFICATION_READ, "How many of the caller's notifications in the active branch are unread.")
    async def unread_notification_count(self, info: Info) -> int | None:
        found: int = await info.context.call(inbox.unread_count)
        return found

    @p.field(
        NOTIFICATION_READ,
        "How the caller receives each kind of notification in the active branch (every channel on unless set).",
    )
    async def notification_preferences(self, info: Info) -> list[NotificationPreference] | None:
        return [NotificationPreference.of(found) for found in await info.context.call(inbox.preferences)]
