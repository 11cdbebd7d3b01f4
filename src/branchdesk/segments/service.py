"""Rule segments: staff define a segment as a tree of conditions over the branch's clients; it is checked
(every problem named by its path), previewed (a count and a first page) and saved; the scoring run
materialises every segment's membership set-based, so a segment of 50,000 clients pages by index.
Head office publishes templates that every branch adopts at its next scoring run.

A segment only ever reaches its own branch's clients (row-level security, and every statement filters by
the branch); reading members also applies the reader's data scope for ``client:read``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import service as crm
from branchdesk.crm.permissions import CLIENT_READ
from branchdesk.holdings import catalogue
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput, NotFound
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.segments import errors, repository, rules
from branchdesk.segments.models import Segment, SegmentMember, SegmentTemplate
from branchdesk.segments.permissions import SEGMENT_MANAGE, SEGMENT_PUBLISH, SEGMENT_READ
from branchdesk.segments.scoring import service as scoring
from branchdesk.segments.scoring.repository import Rescored
from branchdesk.tenants import service as tenants

log = structlog.get_logger(__name__)

SEGMENT_ORDERS: dict[str, Key] = {
    "name": (Segment.name, Segment.id),
    "created_at": (Segment.created_at, Segment.id),
}
MEMBER_ORDERS: dict[str, Key] = {"entered_at": (SegmentMember.entered_at, SegmentMember.id)}


@dataclass(frozen=True)
class Member:
    """A client's current stay in a segment."""

    id: uuid.UUID
    client_id: uuid.UUID
    entered_at: datetime


@dataclass(frozen=True)
class Preview:
    count: int
    page: Page[crm.ClientProfile]


@dataclass(frozen=True)
class BranchRun:
    """What one scoring run of a branch did."""

    scored: Rescored
    segments: int
    entered: int
    left: int
    skipped: list[str]


async def vocabulary(
    session: AsyncSession, by: Principal, rule: Any = None, tiers: tuple[str, ...] | None = None
) -> rules.Vocabulary:
    """What a rule may name: the tiers (``tiers`` when already read), and those of the products it names
    that the catalogue has."""
    named = rules.named_products(rule)
    known = [p.code for p in await catalogue.products_by_code(session, by, named)] if named else []
    return rules.Vocabulary(tiers=tiers or await scoring.tier_codes(session), products=frozenset(known))


async def moment(session: AsyncSession, by: Principal, now: datetime | None = None) -> repository.Moment:
    branch = await tenants.branch_by_id(session, by.branch_id)
    now = now or utcnow()
    return repository.Moment(now.astimezone(ZoneInfo(branch.timezone)).date(), now)


def _name(name: str, field: str = "name") -> str:
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= 100:
        raise DomainError(errors.SEGMENT_NAME, field=field)
    return cleaned


# --- defining ------------------------------------------------------------------------------------


async def check(session: AsyncSession, by: Principal, rule: Any) -> tuple[rules.Rule, rules.Vocabulary]:
    """A rule's JSON form checked against the current vocabulary (InvalidInput naming each path)."""
    words = await vocabulary(session, by, rule)
    return rules.check_rule(rule, words), words


async def define_segment(
    session: AsyncSession, by: Principal, name: str, description: str | None, rule: Any
) -> Segment:
    """A new segment of the branch, its membership materialised at once."""
    by.require(SEGMENT_MANAGE)
    problems: list[DomainError] = []
    try:
        cleaned = _name(name)
        if await repository.name_taken(session, by.branch_id, cleaned):
            problems.append(DomainError(errors.SEGMENT_NAME_TAKEN, field="name", name=cleaned))
    except DomainError as exc:
        problems.append(exc)
    try:
        checked, words = await check(session, by, rule)
    except InvalidInput as exc:
        problems += exc.errors
    if problems:
        raise InvalidInput(problems)
    now = utcnow()
    segment = Segment(
        id=uuid.uuid4(),
        tenant_id=by.branch_id,
        name=cleaned,
        description=(description or "").strip() or None,
        rule=rule,
        created_by=by.staff_id,
        created_at=now,
        updated_at=now,
        member_count=0,
    )
    session.add(segment)
    await session.flush()
    await _materialise(session, by, segment, checked, words, await moment(session, by, now))
    await repository.reload(session, segment)
    await audit.record(session, by.branch_id, by.author, "segment.defined", "segment", segment.id, {"name": cleaned})
    return segment


