"""The password rules (NIST SP 800-63B's: length and a list of known passwords, no composition rules).

A password has at least :data:`MINIMUM_LENGTH` characters, is not one of the 30,000 passwords most
often found in leaks — zxcvbn's ``passwords`` frequency list (from the xato.net corpus), a maintained
package that ships it as data, compared case-insensitively and also with trailing digits and
punctuation taken off (``qwertyuiop123`` is ``qwertyuiop``) — and contains neither the employee
number nor the person's name. Each refusal names its reason in its code.
"""

from __future__ import annotations

from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

from branchdesk.platform.errors import DomainError
from branchdesk.platform.hashing import hash_secret
from branchdesk.tenants import errors

MINIMUM_LENGTH = 12
_TRAILING = "0123456789!@#$%^&*()-_=+.,;:?~ "


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def _name_parts(display_name: str) -> set[str]:
    """The whole name (a Chinese name has no spaces), and each word of three letters or more."""
    name = display_name.strip().lower()
    parts = {word for word in name.split() if len(word) >= 3}
    joined = "".join(name.split())
    if len(joined) >= 2:
        parts.add(joined)
    return parts


def check(password: str, *, employee_number: str, display_name: str, field: str = "password") -> None:
    """Refuse a password that breaks a rule, with the rule's own code."""
    if len(password) < MINIMUM_LENGTH:
        raise DomainError(errors.PASSWORD_TOO_SHORT, field=field, minimum=MINIMUM_LENGTH)
    lowered = password.lower()
    if lowered in _common() or lowered.rstrip(_TRAILING) in _common():
        raise DomainError(errors.PASSWORD_COMMON, field=field)
    if len(employee_number) >= 3 and employee_number.lower() in lowered:
        raise DomainError(errors.PASSWORD_PERSONAL, field=field, what="employee number", what_zh="员工号")
    if any(part in lowered for part in _name_parts(display_name)):
        raise DomainError(errors.PASSWORD_PERSONAL, field=field, what="name", what_zh="姓名")


def hash_checked(password: str, *, employee_number: str, display_name: str, field: str = "password") -> str:
    """The password's hash, once it passes the rules."""
    check(password, employee_number=employee_number, display_name=display_name, field=field)
    return hash_secret(password)
