"""Bilingual labels for enum values: one table, read by the schema (descriptions) and by resolvers."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from branchdesk.tenants.models import BranchLevel, BranchStatus

LABELS: dict[Enum, tuple[str, str]] = {
    BranchLevel.HEAD_OFFICE: ("Head office", "总行"),
    BranchLevel.TIER1_BRANCH: ("Tier-1 branch", "一级分行"),
    BranchLevel.SUB_BRANCH: ("Sub-branch", "支行"),
    BranchLevel.OUTLET: ("Outlet", "网点"),
    BranchStatus.ACTIVE: ("Active", "正常营业"),
    BranchStatus.SUSPENDED: ("Suspended", "暂停"),
    BranchStatus.CLOSED: ("Closed", "已关闭"),
}


def label(value: Enum, locale: str) -> str:
    en, zh = LABELS[value]
    return zh if locale.startswith("zh") else en


def describe(value: Enum) -> str:
    en, zh = LABELS[value]
    return f"{en} · {zh}"


def graphql_enum(cls: type[Enum], name: str, description: str) -> Any:
    """A strawberry enum whose values are described with both labels."""
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:
        value.description = describe(cls(value.value))
    return wrapped