async def update_segment(
    session: AsyncSession,
    by: Principal,
    segment_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    rule: Any = None,
) -> Segment:
    """Change a segment's name, description or rule (None: unchanged); a new rule is materialised at once
    (clients who no longer match leave today, those who now match enter)."""
    by.require(SEGMENT_MANAGE)
    segment = await repository.segment_for_update(session, by.branch_id, segment_id)
    if segment is None:
        raise NotFound("Segment", "客户细分", field="id")
    problems: list[DomainError] = []
    cleaned = segment.name
    if name is not None:
        try:
            cleaned = _name(name)
            if await repository.name_taken(session, by.branch_id, cleaned, but=segment.id):
                problems.append(DomainError(errors.SEGMENT_NAME_TAKEN, field="name", name=cleaned))
        except DomainError as exc:
            problems.append(exc)
    checked = None
    words = rules.Vocabulary(())
    if rule is not None:
        try:
            checked, words = await check(session, by, rule)
        except InvalidInput as exc:
            problems += exc.errors
    if problems:
        raise InvalidInput(problems)
    segment.name = cleaned
    if description is not None:
        segment.description = description.strip() or None
    if checked is not None:
        segment.rule = rule
    segment.updated_at = utcnow()
    await session.flush()
    if checked is not None:
        at = await moment(session, by, segment.updated_at)
        await _materialise(session, by, segment, checked, words, at)
        await repository.reload(session, segment)
    details = {"name": cleaned, "rule_changed": checked is not None}
    await audit.record(session, by.branch_id, by.author, "segment.updated", "segment", segment.id, details)
    return segment


async def preview_segment(session: AsyncSession, by: Principal, rule: Any, page: PageRequest) -> Preview:
    """How many of the branch's clients a rule matches, and a first page of those the caller may read
    (by name): nothing is saved."""
    by.require(SEGMENT_MANAGE)
    checked, words = await check(session, by, rule)
    stmt = repository.preview_query(by.branch_id, crm.reader(by), checked, await moment(session, by), words)
    found = await keyset(session, stmt, crm.CLIENT_ORDERS["name"], page, crm.ClientProfile.of)
    return Preview(await count(session, stmt), found)


async def publish_template(
    session: AsyncSession, by: Principal, name: str, description: str | None, rule: Any
) -> SegmentTemplate:
    """Head office publishes (or republishes, as a new version) a segment every branch adopts at its next
    scoring run; a branch that already has its own segment of that name keeps it."""
    by.require(SEGMENT_PUBLISH)
    problems: list[DomainError] = []
    try:
        cleaned = _name(name)
    except DomainError as exc:
        problems.append(exc)
    try:
        await check(session, by, rule)
    except InvalidInput as exc:
        problems += exc.errors
    if problems:
        raise InvalidInput(problems)
    now = utcnow()
    template = await repository.template_named(session, cleaned)
    if template is None:
        template = SegmentTemplate(
            id=uuid.uuid4(), name=cleaned, rule=rule, version=1, published_by=by.staff_id, created_at=now
        )
        session.add(template)
    else:
        template.rule, template.version, template.published_by = rule, template.version + 1, by.staff_id
    template.description = (description or "").strip() or None
    template.updated_at = now
    await session.flush()
    details = {"name": cleaned, "version": template.version}
    await audit.record(
        session, by.branch_id, by.author, "segment.template_published", "segment_template", template.id, details
    )
    return template


async def add_segments(session: AsyncSession, by: Principal, drafts: list[tuple[str, str | None, Any]]) -> int:
    """The system gives a branch segments it lacks by name, (name, description, rule) each, in one
    statement (the demo; an onboarding default set). They are materialised by the next run."""
    if not by.is_system:
        raise Forbidden("segments")
    now = utcnow()
    words = await vocabulary(session, by, [rule for _, _, rule in drafts])
    for name, _, rule in drafts:
        rules.check_rule(rule, words)  # a shipped set is checked like any other
        _name(name)
    rows = [
        {"tenant_id": by.branch_id, "id": uuid.uuid4(), "name": name.strip(), "description": description}
        | {"rule": rule, "created_at": now, "updated_at": now, "member_count": 0}
        for name, description, rule in drafts
    ]
    return await repository.add_missing(session, rows) if rows else 0


