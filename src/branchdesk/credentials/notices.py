"""Telling a person that an activation code was issued for them: a pluggable delivery.

The job worker hands each notice (from the outbox, after the issuing transaction committed) to the
callable named by the ``activation_notifier`` setting (``"module:function"``, plain or async). The code
itself is never in a notice: it is stored only hashed, and shown once, to the administrator who issued
it. The default delivery logs that a code was issued; a deployment plugs in its SMS or mail gateway to
tell the person to ask their administrator for it, or that it was reset.
"""

from __future__ import annotations

import importlib
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Notice:
    staff_id: uuid.UUID
    employee_number: str
    display_name: str
    email: str | None
    phone: str | None
    expires_at: datetime
    reset: bool  # an administrator's reset (the password was cleared), not a new identity's first code


def log_notice(notice: Notice) -> None:
    """The default delivery: one log line, without the code or any personal data."""
    log.info(
        "activation code issued",
        employee_number=notice.employee_number,
        expires_at=notice.expires_at.isoformat(),
        reset=notice.reset,
    )


@cache
def notifier(path: str) -> Callable[[Notice], Any]:
    module, _, name = path.partition(":")
    found = getattr(importlib.import_module(module), name)
    if not callable(found):
        raise TypeError(f"activation_notifier {path!r} is not callable")
    return found  # type: ignore[no-any-return]


async def deliver(path: str, notice: Notice) -> None:
    result = notifier(path)(notice)
    if inspect.isawaitable(result):
        await result
