"""Head-office directives with read attestation.

Head office publishes a directive to all branches, a level, a region or a list, naming the roles that
must attest it by a deadline. A published directive is never edited: :func:`supersede` publishes a
correction as a new version, which asks for attestation again. Each branch's staff attest "read and
understood" once (after the deadline it is recorded as late, not refused); head office sees the rate per
branch and role, and who is missing. Delivery (the inbox notice), the reminder before the deadline and
the escalation to the branch head after it are per-branch work, each done once (:func:`watch`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.registry import ROLES
from branchdesk.access.unit_of_work import across
from branchdesk.directives import errors, kinds, repository
from branchdesk.directives.models import (
    Directive,
    DirectiveCategory,
    DirectiveQuestion,
    DirectiveTarget,
)
from branchdesk.directives.permissions import DIRECTIVE_MONITOR, DIRECTIVE_PUBLISH, DIRECTIVE_READ
from branchdesk.notifications import service as notifications
from branchdesk.platform import audit, outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, Forbidden, NotFound
from branchdesk.platform.events import Event, publish_after_commit
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Page, PageRequest, count, keyset
from branchdesk.rbac.permissions import HEAD_OFFICE_ROLES
from branchdesk.tenants.models import BranchLevel

PUBLISHED = "directive.published"  # live topic, on every branch's channel
DELIVER_JOB = "directive_published"
REMIND_AHEAD = timedelta(hours=24)
MAX_LISTED = 500


def _not_found(field: str = "id") -> NotFound:
    return NotFound("Directive", "总行通知", field=field)


@dataclass(frozen=True)
class DirectiveDraft:
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    category: DirectiveCategory
    effective_on: date
    deadline: datetime
    roles: list[str]
    target: DirectiveTarget
    level: BranchLevel | None = None
    region: str | None = None  # a branch code
    branches: list[str] = field(default_factory=list)  # branch codes
    attachments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DirectiveRow:
    """A directive as the caller sees it: with their own attestation, when they made one."""

    directive: Directive
    attested_at: datetime | None = None
    late: bool | None = None


def _as_row(row: Any) -> DirectiveRow:
    if isinstance(row, Directive):
        return DirectiveRow(row)
    return DirectiveRow(row[0], row[1], row[2])


# --- publishing ------------------------------------------------------------------------------------


async def _validated(session: AsyncSession, draft: DirectiveDraft, now: datetime) -> dict[str, Any]:
    texts = {
        "titleZh": (draft.title_zh.strip(), 200),
        "titleEn": (draft.title_en.strip(), 200),
        "bodyZh": (draft.body_zh.strip(), 20_000),
        "bodyEn": (draft.body_en.strip(), 20_000),
    }
    for name, (value, limit) in texts.items():
        if not 1 <= len(value) <= limit:
            raise DomainError(errors.DIRECTIVE_TEXT, field=name)
    local_effective = draft.effective_on
    if draft.deadline <= now or draft.deadline.date() < local_effective:
        raise DomainError(errors.DIRECTIVE_DEADLINE, field="deadline")
    roles = list(dict.fromkeys(draft.roles))
    if not roles:
        raise DomainError(errors.DIRECTIVE_ROLES, field="roles", role="—")
    for role in roles:
        if role not in ROLES or role in HEAD_OFFICE_ROLES:
            raise DomainError(errors.DIRECTIVE_ROLES, field="roles", role=role)
    attachments = [a.strip() for a in draft.attachments]
    if len(attachments) > 20 or any(not 1 <= len(a) <= 500 for a in attachments):
        raise DomainError(errors.DIRECTIVE_ATTACHMENTS, field="attachments")
    target: dict[str, Any] = {"target": draft.target, "target_level": None, "target_region_id": None}
    branch_ids: list[uuid.UUID] = []
    if draft.target is DirectiveTarget.LEVEL:
        if draft.level is None or draft.level is BranchLevel.HEAD_OFFICE:
            raise DomainError(errors.DIRECTIVE_TARGET, field="level")
        target["target_level"] = draft.level.value
    elif draft.target is DirectiveTarget.REGION:
        found = await repository.branches_by_code(session, [draft.region or ""])
        region = found.get(draft.region or "")
        if region is None:
            raise DomainError(errors.DIRECTIVE_TARGET, field="region")
        target["target_region_id"] = region.id
        branch_ids = await repository.region_branches(session, region.id)
    elif draft.target is DirectiveTarget.LIST:
        codes = list(dict.fromkeys(c.strip() for c in draft.branches))
        found = await repository.branches_by_code(session, codes)
        if not 1 <= len(codes) <= MAX_LISTED or len(found) != len(codes):
            raise DomainError(errors.DIRECTIVE_TARGET, field="branches")
        branch_ids = [found[c].id for c in codes]
    return {
        "title_zh": texts["titleZh"][0],
        "title_en": texts["titleEn"][0],
        "body_zh": texts["bodyZh"][0],
        "body_en": texts["bodyEn"][0],
        "attachments": attachments,
        "category": draft.category,
        "effective_on": draft.effective_on,
        "deadline": draft.deadline,
        "roles": roles,
        "target_branch_ids": branch_ids,
        **target,
    }


async def _publish(
    session: AsyncSession, by: Principal, values: dict[str, Any], previous: Directive | None
) -> Directive:
    now = utcnow()
    directive_id = new_id()
    directive = Directive(
        id=directive_id,
        series_id=previous.series_id if previous else directive_id,
        version=previous.version + 1 if previous else 1,
        supersedes_id=previous.id if previous else None,
        published_by=by.staff_id,
        published_at=now,
        **values,
    )
    if previous is not None:
        await repository.supersede(session, previous.id, now)
        previous.superseded_at = now
    session.add(directive)
    await session.flush()
    action = "directive.superseded" if previous else "directive.published"
    details = {"version": directive.version, "target": directive.target.value, "roles": directive.roles}
    await audit.record(session, by.branch_id, by.author, action, "directive", directive.id, details)
    # The branches are told by a job (one transaction each); the scheduled watch delivers whatever it missed.
    await outbox.enqueue(session, by.branch_id, DELIVER_JOB, directive_id=str(directive.id))
    publish_after_commit(session, Event(PUBLISHED, None, {"id": str(directive.id)}))
    return directive


async def publish(session: AsyncSession, by: Principal, draft: DirectiveDraft) -> Directive:
    """Publish a directive from head office to the branches ``draft`` names."""
    by.require(DIRECTIVE_PUBLISH)
    return await _publish(session, by, await _validated(session, draft, utcnow()), None)


async def supersede(session: AsyncSession, by: Principal, directive_id: uuid.UUID, draft: DirectiveDraft) -> Directive:
    """Publish a correction of a current directive: a new version that supersedes it; everyone attests
    again (attestations of the old version stay as they were)."""
    by.require(DIRECTIVE_PUBLISH)
    previous = await repository.directive(session, directive_id, for_update=True)
    if previous is None:
        raise _not_found()
    if previous.superseded_at is not None:
        newer = (await repository.next_versions(session, [previous.id]))[previous.id]
        raise DomainError(errors.DIRECTIVE_SUPERSEDED, field="id", version=str(newer.version))
    return await _publish(session, by, await _validated(session, draft, utcnow()), previous)


# --- reading ---------------------------------------------------------------------------------------


def oversees(by: Principal) -> bool:
    """Head office staff who see every directive (to monitor or publish), not only those reaching them."""
    return by.in_head_office and (by.can(DIRECTIVE_MONITOR) or by.can(DIRECTIVE_PUBLISH))


async def _list_query(session: AsyncSession, by: Principal, current_only: bool, to_attest: bool) -> Any:
    if oversees(by) and not to_attest:
        return repository.all_query(current_only)
    by.require(DIRECTIVE_READ)
    roles = None
    if to_attest:
        roles = await repository.roles_in(session, by.branch_id, by.staff_id, utcnow()) if by.staff_id else []
    return repository.for_branch_query(by.branch_id, by.staff_id, current_only, roles)


async def list_directives(
    session: AsyncSession, by: Principal, page: PageRequest, current_only: bool = True, to_attest: bool = False
) -> Page[DirectiveRow]:
    """Head office: every directive. A branch: those reaching it, with the caller's attestation;
    ``to_attest``: only those the caller must still attest. Oldest first unless ``page`` is descending."""
    stmt = await _list_query(session, by, current_only, to_attest)
    return await keyset(session, stmt, (Directive.published_at, Directive.id), page, _as_row)


async def count_directives(
    session: AsyncSession, by: Principal, current_only: bool = True, to_attest: bool = False
) -> int:
    return await count(session, await _list_query(session, by, current_only, to_attest))


async def directives_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[DirectiveRow]:
    """The directives among ``ids`` the caller may see (head office: all; a branch: those reaching it)."""
    if oversees(by):
        return [DirectiveRow(d) for d in await repository.directives_by_id(session, ids)]
    if not by.can(DIRECTIVE_READ):
        return []
    found = await repository.reaching(session, by.branch_id, ids)
    mine = (
        await repository.attestations(session, by.branch_id, by.staff_id, [d.id for d in found]) if by.staff_id else {}
    )
    return [
        DirectiveRow(d, mine[d.id].attested_at, mine[d.id].late) if d.id in mine else DirectiveRow(d) for d in found
    ]


async def get_directive(session: AsyncSession, by: Principal, directive_id: uuid.UUID) -> DirectiveRow:
    found = await directives_by_id(session, by, [directive_id])
    if not found:
        if not oversees(by):
            by.require(DIRECTIVE_READ)
        raise _not_found()
    return found[0]


async def next_versions(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, Directive]:
    return await repository.next_versions(session, ids)


async def published(session: AsyncSession, by: Principal, event: Event) -> DirectiveRow | None:
    """The directive an event announced as it was published (attested by nobody yet), if the subscriber
    sees it: head office monitors every one, a branch those reaching it (for ``directivePublished``). The
    same for everyone in the branch who oversees alike: one read serves all of them."""
    directive_id = uuid.UUID(event.data["id"])
    if oversees(by):
        found = await repository.directives_by_id(session, [directive_id])
    elif by.can(DIRECTIVE_READ):
        found = await repository.reaching(session, by.branch_id, [directive_id])
    else:
        return None
    return DirectiveRow(found[0]) if found else None


# --- attesting and asking --------------------------------------------------------------------------


async def attest(session: AsyncSession, by: Principal, directive_id: uuid.UUID) -> DirectiveRow:
    """Record that the caller read and understood the directive: once (a repeat returns the first), late
    when after the deadline. Only the roles it names attest, and only its current version."""
    by.require(DIRECTIVE_READ)
    if by.staff_id is None:
        raise Forbidden("signed-in")
    reached = await repository.reaching(session, by.branch_id, [directive_id])
    if not reached:
        raise _not_found()
    directive = reached[0]
    if directive.superseded_at is not None:
        newer = (await repository.next_versions(session, [directive.id]))[directive.id]
        raise DomainError(errors.DIRECTIVE_SUPERSEDED, field="id", version=str(newer.version))
    now = utcnow()
    roles = await repository.roles_in(session, by.branch_id, by.staff_id, now)
    if not set(roles) & set(directive.roles):
        raise DomainError(errors.DIRECTIVE_NOT_REQUIRED, field="id")
    late = now > directive.deadline
    attestation = await repository.attest(session, by.branch_id, directive.id, by.staff_id, now, late, new_id())
    if attestation.attested_at == now:
        details = {"version": directive.version, "late": late}
        await audit.record(session, by.branch_id, by.author, "directive.attested", "directive", directive.id, details)
    return DirectiveRow(directive, attestation.attested_at, attestation.late)


def _checked_text(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 2000:
        raise DomainError(errors.DIRECTIVE_QUESTION, field="text")
    return value


async def ask(session: AsyncSession, by: Principal, directive_id: uuid.UUID, text: str) -> DirectiveQuestion:
    """A question from the branch about a directive reaching it; head office sees it and answers."""
    by.require(DIRECTIVE_READ)
    if by.staff_id is None:
        raise Forbidden("signed-in")
    if not await repository.reaching(session, by.branch_id, [directive_id]):
        raise _not_found("directiveId")
    question = DirectiveQuestion(
        tenant_id=by.branch_id,
        id=new_id(),
        directive_id=directive_id,
        asked_by=by.staff_id,
        question=_checked_text(text),
        asked_at=utcnow(),
    )
    session.add(question)
    await session.flush()
    await audit.record(session, by.branch_id, by.author, "directive.asked", "directive_question", question.id)
    return question


async def answer(
    session: AsyncSession, by: Principal, platform: AsyncSession, question_id: uuid.UUID, text: str
) -> tuple[DirectiveQuestion, str]:
    """Head office answers a branch's question (written in that branch); the asker is told. Returns the
    question and its branch's code."""
    by.require(DIRECTIVE_PUBLISH)
    reply = _checked_text(text)
    branch_id = await repository.question_branch(platform, question_id)
    if branch_id is None:
        raise NotFound("Directive question", "通知提问", field="questionId")
    async with across(session, by, branch_id) as there:
        question = await repository.question(session, branch_id, question_id, for_update=True)
        if question is None:
            raise NotFound("Directive question", "通知提问", field="questionId")
        if question.answer is not None:
            raise DomainError(errors.DIRECTIVE_ANSWERED, field="questionId")
        question.answer, question.answered_by, question.answered_at = reply, by.staff_id, utcnow()
        await session.flush()
        await audit.record(session, branch_id, there.author, "directive.answered", "directive_question", question.id)
        await notifications.notify(
            session,
            branch_id,
            [question.asked_by],
            kind=kinds.ANSWERED,
            key=f"directive.answered:{question.id}",
            title="总行已答复您的提问 / Head office answered your question",
            body=reply,
            subject=("directive", question.directive_id),
        )
    codes = await repository.questions(platform, [question.directive_id], branch_id)
    code = next((c for q, c in codes if q.id == question.id), "")
    return question, code


