from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.second_factor.types import SecondFactorPolicy
from branchdesk.graphql.vocabulary import RoleInfo
from branchdesk.second_factor import service


@strawberry.type
class Queries:
    @p.field(p.SIGNED_IN, "Which roles must use a second factor at sign-in (head office's rule).")
    async def second_factor_policy(self, info: Info) -> SecondFactorPolicy | None:
        ctx = info.context
        roles = await ctx.run(service.required_roles)
        return SecondFactorPolicy(roles=[RoleInfo(name=r) for r in roles], enforced=ctx.settings.second_factor_enforced)
