"""Handoffs: work passed from one member of the branch to a person or a role queue.

A handoff is routed when it is raised (``routing.route``), its due time and hard limit are computed
in the branch's business hours and stored, and it moves through the states of ``rules.TRANSITIONS``,
each step audited. The assignee is notified (inbox and the live ``handoff.assigned`` event). The SLA
watch (:func:`watch`) finds breaches and expiries by query and escalates each breach once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.calendars import service as calendars
from branchdesk.crm import service as crm
from branchdesk.crm.permissions import CLIENT_CARD_READ, CLIENT_READ
from branchdesk.handoffs import errors, kinds, repository, routing
from branchdesk.handoffs.models import Handoff, HandoffEscalation, HandoffType
from branchdesk.handoffs.permissions import HANDOFF_MANAGE, HANDOFF_RAISE, HANDOFF_READ
from branchdesk.handoffs.rules import (
    LABELS,
    OPEN,
    ORIGIN_TABLES,
    TRANSITIONS,
    HandoffAction,
    HandoffState,
    OriginType,
    Priority,
)
from branchdesk.notifications import service as notifications
from branchdesk.platform import audit, events, references
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants

ASSIGNED_TOPIC = "handoff.assigned"
MAX_ATTACHMENTS = 10
MAX_DUE_DAYS = 366

HANDOFF_ORDERS: dict[str, Key] = {
    "created_at": (Handoff.created_at, Handoff.id),
    "due_at": (Handoff.due_at, Handoff.id),
}


@dataclass(frozen=True)
class Attachment:
    name: str
    ref: str  # a URL or a document store's key


@dataclass
class HandoffDraft:
    type: str  # a code of the head-office list
    description: str
    priority: Priority = Priority.NORMAL
    client_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None  # to a person; else routed through the type's (or this) role
    target_role: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    origin: tuple[OriginType, uuid.UUID] | None = None
    due_at: datetime | None = None  # instead of the type's SLA (an action item's due date)
    sla_hours: int | None = None  # instead of the type's (a ticket's severity sets it)


@dataclass(frozen=True)
class HandoffFilters:
    mine: bool = False  # assigned to me
    raised_by_me: bool = False
    role_queue: bool = False  # the queues of my roles
    state: HandoffState | None = None
    type: str | None = None
    overdue: bool = False
    client_id: uuid.UUID | None = None
    open_only: bool = False


@dataclass(frozen=True)
class Outcome:
    """How a handoff ended; a referral says whether it converted and, if so, into what."""

    note: str | None = None
    converted: bool | None = None
    product_code: str | None = None
    amount: Decimal | None = None


# --- head office: types --------------------------------------------------------------------------


async def handoff_types(session: AsyncSession, by: Principal) -> list[HandoffType]:
    return await repository.types(session)


async def types_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[HandoffType]:
    return await repository.types_by_id(session, ids)


async def type_of(session: AsyncSession, code: str, field: str = "type") -> HandoffType:
    found = await repository.type_by_code(session, code)
    if found is None:
        raise DomainError(errors.UNKNOWN_TYPE, field=field, type=code[:40])
    return found


# --- who sees what -------------------------------------------------------------------------------


async def viewer(session: AsyncSession, by: Principal) -> repository.Viewer:
    """Everything with ``handoff:read``; else what they raised, what is theirs and their roles' queues."""
    if by.can(HANDOFF_READ):
        return repository.Viewer(by.staff_id, everything=True)
    if by.staff_id is None or not by.can(HANDOFF_RAISE):
        return repository.Viewer(None)
    roles = await repository.member_roles(session, by.branch_id, by.staff_id, utcnow())
    return repository.Viewer(by.staff_id, roles=tuple(roles))


async def client_owner(
    session: AsyncSession, by: Principal, client_id: uuid.UUID, field: str = "clientId"
) -> uuid.UUID:
    """The owner of a client the caller may see (in their scope, or by routing card); else not found."""
    if by.data_scope(CLIENT_READ) is not None:
        found = await crm.clients_by_id(session, by, [client_id])
        if found:
            return found[0].owner_id
    if by.can(CLIENT_CARD_READ):
        cards = await crm.routing_cards(session, by, [client_id])
        if cards:
            return cards[0].owner_id
    raise NotFound("Client", "客户", field=field)


# --- raising -------------------------------------------------------------------------------------


def _check_attachments(attachments: list[Attachment]) -> bool:
    return len(attachments) <= MAX_ATTACHMENTS and all(
        1 <= len(a.name.strip()) <= 200 and 1 <= len(a.ref.strip()) <= 500 for a in attachments
    )


