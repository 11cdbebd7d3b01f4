"""The shapes of a phone number and an email address, for every path that takes one (staff records, the
HR feed, clients): a phone is an 11-digit mainland mobile number or E.164."""

from __future__ import annotations

import re

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_EMAIL = re.compile(r"^[^@\s,;<>]{1,64}@[^@\s.,;<>]+(\.[^@\s.,;<>]+)+$")


def normal_phone(value: str) -> str:
    """As stored: spaces, dashes and brackets dropped (138 1234 5678 is 13812345678)."""
    return _PHONE_SEPARATORS.sub("", value)


def is_phone(value: str) -> bool:
    """An (already normalised) 11-digit mainland mobile number or E.164 number."""
    return bool(_MAINLAND_MOBILE.match(value) or _E164.match(value))


def is_mainland_mobile(value: str) -> bool:
    return bool(_MAINLAND_MOBILE.match(value))


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 254
