"""Every permission and role the platform knows, declared by the domains that use them.

A permission is ``resource:action``. Its scope says where it can take effect: head-office
permissions only count for a member of the head office, whatever a branch grants itself. A domain
declares its permissions in its own ``permissions.py`` with :func:`permission`, naming the roles that
hold it in the head-office baseline, and the
stored baseline receives permissions that are new in code at start-up (``rbac.service.sync_baseline``).
Importing ``branchdesk`` imports every domain's declarations (see ``branchdesk/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"


class DataScope(StrEnum):
    """How much of the branch's data a grant of a data-scoped permission reaches, narrowest first."""

    OWN = "own"  # the records the holder owns or co-owns (a customer manager's book)
    TEAM = "team"  # also those of the colleagues they share a record with
    BRANCH = "branch"  # every record of the branch


def widest(scopes: Iterable[DataScope]) -> DataScope:
    order = list(DataScope)
    return max(scopes, key=order.index)


@dataclass(frozen=True)
class Permission:
    name: str
    scope: Scope
    en: str
    zh: str
    baseline: frozenset[str]  # the roles that hold it in the head-office baseline as shipped
    # A data-scoped permission is granted with a DataScope; the roles' scopes in the shipped baseline.
    data_scoped: bool = False
    baseline_scopes: tuple[tuple[str, DataScope], ...] = ()

    def baseline_scope(self, role: str) -> DataScope | None:
        """The scope the shipped baseline grants ``role`` (the narrowest for a role it does not name)."""
        if not self.data_scoped:
            return None
        return dict(self.baseline_scopes).get(role, DataScope.OWN)


@dataclass(frozen=True)
class Role:
    name: str
    en: str
    zh: str


PERMISSIONS: dict[str, Permission] = {}
ROLES: dict[str, Role] = {}


def permission(
    name: str,
    en: str,
    zh: str,
    *,
    scope: Scope = Scope.BRANCH,
    baseline: Iterable[str] | Mapping[str, DataScope] = (),
) -> str:
    """Declare a permission (once, in its domain's ``permissions.py``); returns its name. A data-scoped
    permission names its baseline as role → :class:`DataScope`: every grant of it carries a scope."""
    resource, colon, action = name.rpartition(":")
    if not (colon and resource and action):
        raise ValueError(f"a permission is resource:action, not {name!r}")
    if name in PERMISSIONS:
        raise ValueError(f"permission {name!r} is declared twice")
    scoped = isinstance(baseline, Mapping)
    scopes = tuple(sorted((r, DataScope(s)) for r, s in baseline.items())) if isinstance(baseline, Mapping) else ()
    PERMISSIONS[name] = Permission(name, scope, en, zh, frozenset(baseline), scoped, scopes)
    return name


def data_scoped(permission_name: str) -> bool:
    declared = PERMISSIONS.get(permission_name)
    return declared is not None and declared.data_scoped


def role(name: str, en: str, zh: str) -> str:
    if name in ROLES:
        raise ValueError(f"role {name!r} is declared twice")
    ROLES[name] = Role(name, en, zh)
    return name


def shipped_baseline() -> dict[str, set[str]]:
    """Role → permissions, as the domains declare them."""
    roles: dict[str, set[str]] = {name: set() for name in ROLES}
    for declared in PERMISSIONS.values():
        for holder in declared.baseline:
            roles.setdefault(holder, set()).add(declared.name)
    return roles


def split(permission_name: str) -> tuple[str, str]:
    resource, _, action = permission_name.rpartition(":")
    return resource, action


def check_declarations() -> None:
    """Every role a baseline names is declared (run once every domain's permissions are imported)."""
    unknown = {r for p in PERMISSIONS.values() for r in p.baseline} - ROLES.keys()
    if unknown:
        raise ValueError(f"baseline names undeclared roles: {sorted(unknown)}")
