"""Raising notifications: the one way a domain tells a staff member something.

A domain calls :func:`notify` inside the transaction of the change (or of the job) that causes it; the
rows commit with it, and each new one is announced live (topic ``notification.added``) after commit.
Raising the same ``key`` to the same person again stores nothing and announces nothing, so jobs that
are delivered twice notify once. The caller has already decided who may know: notify checks no
permission of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.notifications import repository
from branchdesk.notifications.kinds import KINDS
from branchdesk.platform.events import Event, publish_after_commit

ADDED = "notification.added"


async def notify(
    session: AsyncSession,
    branch_id: uuid.UUID,
    recipients: Iterable[uuid.UUID],
    *,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    subject: tuple[str, uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Tell each of ``recipients`` (staff ids) in ``branch_id``; the ids of the notifications created
    (none for a recipient who already had ``key``)."""
    if kind not in KINDS:
        raise ValueError(f"undeclared notification kind {kind!r}")
    subject_type, subject_id = subject if subject is not None else (None, None)
    rows = [
        {
            "tenant_id": branch_id,
            "recipient_id": recipient,
            "kind": kind,
            "title": title[:200],
            "body": body[:2000],
            "subject_type": subject_type,
            "subject_id": subject_id,
            "dedupe_key": key[:200],
        }
        for recipient in dict.fromkeys(recipients)
    ]
    created = await repository.insert_new(session, rows)
    for notification_id, recipient in created:
        publish_after_commit(
            session,
            Event(ADDED, branch_id, {"id": str(notification_id), "staff": str(recipient), "kind": kind}),
        )
    return [notification_id for notification_id, _ in created]
