"""Masks for personal data, in the forms Chinese banks print them (138****5678, 110101********1234)."""

from __future__ import annotations


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    return value[:3] + "*" * max(len(value) - 7, 1) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_address(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "****" if len(value) > 6 else "****"
