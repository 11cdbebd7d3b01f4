from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from branchdesk.directives import service as directives
from branchdesk.directives.permissions import DIRECTIVE_READ
from branchdesk.graphql import live
from branchdesk.graphql import permissions as p
from branchdesk.graphql.directives.types import Directive


@strawberry.type
class Subscriptions:
    @p.subscription(
        DIRECTIVE_READ,
        "Each directive head office publishes (a correction included) that reaches the active branch, as it "
        "commits; in head office, every one.",
    )
    async def directive_published(self, info: Info) -> AsyncGenerator[Directive, None]:
        async for found in live.delivered(
            info, frozenset({directives.PUBLISHED}), DIRECTIVE_READ, directives.published
        ):
            yield Directive.of(found)
