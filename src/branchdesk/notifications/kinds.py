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