async def questions(
    session: AsyncSession, by: Principal, platform: AsyncSession | None, directive_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[DirectiveQuestion, str]]]:
    """Questions about each directive: head office sees every branch's (through ``platform``), a branch
    its own."""
    if oversees(by) and platform is not None:
        rows = await repository.questions(platform, directive_ids, None)
    else:
        by.require(DIRECTIVE_READ)
        rows = await repository.questions(session, directive_ids, by.branch_id)
    found: dict[uuid.UUID, list[tuple[DirectiveQuestion, str]]] = {i: [] for i in directive_ids}
    for question, code in rows:
        found[question.directive_id].append((question, code))
    return found


# --- head office's view of attestation -------------------------------------------------------------


@dataclass(frozen=True)
class RoleRate:
    branch_id: uuid.UUID
    branch_code: str
    branch_name: str
    role: str
    required: int
    attested: int
    late: int


@dataclass(frozen=True)
class Missing:
    branch_code: str
    branch_name: str
    staff_id: uuid.UUID
    employee_number: str
    display_name: str
    roles: list[str]


@dataclass(frozen=True)
class Attestation:
    directive: Directive
    rates: list[RoleRate]
    missing: list[Missing]


async def attestation(
    session: AsyncSession,
    by: Principal,
    platform: AsyncSession,
    directive_id: uuid.UUID,
    *,
    branch_code: str | None = None,
    missing_limit: int = 200,
) -> Attestation:
    """Head office: the attestation rate of the directive per branch and role, and who is missing (at most
    ``missing_limit``, of one branch with ``branch_code``). Read across branches, and audited."""
    by.require(DIRECTIVE_MONITOR)
    directive = await repository.directive(session, directive_id)
    if directive is None:
        raise _not_found()
    branch_id = None
    if branch_code is not None:
        found = await repository.branches_by_code(session, [branch_code])
        if branch_code not in found:
            raise NotFound("Branch", "机构", field="branchCode")
        branch_id = found[branch_code].id
    now = utcnow()
    rates = [RoleRate(*row) for row in await repository.rates(platform, directive_id, now)]
    missing = [Missing(*row) for row in await repository.missing(platform, directive_id, now, branch_id, missing_limit)]
    details = {"branch": branch_code, "version": directive.version}
    await audit.record(
        session, by.branch_id, by.author, "directive.attestation_read", "directive", directive.id, details
    )
    return Attestation(directive, rates, missing)


