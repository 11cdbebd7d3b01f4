"""Bilingual labels for enum values: one table, read by the schema (descriptions) and by resolvers."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types.enum import has_enum_definition

from branchdesk.access.registry import PERMISSIONS, ROLES
from branchdesk.access_reviews.models import ReviewDecision, ReviewStatus
from branchdesk.crm.rules import LABELS as CRM_LABELS
from branchdesk.feedback.rules import LABELS as FEEDBACK_LABELS
from branchdesk.holdings.rules import LABELS as HOLDINGS_LABELS
from branchdesk.tenants.models import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

# Keyed by (enum class, value): string enums of different classes may share a value ("closed").
_LABELS: dict[Enum, tuple[str, str]] = dict([*LEVEL_LABELS.items(), *STATUS_LABELS.items(), *KIND_LABELS.items()])
_LABELS_BY_CLASS: dict[type[Enum], dict[str, tuple[str, str]]] = {
    ReviewStatus: {"open": ("Open", "进行中"), "closed": ("Closed", "已结束")},
    ReviewDecision: {
        "pending": ("Pending", "待复核"),
        "confirmed": ("Confirmed (keep)", "保留"),
        "revoked": ("Revoked (take away when the review closes)", "撤销（复核结束时生效）"),
    },
    **CRM_LABELS,
    **FEEDBACK_LABELS,
    **HOLDINGS_LABELS,
}


LABELS = {(type(member), member.value): text for member, text in _LABELS.items()} | {
    (cls, value): text for cls, texts in _LABELS_BY_CLASS.items() for value, text in texts.items()
}


def localized(en: str, zh: str, locale: str) -> str:
    return zh if locale.startswith("zh") else en


def label(value: Enum, locale: str) -> str:
    return localized(*LABELS[(type(value), value.value)], locale)


def role_label(name: str, locale: str) -> str:
    """A role's label; a role the catalogue does not know (defined by head office) is its name."""
    role = ROLES.get(name)
    return localized(role.en, role.zh, locale) if role else name


def permission_label(name: str, locale: str) -> str:
    declared = PERMISSIONS.get(name)
    return localized(declared.en, declared.zh, locale) if declared else name


def describe(value: Enum) -> str:
    en, zh = LABELS[(type(value), value.value)]
    return f"{en} · {zh}"


def graphql_enum(cls: type[Enum], name: str, description: str) -> Any:
    """A strawberry enum whose values are described with both labels."""
    wrapped = strawberry.enum(cls, name=name, description=description)
    assert has_enum_definition(wrapped)
    for value in wrapped.__strawberry_definition__.values:
        value.description = describe(cls(value.value))
    return wrapped
