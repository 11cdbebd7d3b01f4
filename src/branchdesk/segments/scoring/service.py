"""Value tiers, RFM scores and lifecycle stages.

Head office defines the ladder (tiers by AUM threshold) and the lifecycle rules for every branch; a
branch head may set the branch's own thresholds for the same tiers. :func:`rescore` recomputes a whole
branch with one set-based statement (nightly in the branch's time zone, after a holdings feed, or from
``branchdesk crm score``); every change of a client's tier or stage is kept with the run's reason.
"""

from __future__ import annotations

import calendar
import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import service as crm
from branchdesk.crm.permissions import CLIENT_CARD_READ, CLIENT_READ
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.segments import errors
from branchdesk.segments.models import ClientScore, ClientScoreChange
from branchdesk.segments.permissions import TIER_DEFINE, TIER_OVERRIDE
from branchdesk.segments.rules import ChangeKind
from branchdesk.segments.scoring import repository
from branchdesk.segments.scoring.repository import Rescored
from branchdesk.tenants import service as tenants

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
CHANGE_ORDERS: dict[str, Key] = {"changed_at": (ClientScoreChange.changed_at, ClientScoreChange.id)}


@dataclass(frozen=True)
class Tier:
    """A tier as a branch applies it: head office's threshold, or the branch's own."""

    code: str
    rank: int
    name_zh: str
    name_en: str
    min_aum_cny: Decimal
    head_office_min_aum_cny: Decimal

    @property
    def overridden(self) -> bool:
        return self.min_aum_cny != self.head_office_min_aum_cny


@dataclass(frozen=True)
class TierDraft:
    code: str
    name_zh: str
    name_en: str
    min_aum_cny: Decimal


@dataclass(frozen=True)
class Policy:
    dormant_months: int
    new_months: int


# --- the ladder ----------------------------------------------------------------------------------


async def ladder(session: AsyncSession, branch_id: uuid.UUID | None) -> list[Tier]:
    """The tiers, lowest first, with the branch's own thresholds where it set them."""
    if branch_id is None:
        return [
            Tier(t.code, t.rank, t.name_zh, t.name_en, t.min_aum_cny, t.min_aum_cny)
            for t in await repository.tiers(session)
        ]
    return [
        Tier(t.code, t.rank, t.name_zh, t.name_en, own if own is not None else t.min_aum_cny, t.min_aum_cny)
        for t, own in await repository.ladder(session, branch_id)
    ]


async def tiers(session: AsyncSession, by: Principal) -> list[Tier]:
    """The ladder as the caller's branch applies it (anyone signed in may read it)."""
    return await ladder(session, by.branch_id if by.branch is not None else None)


async def tier_codes(session: AsyncSession) -> tuple[str, ...]:
    return tuple(t.code for t in await repository.tiers(session))


def _rising(amounts: list[Decimal], field: str) -> list[DomainError]:
    if not amounts or amounts[0] != 0 or any(b <= a for a, b in itertools.pairwise(amounts)):
        return [DomainError(errors.TIER_THRESHOLDS, field=field)]
    return []


async def define_tiers(session: AsyncSession, by: Principal, drafts: list[TierDraft]) -> list[Tier]:
    """Head office's ladder for every branch, lowest first. Branch thresholds of tiers that remain are
    kept; clients move at each branch's next scoring run."""
    by.require(TIER_DEFINE)
    codes = [d.code.strip() for d in drafts]
    problems: list[DomainError] = []
    names_ok = all(d.name_zh.strip() and d.name_en.strip() for d in drafts)
    if not 2 <= len(drafts) <= 10 or len(set(codes)) != len(codes) or not names_ok:
        problems.append(DomainError(errors.TIER_LADDER, field="tiers"))
    for index, code in enumerate(codes):
        if not _CODE.match(code):
            problems.append(DomainError(errors.TIER_LADDER, field=f"tiers[{index}].code"))
    problems += _rising([d.min_aum_cny for d in drafts], "tiers")
    if problems:
        raise InvalidInput(problems)
    rows = [
        {"code": code, "rank": rank, "name_zh": d.name_zh.strip(), "name_en": d.name_en.strip()}
        | {"min_aum_cny": d.min_aum_cny}
        for rank, (code, d) in enumerate(zip(codes, drafts, strict=True))
    ]
    await repository.replace_tiers(session, rows, utcnow())
    await _audit_head_office(
        session, by, "tiers.defined", {"tiers": {c: str(d.min_aum_cny) for c, d in zip(codes, drafts, strict=True)}}
    )
    return await ladder(session, None)