# --- per-branch work: delivery, reminder, escalation -----------------------------------------------


def _title(directive: Directive) -> str:
    return f"{directive.title_zh} / {directive.title_en}"[:200]


async def deliver(session: AsyncSession, by: Principal, now: datetime | None = None) -> list[uuid.UUID]:
    """Deliver to the branch every current directive reaching it not delivered yet: each member who must
    attest is told in their inbox (once). The ids delivered."""
    if not by.is_system:
        raise Forbidden("system")
    now = now or utcnow()
    delivered = await repository.deliver_due(session, by.branch_id, now)
    if not delivered:
        return []
    directives = {d.id: d for d in await repository.directives_by_id(session, delivered)}
    for directive_id, staff in (await repository.missing_in_branch(session, by.branch_id, delivered, now)).items():
        directive = directives[directive_id]
        deadline = directive.deadline.isoformat()
        await notifications.notify(
            session,
            by.branch_id,
            staff,
            kind=kinds.PUBLISHED,
            key=f"directive:{directive_id}",
            title=_title(directive),
            body=f"请于 {deadline} 前阅读并确认 / Read and attest by {deadline}",
            subject=("directive", directive_id),
        )
    return delivered


@dataclass(frozen=True)
class Watched:
    delivered: int
    reminded: int
    escalated: int


