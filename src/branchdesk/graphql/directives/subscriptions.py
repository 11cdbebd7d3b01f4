from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.directives import service as directives
from branchdesk.directives.permissions import DIRECTIVE_READ
from branchdesk.graphql import live
from branchdesk.graphql import permissions as p
from branchdesk.graphql.directives.types import Directive
from branchdesk.platform.events import Event


@strawberry.type
class Subscriptions:
    @p.subscription(
        DIRECTIVE_READ,
        "Each directive head office publishes (a correction included) that reaches the active branch, as it "
        "commits; in head office, every one.",
    )
    async def directive_published(self, info: Info) -> AsyncGenerator[Directive, None]:
        topics = frozenset({directives.PUBLISHED})
        async for found in live.delivered(info, topics, DIRECTIVE_READ, _read, shared=directives.oversees):
            yield found


async def _read(session: AsyncSession, by: Principal, event: Event) -> Directive | None:
    """The announced directive if it reaches the subscriber's branch (built before the session ends)."""
    found = await directives.published(session, by, event)
    return Directive.of(found) if found else None
