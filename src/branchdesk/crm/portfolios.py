"""Portfolios: who owns a client and who serves it with them, and moving clients between managers.

One call reassigns one client, a list, or a manager's whole portfolio (a customer manager leaving),
set-based: one update of the owners, one insert of the history (who, when, why), one audit record.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import errors, repository
from branchdesk.crm.permissions import CLIENT_ASSIGN
from branchdesk.crm.records import check_people, history_row
from branchdesk.crm.service import reader
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound, invalid


async def assign_clients(
    session: AsyncSession,
    by: Principal,
    *,
    client_ids: list[uuid.UUID] | None,
    from_owner_id: uuid.UUID | None,
    to_owner_id: uuid.UUID,
    co_owner_ids: list[uuid.UUID] | None,
    reason: str,
) -> list[uuid.UUID]:
    """Give clients to ``to_owner_id``: those named (all of them in the caller's ``client:assign``
    scope, or none moves), or every client of ``from_owner_id`` the caller's scope reaches. With
    ``co_owner_ids`` the clients' teams are replaced too. Returns the clients moved."""
    scope = reader(by, CLIENT_ASSIGN)
    team = sorted(set(co_owner_ids or []) - {to_owner_id})
    others = {"fromOwnerId": from_owner_id} if from_owner_id else {}
    problems = await check_people(
        session, by, scope.scope, to_owner_id, team, owner_field="toOwnerId", others=others, caller_stays=False
    )
    if client_ids:
        wanted = list(dict.fromkeys(client_ids))
        found = await repository.in_scope_ids(session, by.branch_id, scope, wanted)
        if len(found) != len(wanted):
            raise NotFound("Client", "客户", field="clientIds")
    elif from_owner_id is None:
        raise DomainError(errors.NOTHING_TO_ASSIGN, field="clientIds")
    if not reason.strip():
        problems.append(invalid("reason", "Say why the clients move.", "请说明调整归属的原因。"))
    if problems:
        raise InvalidInput(problems)
    if not client_ids:
        assert from_owner_id is not None
        found = await repository.portfolio_ids(session, by.branch_id, scope, from_owner_id)
    if not found:
        return []
    now = utcnow()
    moved = await repository.reassign(session, by.branch_id, found, to_owner_id, now)
    if co_owner_ids is not None:
        await repository.replace_co_owners(session, by.branch_id, found, team)
    kept_team = team if co_owner_ids is not None else None
    await repository.record_assignments(
        session,
        [history_row(by, client, before, to_owner_id, kept_team, reason.strip(), now) for client, before in moved],
    )
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "client.assigned",
        "staff",
        to_owner_id,
        {
            "clients": len(moved),
            "ids": sorted(str(c) for c, _ in moved)[:1000],
            "from_owner": str(from_owner_id) if from_owner_id else None,
            "reason": reason.strip(),
        },
    )
    return [client for client, _ in moved]
