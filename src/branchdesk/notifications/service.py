"""Raising notifications, and each staff member's inbox.

A domain calls :func:`notify` inside the transaction of the change (or of the job) that causes it; the
rows commit with it, and each new one is announced live (topic ``notification.added``) after commit.
Raising the same ``key`` to the same person again stores nothing and announces nothing, so jobs that
are delivered twice notify once. The caller has already decided who may know: notify checks no
permission of its own. Each recipient's preferences apply inside the one statement that stores them: a
kind switched off for the inbox is not stored (nor pushed), one switched off for live is stored, not
pushed.

The inbox is the caller's own, in the active branch: nobody reads or marks anyone else's (another's
notification is "not found", like one that does not exist).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from branchdesk.access.principal import Principal
from branchdesk.notifications import errors, repository
from branchdesk.notifications.kinds import KINDS, SHIPPED
from branchdesk.notifications.models import Notification, NotificationPreference
from branchdesk.notifications.permissions import NOTIFICATION_READ
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.platform.events import Event, publish_after_commit
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Page, PageRequest, count, keyset

ADDED = "notification.added"
MARK_LIMIT = 100


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
    (none for a recipient who already had ``key``, or who keeps ``kind`` out of their inbox)."""
    if kind not in KINDS:
        raise ValueError(f"undeclared notification kind {kind!r}")
    subject_type, subject_id = subject if subject is not None else (None, None)
    wanted = list(dict.fromkeys(recipients))
    values = {
        "kind": kind,
        "title": title[:200],
        "body": body[:2000],
        "subject_type": subject_type,
        "subject_id": subject_id,
        "dedupe_key": key[:200],
    }
    created = await repository.insert_wanted(session, branch_id, [new_id() for _ in wanted], wanted, values)
    for added in created:
        if added.live:
            data = {"id": str(added.id), "staff": str(added.recipient_id), "kind": kind}
            publish_after_commit(session, Event(ADDED, branch_id, data))
    return [added.id for added in created]


def _staff(by: Principal) -> uuid.UUID:
    if by.staff_id is None:
        raise DomainError(errors.NOTIFICATION_SIGNED_IN)
    return by.staff_id


async def list_notifications(
    session: AsyncSession, by: Principal, page: PageRequest, unread_only: bool = False
) -> Page[Notification]:
    """The caller's notifications in the active branch, by id (time-ordered): newest first unless
    ``page`` says ascending."""
    by.require(NOTIFICATION_READ)
    stmt = repository.inbox_query(by.branch_id, _staff(by), unread_only)
    return await keyset(session, stmt, Notification.id, page, lambda found: found)


async def count_notifications(session: AsyncSession, by: Principal, unread_only: bool = False) -> int:
    by.require(NOTIFICATION_READ)
    return await count(session, repository.inbox_query(by.branch_id, _staff(by), unread_only))


async def notifications_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Notification]:
    """The caller's own among ``ids``; none of anyone else's (as if they did not exist)."""
    if not by.can(NOTIFICATION_READ) or by.staff_id is None:
        return []
    return await repository.by_id(session, by.branch_id, by.staff_id, ids)


async def unread_count(session: AsyncSession, by: Principal) -> int:
    by.require(NOTIFICATION_READ)
    return await repository.unread_count(session, by.branch_id, _staff(by))


async def mark_read(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Notification]:
    """Mark the caller's notifications ``ids`` read (those already read keep their time); an id that is
    not the caller's own is not found, and nothing is marked."""
    by.require(NOTIFICATION_READ)
    staff_id = _staff(by)
    ids = list(dict.fromkeys(ids))
    if not 1 <= len(ids) <= MARK_LIMIT:
        raise DomainError(errors.NOTIFICATION_IDS, field="ids", limit=str(MARK_LIMIT))
    found = await repository.by_id(session, by.branch_id, staff_id, ids)
    if len(found) != len(ids):
        raise NotFound("Notification", "通知", field="ids")
    now = utcnow()
    newly = set(await repository.mark_read(session, by.branch_id, staff_id, ids, now))
    for notification in found:
        if notification.id in newly:
            set_committed_value(notification, "read_at", now)
    return sorted(found, key=lambda n: n.id, reverse=True)


async def mark_all_read(session: AsyncSession, by: Principal) -> int:
    """Mark every unread notification of the caller's in the active branch read; how many were unread."""
    by.require(NOTIFICATION_READ)
    return len(await repository.mark_read(session, by.branch_id, _staff(by), None, utcnow()))


@dataclass(frozen=True)
class Preference:
    kind: str
    inbox: bool = True
    live: bool = True
    email_digest: bool = True


async def preferences(session: AsyncSession, by: Principal) -> list[Preference]:
    """The caller's preference for every declared kind (all channels on where none was set)."""
    by.require(NOTIFICATION_READ)
    stored = {p.kind: p for p in await repository.preferences(session, by.branch_id, _staff(by))}
    return [_preference(code, stored.get(code)) for code in sorted(SHIPPED)]


def _preference(kind: str, stored: NotificationPreference | None) -> Preference:
    if stored is None:
        return Preference(kind)
    return Preference(kind, stored.inbox, stored.live, stored.email_digest)


async def set_preference(
    session: AsyncSession,
    by: Principal,
    kind: str,
    *,
    inbox: bool | None = None,
    live: bool | None = None,
    email_digest: bool | None = None,
) -> Preference:
    """Set how the caller receives ``kind`` in the active branch (channels left None stay as they are)."""
    by.require(NOTIFICATION_READ)
    if kind not in KINDS:
        raise NotFound("Notification kind", "通知类型", field="kind")
    given = {"inbox": inbox, "live": live, "email_digest": email_digest}
    channels = {name: value for name, value in given.items() if value is not None}
    stored = await repository.set_preference(session, by.branch_id, _staff(by), kind, channels, new_id(), utcnow())
    return _preference(kind, stored)
