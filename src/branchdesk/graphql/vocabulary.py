"""Types that every domain's schema shares for the platform's own vocabulary: roles and permissions."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.graphql.labels import role_label


@strawberry.type(description="A role: its name, and its label in the caller's language.")
class RoleInfo:
    name: str = strawberry.field(description="The role's name, e.g. `teller`: what inputs that take a role accept.")

    @strawberry.field(description="Label in the caller's language (Accept-Language).")
    def label(self, info: Info) -> str:
        return role_label(self.name, info.context.locale)
