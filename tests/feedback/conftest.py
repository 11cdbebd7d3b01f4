"""A branch of its own for feedback tests (the CRM tests' branch: a head, two customer managers, a teller,
a lobby manager, IT support) and small factories that record feedback through the services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.feedback import service as feedback
from branchdesk.feedback.rules import Channel, FeedbackKind, Severity
from branchdesk.tenants import repository as tenants
from tests.conftest import enter
from tests.crm.conftest import as_staff, crm_branch  # noqa: F401  (fixtures shared with the CRM tests)


@asynccontextmanager
async def acting(rt: Any, branch: Any, employee_number: str | None = None) -> AsyncIterator[tuple[Any, Principal]]:
    """A committed transaction in ``branch`` as that member, or as the system."""
    if employee_number is None:
        async with rt.db.session(branch.id) as session:
            yield session, Principal.system("tests", BranchRef(branch.id, branch.code))
        return
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, employee_number)
        yield session, await enter(rt, session, staff.id, branch.code)


def draft(
    kind: FeedbackKind = FeedbackKind.COMPLAINT,
    *,
    category: str = "waiting_time",
    severity: Severity = Severity.HIGH,
    client_id: uuid.UUID | None = None,
    received_at: datetime | None = None,
    summary: str = "排队时间过长",
) -> feedback.FeedbackDraft:
    return feedback.FeedbackDraft(
        kind=kind,
        channel=Channel.COUNTER,
        category=category,
        severity=severity,
        summary=summary,
        client_id=client_id,
        received_at=received_at,
    )


async def submit(rt: Any, branch: Any, employee_number: str, **fields: Any) -> Any:
    async with acting(rt, branch, employee_number) as (session, by):
        return await feedback.submit_feedback(session, by, draft(**fields))