async def watch(session: AsyncSession, by: Principal, now: datetime | None = None) -> Watched:
    """The branch's scheduled directive work: deliver what is new, remind those still missing a day before
    the deadline, and tell the branch heads who missed it once it passed — each once, however often it runs."""
    if not by.is_system:
        raise Forbidden("system")
    now = now or utcnow()
    delivered = await deliver(session, by, now)
    reminders = await repository.take_reminders(session, by.branch_id, now, REMIND_AHEAD)
    escalations = await repository.take_escalations(session, by.branch_id, now)
    directives = {d.id: d for d in await repository.directives_by_id(session, [*reminders, *escalations])}
    missing = await repository.missing_in_branch(session, by.branch_id, [*reminders, *escalations], now)
    for directive_id in reminders:
        directive = directives[directive_id]
        await notifications.notify(
            session,
            by.branch_id,
            missing.get(directive_id, []),
            kind=kinds.REMINDER,
            key=f"directive.reminder:{directive_id}",
            title=_title(directive),
            body=f"确认期限 {directive.deadline.isoformat()} / Attest by {directive.deadline.isoformat()}",
            subject=("directive", directive_id),
        )
    heads = await repository.branch_heads(session, by.branch_id, now) if escalations else []
    escalated = 0
    for directive_id in escalations:
        late = len(missing.get(directive_id, []))
        if not late:
            continue
        escalated += 1
        await notifications.notify(
            session,
            by.branch_id,
            heads,
            kind=kinds.ESCALATED,
            key=f"directive.escalated:{directive_id}",
            title=_title(directives[directive_id]),
            body=f"{late} 人逾期未确认 / {late} missed the attestation deadline",
            subject=("directive", directive_id),
        )
    return Watched(len(delivered), len(reminders), escalated)


async def reached_branches(session: AsyncSession, by: Principal, directive_id: uuid.UUID) -> list[uuid.UUID]:
    """The active branches a directive reaches (for the job that delivers it)."""
    if not by.is_system:
        raise Forbidden("system")
    return await repository.reached_branches(session, directive_id)


async def current_titled(session: AsyncSession, by: Principal, title_en: str) -> Directive | None:
    """The current directive with this English title, if any (head office; the demo's idempotence)."""
    by.require(DIRECTIVE_PUBLISH)
    return await repository.directive_titled(session, title_en)