async def override_tiers(session: AsyncSession, by: Principal, thresholds: dict[str, Decimal | None]) -> list[Tier]:
    """The branch's own thresholds (None: back to head office's). The result must still rise with the
    tiers from 0."""
    by.require(TIER_OVERRIDE)
    current = await ladder(session, by.branch_id)
    known = {t.code: t for t in current}
    problems = [
        DomainError(errors.TIER_UNKNOWN, field=f"thresholds.{code}", tier=code[:30])
        for code in thresholds
        if code not in known
    ]
    if problems:
        raise InvalidInput(problems)
    effective = {t.code: t.min_aum_cny for t in current}
    for code, amount in thresholds.items():
        effective[code] = amount if amount is not None else known[code].head_office_min_aum_cny
    problems = _rising([effective[t.code] for t in current], "thresholds")
    if problems:
        raise InvalidInput(problems)
    rows = [
        {"tenant_id": by.branch_id, "id": uuid.uuid4(), "tier_code": t.code, "min_aum_cny": effective[t.code]}
        | {"set_by": by.staff_id}
        for t in current
        if effective[t.code] != t.head_office_min_aum_cny
    ]
    await repository.replace_thresholds(session, by.branch_id, rows)
    details = {"thresholds": {r["tier_code"]: str(r["min_aum_cny"]) for r in rows}}
    await audit.record(session, by.branch_id, by.author, "tiers.overridden", "branch", by.branch_id, details)
    return await ladder(session, by.branch_id)


async def scoring_policy(session: AsyncSession, by: Principal) -> Policy:
    found = await repository.policy(session)
    return Policy(found.dormant_months, found.new_months)


async def set_scoring_policy(session: AsyncSession, by: Principal, dormant_months: int, new_months: int) -> Policy:
    """Head office: dormant after N months without interaction or holding movement; new for M months."""
    by.require(TIER_DEFINE)
    if not (1 <= dormant_months <= 60 and 1 <= new_months <= 24):
        field = "dormantMonths" if not 1 <= dormant_months <= 60 else "newMonths"
        raise DomainError(errors.SCORING_MONTHS, field=field)
    found = await repository.policy(session)
    found.dormant_months, found.new_months, found.updated_at = dormant_months, new_months, utcnow()
    await session.flush()
    await _audit_head_office(
        session, by, "scoring.policy_set", {"dormant_months": dormant_months, "new_months": new_months}
    )
    return Policy(dormant_months, new_months)


async def _audit_head_office(session: AsyncSession, by: Principal, action: str, details: dict[str, Any]) -> None:
    office = await tenants.head_office(session)
    if office is not None and office.id == by.branch_id:
        await audit.record(session, office.id, by.author, action, "branch", office.id, details)


# --- scoring -------------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day where it is shorter)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


async def rescore(session: AsyncSession, by: Principal, reason: str, now: datetime | None = None) -> Rescored:
    """Recompute the branch's tiers, RFM quintiles and lifecycle stages in one statement; record each
    change of tier or stage with ``reason``. Running it again changes nothing. The system only (jobs,
    the CLI, the demo)."""
    if not by.is_system:
        raise Forbidden("scoring")
    now = now or utcnow()
    rules = await repository.policy(session)
    return await repository.rescore(
        session,
        by.branch_id,
        now=now,
        dormant_since=months_before(now, rules.dormant_months),
        new_since=months_before(now, rules.new_months),
        year_ago=now - timedelta(days=365),
        reason=reason[:200],
    )


# --- reading -------------------------------------------------------------------------------------


async def scores_of(session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, ClientScore]:
    """The current scores of clients the caller reached (through a scoped read or a routing card)."""
    if not (by.can(CLIENT_READ) or by.can(CLIENT_CARD_READ)):
        return {}
    return {s.id: s for s in await repository.scores_of(session, by.branch_id, client_ids)}


async def _changes_stmt(
    by: Principal, kind: ChangeKind, since: datetime, until: datetime | None, to_value: str | None
) -> Any:
    return repository.changes_query(by.branch_id, crm.reader(by), kind.value, since, until, to_value)


async def list_changes(
    session: AsyncSession,
    by: Principal,
    page: PageRequest,
    kind: ChangeKind,
    since: datetime,
    until: datetime | None = None,
    to_value: str | None = None,
) -> Page[ClientScoreChange]:
    """Changes of tier (or stage) since a time, e.g. "who moved up to 白金 this month", of the clients the
    caller's data scope reaches; newest first unless ``page`` says otherwise."""
    stmt = await _changes_stmt(by, kind, since, until, to_value)
    return await keyset(session, stmt, CHANGE_ORDERS["changed_at"], page, lambda row: row)


async def count_changes(
    session: AsyncSession,
    by: Principal,
    kind: ChangeKind,
    since: datetime,
    until: datetime | None = None,
    to_value: str | None = None,
) -> int:
    return await count(session, await _changes_stmt(by, kind, since, until, to_value))


async def clients_in_tiers(session: AsyncSession, by: Principal, tiers: list[str], field: str = "tier") -> Any:
    """A sub-select of the branch's clients in these tiers, for the client list's ``tier`` filter."""
    known = await tier_codes(session)
    for code in tiers:
        if code not in known:
            raise DomainError(errors.TIER_UNKNOWN, field=field, tier=code[:30])
    return repository.clients_in_tiers(by.branch_id, tiers)


async def changes_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[ClientScoreChange]:
    """Tier and stage changes by id, of clients the caller's ``client:read`` scope reaches; never an error."""
    scope = by.data_scope(CLIENT_READ)
    if scope is None or not ids:
        return []
    return await repository.changes_by_id(session, by.branch_id, crm.reader(by), ids)
