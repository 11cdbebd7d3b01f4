"""Batched reads of the inbox."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.loaders import loader
from branchdesk.graphql.notifications.types import Notification
from branchdesk.notifications import service as inbox

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("notification")
async def notifications(ctx: Context, ids: list[uuid.UUID]) -> list[Notification | None]:
    found = {n.id: n for n in await ctx.call(inbox.notifications_by_id, ids)}
    return [Notification.of(found[i]) if i in found else None for i in ids]
