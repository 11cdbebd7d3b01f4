"""Who a new handoff goes to: the named person, else the client's owner, else the least-loaded member
of the target role on duty, else the branch head; whoever is away is replaced by the cover they named
(possibly a member of another branch who covers this one through a cover membership)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.availability import service as availability
from branchdesk.handoffs import repository
from branchdesk.tenants import service as tenants

BRANCH_HEAD = "branch_head"


class RoutedBy(enum.StrEnum):
    PERSON = "person"  # the raiser named who
    CLIENT_OWNER = "client_owner"
    LEAST_LOADED = "least_loaded"
    BRANCH_HEAD = "branch_head"
    COVER = "cover"  # the one chosen was away; their cover took it
    REASSIGNED = "reassigned"
    UNASSIGNED = "unassigned"  # nobody at all (a branch without a head): waits in the role queue


LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    RoutedBy: {
        "person": ("Named by who raised it", "发起人指定"),
        "client_owner": ("The client's owner", "客户的归属客户经理"),
        "least_loaded": ("Least-loaded member of the role", "该岗位中待办最少者"),
        "branch_head": ("The branch head (nobody of the role on duty)", "网点负责人（该岗位无人在岗）"),
        "cover": ("The cover of who was away", "离岗人员的代岗人"),
        "reassigned": ("Reassigned", "转派"),
        "unassigned": ("Nobody yet", "尚未指派"),
    }
}


async def _present(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, now: datetime) -> bool:
    return await tenants.membership(session, branch_id, staff_id) is not None


async def with_cover(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, now: datetime
) -> tuple[uuid.UUID | None, bool]:
    """(who takes ``staff_id``'s work at ``now``, whether that is a cover): themselves when on duty, their
    named cover when away (None when away with nobody named)."""
    away = await availability.stand_ins(session, branch_id, [staff_id], now)
    if staff_id not in away:
        return staff_id, False
    cover = away[staff_id]
    if cover is not None and await _present(session, branch_id, cover, now):
        return cover, True
    return None, False


async def route(
    session: AsyncSession,
    branch_id: uuid.UUID,
    target_role: str,
    now: datetime,
    *,
    person: uuid.UUID | None = None,
    client_owner: uuid.UUID | None = None,
) -> tuple[uuid.UUID | None, RoutedBy]:
    """The assignee of a new handoff, and how they were chosen."""
    for candidate, how in ((person, RoutedBy.PERSON), (client_owner, RoutedBy.CLIENT_OWNER)):
        if candidate is not None and await _present(session, branch_id, candidate, now):
            taker, covering = await with_cover(session, branch_id, candidate, now)
            if taker is not None:
                return taker, RoutedBy.COVER if covering else how
    found = await repository.least_loaded(session, branch_id, target_role, now)
    if found is not None:
        return found, RoutedBy.LEAST_LOADED
    for head in sorted(await tenants.holders_of(session, branch_id, BRANCH_HEAD)):
        taker, covering = await with_cover(session, branch_id, head, now)
        if taker is not None:
            return taker, RoutedBy.COVER if covering else RoutedBy.BRANCH_HEAD
    heads = sorted(await tenants.holders_of(session, branch_id, BRANCH_HEAD))
    return (heads[0], RoutedBy.BRANCH_HEAD) if heads else (None, RoutedBy.UNASSIGNED)