async def due_times(
    session: AsyncSession, by: Principal, kind: HandoffType, start: datetime, sla_hours: int | None = None
) -> tuple[datetime, datetime | None]:
    """The due time (the type's SLA, or ``sla_hours``) and the hard limit (when the type expires its
    handoffs), both in the branch's business hours from ``start``."""
    first = start.date() - timedelta(days=1)
    hours = max(sla_hours or kind.sla_hours, kind.expire_hours or 0)
    calendar = await calendars.branch_calendar(session, by, first, first + timedelta(days=hours // 2 + 400))
    due = calendar.add_business_hours(start, timedelta(hours=sla_hours or kind.sla_hours))
    expires = calendar.add_business_hours(start, timedelta(hours=kind.expire_hours)) if kind.expire_hours else None
    return due, expires


async def raise_handoff(session: AsyncSession, by: Principal, draft: HandoffDraft) -> Handoff:
    """Hand work on: routed at once (see ``routing``), due by the type's SLA in business hours."""
    by.require(HANDOFF_RAISE)
    now = utcnow()
    problems: list[DomainError] = []
    description = draft.description.strip()
    if not 1 <= len(description) <= 2000:
        problems.append(DomainError(errors.DESCRIPTION_LENGTH, field="description"))
    if not _check_attachments(draft.attachments):
        problems.append(DomainError(errors.ATTACHMENT, field="attachments", limit=MAX_ATTACHMENTS))
    if draft.due_at is not None and not now < draft.due_at <= now + timedelta(days=MAX_DUE_DAYS):
        problems.append(DomainError(errors.DUE_AT, field="dueAt", days=MAX_DUE_DAYS))
    kind = await repository.type_by_code(session, draft.type)
    if kind is None:
        problems.append(DomainError(errors.UNKNOWN_TYPE, field="type", type=draft.type[:40]))
    if problems:
        raise InvalidInput(problems)
    assert kind is not None
    if draft.origin is not None and not await references.present(
        session, ORIGIN_TABLES[draft.origin[0]], by.branch_id, draft.origin[1]
    ):
        raise NotFound("Origin", "来源", field="origin.id")
    owner = await client_owner(session, by, draft.client_id) if draft.client_id is not None else None
    if draft.assignee_id is not None and await tenants.membership(session, by.branch_id, draft.assignee_id) is None:
        raise NotFound("Staff member", "员工", field="assigneeId")
    target_role = draft.target_role or kind.target_role
    assignee, how = await routing.route(
        session,
        by.branch_id,
        target_role,
        now,
        person=draft.assignee_id,
        client_owner=owner if kind.route_to_client_owner else None,
    )
    due, expires = await due_times(session, by, kind, now, draft.sla_hours)
    handoff = Handoff(
        id=new_id(),
        tenant_id=by.branch_id,
        type_id=kind.id,
        priority=draft.priority.value,
        client_id=draft.client_id,
        description=description,
        attachments=[{"name": a.name.strip(), "ref": a.ref.strip()} for a in draft.attachments],
        origin_type=draft.origin[0].value if draft.origin else None,
        origin_id=draft.origin[1] if draft.origin else None,
        state=HandoffState.SUBMITTED.value,
        raised_by=by.staff_id,
        target_role=target_role,
        assignee_id=assignee,
        routed_by=how.value,
        due_at=draft.due_at or due,
        expires_at=max(expires, draft.due_at) if expires and draft.due_at else expires,
        created_at=now,
        updated_at=now,
    )
    session.add(handoff)
    await session.flush()
    details = {"type": kind.code, "assignee": str(assignee) if assignee else None, "routed_by": how.value}
    await audit.record(session, by.branch_id, by.author, "handoff.raised", "handoff", handoff.id, details)
    await _announce_assignment(session, handoff, kind, now)
    return handoff


async def _announce_assignment(session: AsyncSession, handoff: Handoff, kind: HandoffType, now: datetime) -> None:
    """Tell the assignee: an inbox row, and the live event their ``handoffAssigned`` subscription reads."""
    if handoff.assignee_id is None:
        return
    await notifications.notify(
        session,
        handoff.tenant_id,
        [handoff.assignee_id],
        kind=kinds.HANDOFF_ASSIGNED,
        key=f"handoff.assigned:{handoff.id}:{handoff.assignee_id}:{now.isoformat()}",
        title=f"{kind.name_zh} · {kind.name_en}",
        body=handoff.description[:500],
        subject=("handoff", handoff.id),
    )
    data = {"handoff": str(handoff.id), "staff": str(handoff.assignee_id), "type": kind.code}
    events.publish_after_commit(session, events.Event(ASSIGNED_TOPIC, handoff.tenant_id, data))


# --- the workflow --------------------------------------------------------------------------------


def refused(action: HandoffAction, state: HandoffState) -> DomainError:
    """The typed refusal of a transition the table does not allow, naming the current state."""
    allowed = [a for (a, s) in TRANSITIONS if s is state and a is not HandoffAction.EXPIRE]
    return DomainError(
        errors.TRANSITION_REFUSED,
        field="id",
        state=state.value,
        state_zh=LABELS[HandoffState][state.value][1],
        action=action.value,
        action_zh=LABELS[HandoffAction][action.value][1],
        allowed=", ".join(a.value for a in allowed) or "none",
        allowed_zh="、".join(LABELS[HandoffAction][a.value][1] for a in allowed) or "无",
    )


async def _for_update(session: AsyncSession, by: Principal, handoff_id: uuid.UUID) -> Handoff:
    """The handoff locked, if the caller may see it; else not found (like another branch's)."""
    by.require(HANDOFF_RAISE)
    seen = await repository.handoffs_by_id(session, by.branch_id, await viewer(session, by), [handoff_id])
    found = await repository.handoff_for_update(session, by.branch_id, handoff_id) if seen else None
    if found is None:
        raise NotFound("Handoff", "协作事项", field="id")
    return found


def _check_actor(by: Principal, handoff: Handoff, action: HandoffAction) -> None:
    if by.can(HANDOFF_MANAGE):
        return
    if action is HandoffAction.CANCEL:
        if not by.owns(handoff.raised_by):
            raise DomainError(errors.NOT_THE_RAISER, field="id")
    elif not by.owns(handoff.assignee_id):
        en, zh = LABELS[HandoffAction][action.value]
        raise DomainError(errors.NOT_THE_ASSIGNEE, field="id", action=en.lower(), action_zh=zh)


def _reason(text: str | None, field: str = "reason") -> str:
    reason = (text or "").strip()
    if not 1 <= len(reason) <= 1000:
        raise DomainError(errors.REASON_REQUIRED, field=field)
    return reason


def _outcome(kind: HandoffType, outcome: Outcome) -> Outcome:
    note = (outcome.note or "").strip()[:2000] or None
    if not kind.is_referral:
        return Outcome(note=note)
    product = (outcome.product_code or "").strip()
    if outcome.converted is None:
        raise DomainError(errors.OUTCOME_REQUIRED, field="converted")
    if outcome.converted and not (1 <= len(product) <= 40 and outcome.amount is not None and outcome.amount > 0):
        raise DomainError(errors.OUTCOME_REQUIRED, field="productCode" if not product else "amount")
    if not outcome.converted:
        return Outcome(note=note, converted=False)
    return Outcome(note=note, converted=True, product_code=product, amount=outcome.amount)


async def transition(
    session: AsyncSession,
    by: Principal,
    handoff_id: uuid.UUID,
    action: HandoffAction,
    *,
    reason: str | None = None,
    outcome: Outcome | None = None,
) -> Handoff:
    """Move a handoff on by ``action`` as ``rules.TRANSITIONS`` allows; anything else is refused naming
    the state. Accept, start, complete and decline are the assignee's; cancel is the raiser's (the
    branch head may do either)."""
    if action in (HandoffAction.EXPIRE, HandoffAction.REASSIGN):
        raise ValueError(f"{action} is not a step a member takes through transition()")
    handoff = await _for_update(session, by, handoff_id)
    state = HandoffState(handoff.state)
    after = TRANSITIONS.get((action, state))
    if after is None:
        raise refused(action, state)
    _check_actor(by, handoff, action)
    now = utcnow()
    details: dict[str, Any] = {"from": state.value, "to": after.value}
    if action is HandoffAction.ACCEPT:
        handoff.accepted_at = now
    elif action is HandoffAction.START:
        handoff.started_at = now
    elif action is HandoffAction.COMPLETE:
        kind = (await repository.types_by_id(session, [handoff.type_id]))[0]
        result = _outcome(kind, outcome or Outcome())
        handoff.outcome, handoff.converted = result.note, result.converted
        handoff.product_code, handoff.amount = result.product_code, result.amount
        handoff.finished_at = now
        details["converted"] = result.converted
    elif action in (HandoffAction.DECLINE, HandoffAction.CANCEL):
        text = _reason(reason)
        if action is HandoffAction.DECLINE:
            handoff.decline_reason = text
        else:
            handoff.outcome = text
        handoff.finished_at = now
    handoff.state, handoff.updated_at = after.value, now
    await session.flush()
    await audit.record(session, by.branch_id, by.author, f"handoff.{action.value}", "handoff", handoff.id, details)
    if after in (HandoffState.DONE, HandoffState.DECLINED) and handoff.raised_by and not by.owns(handoff.raised_by):
        await notifications.notify(
            session,
            handoff.tenant_id,
            [handoff.raised_by],
            kind=kinds.HANDOFF_FINISHED,
            key=f"handoff.finished:{handoff.id}",
            title=LABELS[HandoffState][after.value][1] + " · " + LABELS[HandoffState][after.value][0],
            body=(handoff.outcome or handoff.decline_reason or "")[:500],
            subject=("handoff", handoff.id),
        )
    return handoff


async def reassign(
    session: AsyncSession, by: Principal, handoff_id: uuid.UUID, assignee_id: uuid.UUID, note: str | None = None
) -> Handoff:
    """Hand an open handoff to someone else (the assignee passing it on, or the branch head): it waits
    for them to accept it; when they are away, their cover gets it."""
    if await tenants.membership(session, by.branch_id, assignee_id) is None:
        raise NotFound("Staff member", "员工", field="assigneeId")
    handoff = await _for_update(session, by, handoff_id)
    state = HandoffState(handoff.state)
    if (HandoffAction.REASSIGN, state) not in TRANSITIONS:
        raise refused(HandoffAction.REASSIGN, state)
    _check_actor(by, handoff, HandoffAction.REASSIGN)
    now = utcnow()
    taker, covering = await routing.with_cover(session, by.branch_id, assignee_id, now)
    before = handoff.assignee_id
    handoff.assignee_id = taker or assignee_id
    handoff.routed_by = (routing.RoutedBy.COVER if covering else routing.RoutedBy.REASSIGNED).value
    handoff.state, handoff.accepted_at, handoff.started_at = HandoffState.SUBMITTED.value, None, None
    handoff.updated_at = now
    await session.flush()
    details = {"from": str(before) if before else None, "to": str(handoff.assignee_id), "note": (note or "")[:500]}
    await audit.record(session, by.branch_id, by.author, "handoff.reassigned", "handoff", handoff.id, details)
    kind = (await repository.types_by_id(session, [handoff.type_id]))[0]
    await _announce_assignment(session, handoff, kind, now)
    return handoff


async def release_leaver(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> int:
    """A member who left the bank (``staffing.deactivate``): each open handoff assigned to them is routed
    again as a new one would be (the client's owner, the least-loaded member of its role on duty, else the
    branch head), waits for its new assignee to accept it, and they are told; how many moved."""
    now = utcnow()
    moved = 0
    for handoff in await repository.open_assigned_to(session, by.branch_id, staff_id):
        kind = (await repository.types_by_id(session, [handoff.type_id]))[0]
        owner = None
        if kind.route_to_client_owner and handoff.client_id is not None:
            owner = await _owner_or_none(session, by, handoff.client_id)
        taker, how = await routing.route(session, by.branch_id, handoff.target_role, now, client_owner=owner)
        if taker is None or taker == staff_id:
            continue
        handoff.assignee_id, handoff.routed_by = taker, how.value
        handoff.state, handoff.accepted_at, handoff.started_at = HandoffState.SUBMITTED.value, None, None
        handoff.updated_at = now
        await session.flush()
        details = {"from": str(staff_id), "to": str(taker), "routed_by": how.value, "reason": "left the bank"}
        await audit.record(session, by.branch_id, by.author, "handoff.reassigned", "handoff", handoff.id, details)
        await _announce_assignment(session, handoff, kind, now)
        moved += 1
    return moved


async def _owner_or_none(session: AsyncSession, by: Principal, client_id: uuid.UUID) -> uuid.UUID | None:
    try:
        return await client_owner(session, by, client_id)
    except NotFound:
        return None


# --- reading -------------------------------------------------------------------------------------


async def _filters(
    session: AsyncSession, by: Principal, seen: repository.Viewer, given: HandoffFilters
) -> repository.Filters:
    type_id = (await type_of(session, given.type)).id if given.type is not None else None
    if given.client_id is not None:
        await client_owner(session, by, given.client_id)
    me = by.staff_id
    return repository.Filters(
        assignee_id=me if given.mine else None,
        raised_by=me if given.raised_by_me else None,
        roles=(seen.roles if not seen.everything else await _my_roles(session, by)) if given.role_queue else None,
        state=given.state.value if given.state else None,
        type_id=type_id,
        overdue_at=utcnow() if given.overdue else None,
        client_id=given.client_id,
        open_only=given.open_only,
    )


async def _my_roles(session: AsyncSession, by: Principal) -> tuple[str, ...]:
    if by.staff_id is None:
        return ()
    return tuple(await repository.member_roles(session, by.branch_id, by.staff_id, utcnow()))


async def list_handoffs(
    session: AsyncSession, by: Principal, page: PageRequest, filters: HandoffFilters
) -> Page[Handoff]:
    """The handoffs the caller sees, newest first unless ``page`` says otherwise."""
    by.require(HANDOFF_RAISE)
    seen = await viewer(session, by)
    stmt = repository.handoffs_query(by.branch_id, seen, await _filters(session, by, seen, filters))
    return await keyset(session, stmt, HANDOFF_ORDERS[page.order_by or "created_at"], page, lambda row: row)


async def count_handoffs(session: AsyncSession, by: Principal, filters: HandoffFilters) -> int:
    by.require(HANDOFF_RAISE)
    seen = await viewer(session, by)
    return await count(
        session, repository.handoffs_query(by.branch_id, seen, await _filters(session, by, seen, filters))
    )


async def handoffs_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Handoff]:
    """By id for ``node`` and payloads: only those the caller sees; never an error."""
    return await repository.handoffs_by_id(session, by.branch_id, await viewer(session, by), ids)


async def handoffs_of_clients(
    session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Handoff]]:
    """Each client's handoffs the caller sees, newest first (the clients were reached by a scoped read)."""
    found: dict[uuid.UUID, list[Handoff]] = {}
    for handoff in await repository.handoffs_of_clients(session, by.branch_id, await viewer(session, by), client_ids):
        assert handoff.client_id is not None
        found.setdefault(handoff.client_id, []).append(handoff)
    return found


async def handoffs_of_origins(
    session: AsyncSession, by: Principal, origin: OriginType, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Handoff]]:
    found: dict[uuid.UUID, list[Handoff]] = {}
    rows = await repository.handoffs_of_origins(session, by.branch_id, await viewer(session, by), origin.value, ids)
    for handoff in rows:
        assert handoff.origin_id is not None
        found.setdefault(handoff.origin_id, []).append(handoff)
    return found


