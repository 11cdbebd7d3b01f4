"""How a staff member's email and phone are checked, for every path that sets them (hiring, the
person's own update)."""

from __future__ import annotations

from branchdesk.platform.contact import is_email, is_phone, normal_phone
from branchdesk.platform.errors import DomainError
from branchdesk.tenants.errors import INVALID_EMAIL, INVALID_PHONE

__all__ = ["contact_problems", "normal_phone"]


def contact_problems(email: str | None, phone: str | None, prefix: str = "") -> list[DomainError]:
    """What is wrong with an (already normalised) email and phone; empty or None is not checked."""
    problems = []
    if email and not is_email(email):
        problems.append(DomainError(INVALID_EMAIL, field=f"{prefix}email"))
    if phone and not is_phone(phone):
        problems.append(DomainError(INVALID_PHONE, field=f"{prefix}phone"))
    return problems
