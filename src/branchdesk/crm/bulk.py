"""Recording many clients at once, set-based: the demo's books today, the core-banking import later.

Each draft is checked with the same rules as one client recorded through the API; then one statement
inserts the clients (a client number the branch already has is left as it is, so running it again
changes nothing), one the teams, one the assignment history, and one audit record says how many.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import repository
from branchdesk.crm.permissions import CLIENT_WRITE
from branchdesk.crm.records import check_draft, complete_draft, history_row, seal_personal_data
from branchdesk.crm.service import DRAFT_FIELDS, ClientDraft, reader
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import data_keys
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id


async def create_clients_in_bulk(session: AsyncSession, by: Principal, drafts: list[ClientDraft], reason: str) -> int:
    """Record the drafts as clients of the caller's branch (owners must be named); returns how many were new.
    Any invalid draft refuses them all, each error's field prefixed with the draft's position."""
    reader(by, CLIENT_WRITE)
    people = {d.owner_id for d in drafts} | {s for d in drafts for s in d.co_owner_ids}
    members = await repository.members_among(session, by.branch_id, [p for p in people if p is not None])
    ring, now = data_keys(session), utcnow()
    rows, teams, problems = [], {}, []
    for position, draft in enumerate(drafts):
        if draft.owner_id is None or draft.owner_id not in members or set(draft.co_owner_ids) - members:
            raise NotFound("Staff member", "员工", field=f"[{position}].ownerId")
        state, found = check_draft(draft, DRAFT_FIELDS)
        complete_draft(state, found)
        problems += [DomainError(p.error, field=f"[{position}].{p.field}", **p.params) for p in found]
        client_id = new_id()
        clear = {k: state.pop(k, None) for k in ("id_number", "phone", "address")}
        rows.append(
            state
            | seal_personal_data(ring, clear)
            | {"id": client_id, "tenant_id": by.branch_id, "owner_id": draft.owner_id}
            | {"client_number": (draft.client_number or "").strip(), "created_at": now, "updated_at": now}
        )
        teams[client_id] = (draft.owner_id, sorted(set(draft.co_owner_ids) - {draft.owner_id}))
    if problems:
        raise InvalidInput(problems)
    inserted = await repository.insert_clients(session, rows)
    await repository.add_co_owners(
        session,
        [
            {"tenant_id": by.branch_id, "id": new_id(), "client_id": client_id, "staff_id": staff_id}
            for client_id in inserted
            for staff_id in teams[client_id][1]
        ],
    )
    await repository.record_assignments(
        session,
        [history_row(by, c, None, teams[c][0], teams[c][1] or None, reason, now) for c in inserted],
    )
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "client.bulk_created",
        "client",
        None,
        {"new": len(inserted), "reason": reason},
    )
    return len(inserted)
