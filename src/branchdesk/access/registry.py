"""Every permission and role the platform knows, declared by the domains that use them.

A permission is ``resource:action``. Its scope says where it can take effect: head-office
permissions only count for a member of the head office, whatever a branch grants itself. A domain
declares its permissions in its own ``permissions.py`` with :func:`permission`, naming the roles that
hold it in the head-office baseline; :func:`collect` imports every domain's declarations, and the
stored baseline receives permissions that are new in code at start-up (``rbac.service.sync_baseline``).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"


@dataclass(frozen=True)
class Permission:
    name: str
    scope: Scope
    en: str
    zh: str
    baseline: frozenset[str]  # the roles that hold it in the head-office baseline as shipped


@dataclass(frozen=True)
class Role:
    name: str
    en: str
    zh: str


PERMISSIONS: dict[str, Permission] = {}
ROLES: dict[str, Role] = {}


def permission(name: str, en: str, zh: str, *, scope: Scope = Scope.BRANCH, baseline: Iterable[str] = ()) -> str:
    """Declare a permission (once, in its domain's ``permissions.py``); returns its name."""
    resource, colon, action = name.rpartition(":")
    if not (colon and resource and action):
        raise ValueError(f"a permission is resource:action, not {name!r}")
    if name in PERMISSIONS:
        raise ValueError(f"permission {name!r} is declared twice")
    PERMISSIONS[name] = Permission(name, scope, en, zh, frozenset(baseline))
    return name


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


def collect() -> None:
    """Import every domain's ``permissions`` module (a domain is a package of ``branchdesk``)."""
    import branchdesk

    for module in pkgutil.iter_modules(branchdesk.__path__):
        name = f"branchdesk.{module.name}.permissions"
        if module.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    unknown = {r for p in PERMISSIONS.values() for r in p.baseline} - ROLES.keys()
    if unknown:
        raise ValueError(f"baseline names undeclared roles: {sorted(unknown)}")
