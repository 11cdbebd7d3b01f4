"""How a staff member's email and phone are checked and written, for every path that sets them (hiring,
the HR feed, the person's own update)."""

from __future__ import annotations

import re

from branchdesk.platform.errors import DomainError
from branchdesk.tenants.errors import INVALID_EMAIL, INVALID_PHONE

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normal_phone(value: str) -> str:
    """Spaces and hyphens dropped: 138 1234 5678 is 13812345678."""
    return re.sub(r"[\s-]", "", value)


def contact_problems(email: str | None, phone: str | None) -> list[DomainError]:
    """What is wrong with an (already normalised) email and phone; empty or None is not checked."""
    problems = []
    if email and not (_EMAIL.match(email) and len(email) <= 254):
        problems.append(DomainError(INVALID_EMAIL, field="email"))
    if phone and not (_MAINLAND_MOBILE.match(phone) or _E164.match(phone)):
        problems.append(DomainError(INVALID_PHONE, field="phone"))
    return problems