# --- materialising -------------------------------------------------------------------------------


async def _materialise(
    session: AsyncSession,
    by: Principal,
    segment: Segment,
    checked: rules.Rule,
    words: rules.Vocabulary,
    at: repository.Moment,
) -> tuple[int, int, int]:
    members = repository.matching(by.branch_id, checked, at, words)
    return await repository.materialise(session, by.branch_id, segment.id, members, at.now)


async def materialise_all(
    session: AsyncSession, by: Principal, now: datetime | None = None
) -> tuple[int, int, int, list[str]]:
    """Adopt head office's templates, then bring every segment's membership up to date (one statement
    per segment). A segment whose rule no longer checks (a tier head office removed) keeps its members
    and is named in the result. Returns (segments, entered, left, skipped names)."""
    if not by.is_system:
        raise Forbidden("scoring")
    at = await moment(session, by, now)
    await repository.adopt_templates(session, by.branch_id, at.now)
    tiers = await scoring.tier_codes(session)
    entered = left = done = 0
    skipped: list[str] = []
    for segment in await repository.active_segments(session, by.branch_id):
        try:
            words = await vocabulary(session, by, segment.rule, tiers)
            checked = rules.check_rule(segment.rule, words)
        except InvalidInput:
            skipped.append(segment.name)
            log.warning("segment rule no longer valid", segment=str(segment.id), branch=str(by.branch_id))
            continue
        came, went, _ = await _materialise(session, by, segment, checked, words, at)
        entered, left, done = entered + came, left + went, done + 1
    return done, entered, left, skipped


async def run_branch(session: AsyncSession, by: Principal, reason: str, now: datetime | None = None) -> BranchRun:
    """One scoring run of a branch: tiers, scores and stages (one statement), then every segment."""
    now = now or utcnow()
    scored = await scoring.rescore(session, by, reason, now)
    done, entered, left, skipped = await materialise_all(session, by, now)
    return BranchRun(scored, done, entered, left, skipped)


# --- reading -------------------------------------------------------------------------------------


async def list_segments(session: AsyncSession, by: Principal, page: PageRequest) -> Page[Segment]:
    by.require(SEGMENT_READ)
    stmt = repository.segments_query(by.branch_id)
    return await keyset(session, stmt, SEGMENT_ORDERS[page.order_by or "name"], page, lambda row: row)


async def count_segments(session: AsyncSession, by: Principal) -> int:
    by.require(SEGMENT_READ)
    return await count(session, repository.segments_query(by.branch_id))


async def segments_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Segment]:
    """Segments by id (``node``, loaders, payloads): none without ``segment:read``, never an error."""
    if not by.can(SEGMENT_READ):
        return []
    return await repository.segments_by_id(session, by.branch_id, ids)


async def _segment(session: AsyncSession, by: Principal, segment_id: uuid.UUID) -> Segment:
    found = await segments_by_id(session, by, [segment_id])
    if not found:
        raise NotFound("Segment", "客户细分", field="segmentId")
    return found[0]


async def list_members(session: AsyncSession, by: Principal, segment_id: uuid.UUID, page: PageRequest) -> Page[Member]:
    """A segment's current members that the caller's ``client:read`` scope reaches, by when they entered."""
    by.require(SEGMENT_READ)
    await _segment(session, by, segment_id)
    stmt = repository.members_query(by.branch_id, segment_id, crm.reader(by))
    return await keyset(session, stmt, MEMBER_ORDERS["entered_at"], page, lambda row: Member(row[1], row[2], row[0]))


async def count_members(session: AsyncSession, by: Principal, segment_id: uuid.UUID) -> int:
    by.require(SEGMENT_READ)
    return await count(session, repository.members_query(by.branch_id, segment_id, crm.reader(by)))


async def members_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Member]:
    """Current memberships by id (``node``), of clients the caller's scope reaches; never an error."""
    if not by.can(SEGMENT_READ) or by.data_scope(CLIENT_READ) is None or not ids:
        return []
    rows = await repository.members_by_id(session, by.branch_id, crm.reader(by), ids)
    return [Member(row[1], row[2], row[0]) for row in rows]


async def templates(session: AsyncSession, by: Principal) -> list[SegmentTemplate]:
    by.require(SEGMENT_READ)
    return await repository.templates(session)
