"""The one way a root field declares who may call it.

``field``/``mutation``/``subscription`` take a permission (``resource:action``), ``SIGNED_IN`` (a valid token, any
branch) or ``PUBLIC``. The declaration is enforced before the resolver runs, stated in the field's
description, and kept in the field's metadata so tests can enumerate every operation's permission.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from branchdesk.access.registry import PERMISSIONS
from branchdesk.platform.errors import Forbidden

PUBLIC = "public"
SIGNED_IN = "signed-in"


class Declared(BasePermission):
    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if self.permission == PUBLIC:
            return True
        if self.permission == SIGNED_IN:
            if info.context.identity().staff_id is None:
                raise Forbidden(SIGNED_IN)  # a service account is not a member of staff
            return True
        info.context.principal().require(self.permission)
        return True


def _declare(permission: str, description: str) -> dict[str, Any]:
    if permission not in (PUBLIC, SIGNED_IN) and permission not in PERMISSIONS:
        raise ValueError(f"undeclared permission {permission!r}")
    needs = {
        PUBLIC: "Public: no sign-in needed.",
        SIGNED_IN: "Requires a signed-in staff member.",
    }.get(permission, f"Requires permission `{permission}`.")
    return {
        "description": f"{description}\n\n{needs}",
        "extensions": [PermissionExtension(permissions=[Declared(permission)], use_directives=False)],
        "metadata": {"permission": permission},
    }


def field(permission: str, description: str, **kwargs: Any) -> Any:
    return strawberry.field(**_declare(permission, description), **kwargs)


def mutation(permission: str, description: str, **kwargs: Any) -> Any:
    return strawberry.mutation(**_declare(permission, description), **kwargs)


def subscription(permission: str, description: str, **kwargs: Any) -> Any:
    """Checked when the subscription starts; its events are checked again as they are delivered
    (``graphql.live.events``)."""
    return strawberry.subscription(**_declare(permission, description), **kwargs)
