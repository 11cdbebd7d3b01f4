from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import live
from branchdesk.graphql import permissions as p
from branchdesk.graphql.notifications.types import Notification
from branchdesk.notifications import service as inbox
from branchdesk.notifications.permissions import NOTIFICATION_READ
from branchdesk.platform.events import Event


@strawberry.type
class Subscriptions:
    @p.subscription(
        NOTIFICATION_READ,
        "Each notification raised for the caller in the active branch, as it commits, whichever API or worker "
        "process raised it (kinds switched off for live are not pushed). Only the subscriber's own: nobody "
        "else's ever arrives. After a reconnect, read what was missed with `notifications(after:)`.",
    )
    async def notification_added(self, info: Info) -> AsyncGenerator[Notification, None]:
        ctx = info.context
        staff = str(ctx.staff_id)
        topics = frozenset({inbox.ADDED})
        own = live.delivered(info, topics, NOTIFICATION_READ, _read, wanted=lambda e: e.data.get("staff") == staff)
        async for found in own:
            yield found


async def _read(session: AsyncSession, by: Principal, event: Event) -> Notification | None:
    """The event's notification as the subscriber may see it now (built before the session ends)."""
    found = await inbox.notifications_by_id(session, by, [uuid.UUID(event.data["id"])])
    return Notification.of(found[0]) if found else None
