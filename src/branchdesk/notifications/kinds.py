"""The kinds of notification, declared by the domains that raise them (each with zh/en labels)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    code: str  # "<domain>.<what>", e.g. "handoff.assigned"
    en: str
    zh: str


KINDS: dict[str, NotificationKind] = {}


def notification_kind(code: str, en: str, zh: str) -> str:
    """Declare a kind (at import time, next to the domain's permissions); returns its code."""
    known = KINDS.get(code)
    if known is not None and known != NotificationKind(code, en, zh):
        raise ValueError(f"notification kind {code} declared twice, differently")
    KINDS[code] = NotificationKind(code, en, zh)
    return code


# The kinds the platform ships (every domain's ``kinds`` module, imported by the package): the API's
# NotificationKind enum. Kinds declared later (tests) still notify, but have no value of their own there.
SHIPPED: dict[str, NotificationKind] = {}


def ship() -> None:
    """Record the kinds declared so far as the shipped ones (``branchdesk/__init__`` calls it once)."""
    SHIPPED.update(KINDS)