async def open_work(session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open handoffs per client, for routing cards (a count, no detail)."""
    if not (by.can(CLIENT_CARD_READ) or by.can(CLIENT_READ)):
        return {}
    return await repository.open_counts(session, by.branch_id, client_ids)


async def escalations_of(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, HandoffEscalation]:
    """The escalation of each handoff (the caller reached the handoffs through a scoped read)."""
    return {e.handoff_id: e for e in await repository.escalations(session, by.branch_id, ids)}


async def on_duty(session: AsyncSession, branch_id: uuid.UUID, now: datetime | None = None) -> list[uuid.UUID]:
    """Everyone of the branch on duty now (a member, active, not away): who a broadcast reaches."""
    return await repository.on_duty(session, branch_id, now or utcnow())


def is_overdue(handoff: Handoff, now: datetime) -> bool:
    return handoff.state in OPEN and handoff.due_at < now


# --- the SLA watch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchResult:
    escalated: list[uuid.UUID]
    expired: list[uuid.UUID]


async def watch(session: AsyncSession, by: Principal, now: datetime | None = None) -> WatchResult:
    """Escalate every open handoff past due to the branch heads, once (a unique escalation row per
    handoff, so a watch delivered twice, or two at once, escalates nothing twice); expire those past
    their type's hard limit. Two set-based statements and the notifications."""
    if not by.is_system:
        by.require(HANDOFF_MANAGE)
    now = now or utcnow()
    branch_id = by.branch_id
    recorded = await repository.escalate_overdue(session, branch_id, now)
    heads = await tenants.holders_of(session, branch_id, routing.BRANCH_HEAD) if recorded else []
    for handoff_id, due_at in recorded:
        await notifications.notify(
            session,
            branch_id,
            heads,
            kind=kinds.HANDOFF_ESCALATED,
            key=f"handoff.escalated:{handoff_id}",
            title="协作事项已超时 · A handoff is past its due time",
            body=f"due {due_at.isoformat()}",
            subject=("handoff", handoff_id),
        )
        await audit.record(session, branch_id, by.author, "handoff.escalated", "handoff", handoff_id, {})
    expired = await repository.expire_past(session, branch_id, now)
    for handoff_id, _assignee, _raiser in expired:
        await audit.record(session, branch_id, by.author, "handoff.expire", "handoff", handoff_id, {})
    return WatchResult([row[0] for row in recorded], [row[0] for row in expired])
