"""Types that every domain's schema shares for the platform's own vocabulary: roles, permissions, their
scopes and weekdays. The enums are built from the registries when the schema is built, like ErrorCode:
a permission declared in a domain's ``permissions.py`` is a value of ``Permission`` at the next export.

Role names stay strings inside objects (``RoleInfo``: name and label): head office can define roles of
its own, which no enum built from code could list. Inputs keep taking role and permission strings
(``client.pii:read``): accepting only the enum would break every client that sends them today.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.types import Info

from branchdesk.access.policy import DIRECT
from branchdesk.access.registry import PERMISSIONS, DataScope, Scope, data_scoped
from branchdesk.graphql.labels import localized, permission_label, role_label
from branchdesk.tenants.service import WEEKDAYS


def enum_name(value: str) -> str:
    """A GraphQL enum value's name for a registry string: ``client.pii:read`` → ``CLIENT_PII_READ``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper()


def registry_enum(name: str, description: str, values: dict[str, str]) -> Any:
    """A strawberry enum of registry strings (value → its description), named by :func:`enum_name`."""
    members = {enum_name(value): strawberry.enum_value(value, description=text) for value, text in values.items()}
    if len(members) != len(values):
        raise ValueError(f"two values of {name} map to the same enum name")
    built: type[enum.Enum] = enum.Enum(name, members)  # type: ignore[misc]
    return strawberry.enum(built, description=description)


Permission = registry_enum(
    "Permission",
    "Every permission the platform declares. The value's description is its label (English · 中文) "
    "and the `resource:action` string that inputs take.",
    {p.name: f"{p.en} · {p.zh} (`{p.name}`)" for p in sorted(PERMISSIONS.values(), key=lambda p: p.name)},
)
PermissionScope = registry_enum(
    "PermissionScope",
    "Where a permission can take effect.",
    {
        Scope.HEAD_OFFICE.value: "Only for members of the head office, whatever a branch grants itself · 仅总行",
        Scope.BRANCH.value: "In any branch · 任意网点",
    },
)
DataScopeEnum = registry_enum(
    "DataScope",
    "How much of the branch's data a grant of a data-scoped permission (such as `client:read`) reaches.",
    {
        DataScope.OWN.value: "The records the holder owns or co-owns · 本人（含共管）",
        DataScope.TEAM.value: "Also those of the colleagues they share a record with · 团队",
        DataScope.BRANCH.value: "Every record of the branch · 全网点",
    },
)
_DAYS = {
    "mon": ("Monday", "星期一"),
    "tue": ("Tuesday", "星期二"),
    "wed": ("Wednesday", "星期三"),
    "thu": ("Thursday", "星期四"),
    "fri": ("Friday", "星期五"),
    "sat": ("Saturday", "星期六"),
    "sun": ("Sunday", "星期日"),
}
assert tuple(_DAYS) == WEEKDAYS
Weekday = registry_enum("Weekday", "A day of the week.", {day: f"{en} · {zh}" for day, (en, zh) in _DAYS.items()})


def weekday_label(day: str, locale: str) -> str:
    return localized(*_DAYS[day], locale)


@strawberry.type(description="A role: its name, and its label in the caller's language.")
class RoleInfo:
    name: str = strawberry.field(description="The role's name, e.g. `teller`: what inputs that take a role accept.")

    @strawberry.field(description="Label in the caller's language (Accept-Language).")
    def label(self, info: Info) -> str:
        return role_label(self.name, info.context.locale)


def roles_of(via: Iterable[str]) -> list[RoleInfo]:
    """The roles of an explanation of why someone holds a permission (``direct``, a grant to the
    subject itself, is no role: only service accounts hold those, and the policy views list staff)."""
    return [RoleInfo(name=name) for name in via if name != DIRECT]


@strawberry.type(description="A permission: `resource:action`.")
class PermissionInfo:
    name: str = strawberry.field(
        description="`resource:action`, e.g. `client.pii:read`: what inputs that take a permission accept."
    )
    scope: str = strawberry.field(
        description="head_office: only counts in the head office; branch: anywhere.",
        deprecation_reason="A plain string: use `effectiveIn`, an enum.",
    )

    @strawberry.field(description="Label in the caller's language.")
    def label(self, info: Info) -> str:
        return permission_label(self.name, info.context.locale)

    @strawberry.field(description="The permission as an enum value; null for one no longer declared in code.")
    def permission(self) -> Permission | None:  # type: ignore[valid-type]  # an enum built at import
        return Permission(self.name) if self.name in PERMISSIONS else None

    @strawberry.field(description="Where the permission can take effect.")
    def effective_in(self) -> PermissionScope:  # type: ignore[valid-type]
        return PermissionScope(self.scope)  # type: ignore[no-any-return]

    @strawberry.field(description="Whether each grant of it carries a data scope (own, team or branch).")
    def data_scoped(self) -> bool:
        return data_scoped(self.name)

    @classmethod
    def of(cls, name: str) -> PermissionInfo:
        declared = PERMISSIONS.get(name)
        return cls(name=name, scope=declared.scope.value if declared else "branch")
