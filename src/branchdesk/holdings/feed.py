"""The core-banking feed: exchange rates, and holdings upserted set-based from a staging table, with each
concerned client's AUM recomputed in the same transaction.

How a feed runs (one transaction, the caller commits):

1. ``create_staging(session)`` makes the temporary table ``holdings_staging`` (dropped at commit); the
   caller fills it by COPY or INSERT (``stage_holdings`` for rows in hand). Its columns
   (``repository.STAGING_COLUMNS``)::

       line          integer         the row's line in the file, named in errors (may be null)
       reference     text NOT NULL   core-banking account or contract number: the key, unique per branch
       client_number text NOT NULL   the client's core-banking number (客户号) in this branch
       product_code  text NOT NULL   a code of the head-office catalogue (matched in capitals)
       balance       numeric NOT NULL in the holding's currency (rounded to 2 places)
       currency      text            ISO 4217 (null: the product's currency)
       opened_on     date
       matures_on    date            time deposits, wealth management
       status        text            active | matured | closed (null: active)

2. ``apply_holdings_feed(session, by, as_of)`` checks the staged rows in one statement (any problem:
   ``InvalidInput`` listing them, nothing written), upserts them in one
   ``INSERT … SELECT … ON CONFLICT … DO UPDATE … WHERE (…) IS DISTINCT FROM (…)`` (the same data again
   changes nothing), recomputes AUM and last movement in one UPDATE, audits, and hands ``holdings_fed``
   to the outbox when anything changed. ``full=True``: the staged rows are the branch's whole book, so
   its holdings they do not name are closed (one UPDATE) and their clients' AUM recomputed too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.holdings import errors, repository
from branchdesk.holdings.permissions import HOLDING_FEED
from branchdesk.holdings.rules import BASE_CURRENCY, CURRENCY
from branchdesk.platform import audit, outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, invalid

STAGING = repository.STAGING
FED_JOB = "holdings_fed"
MAX_RATE = Decimal("1000000")


@dataclass(frozen=True)
class FeedResult:
    inserted: int  # holdings new to the branch
    updated: int  # holdings whose values changed
    clients: int  # clients whose AUM or last movement changed
    fed_at: datetime
    closed: int = 0  # a full book: holdings it no longer holds, closed


async def create_staging(session: AsyncSession, by: Principal, name: str = STAGING) -> str:
    """The feed's empty staging table (temporary: dropped when the transaction ends); returns its name."""
    by.require(HOLDING_FEED)
    return await repository.create_staging(session, name)


async def stage_holdings(
    session: AsyncSession, by: Principal, rows: Sequence[Mapping[str, Any]], name: str = STAGING
) -> None:
    """Add rows in hand (keys: the staging columns) to the staging table."""
    by.require(HOLDING_FEED)
    await repository.stage(session, rows, name)


def _problem(row: Any, as_of: date) -> DomainError:
    problem, line, reference, value, n = row
    at = f"[{line}]." if line is not None else ""
    if problem == "duplicate":
        return DomainError(errors.DUPLICATE_REFERENCE, field=f"{at}reference", reference=reference)
    if problem == "client":
        return DomainError(errors.UNKNOWN_CLIENT_NUMBER, field=f"{at}clientNumber", reference=reference, number=value)
    if problem == "product":
        where, where_zh = f" (holding {reference})", f"（持仓 {reference}）"
        return DomainError(errors.UNKNOWN_PRODUCT, field=f"{at}productCode", code=value, where=where, where_zh=where_zh)
    if problem == "status":
        return DomainError(
            errors.HOLDING_ROW,
            field=f"{at}status",
            reference=reference,
            reason=f"the status is active, matured or closed (got {value}).",
            reason_zh=f"状态须为 active、matured 或 closed（收到 {value}）。",
        )
    if problem == "currency":
        return DomainError(errors.CURRENCY_FORMAT, field=f"{at}currency", currency=value)
    if problem == "dates":
        return DomainError(
            errors.HOLDING_ROW,
            field=f"{at}maturesOn",
            reference=reference,
            reason="it matures before it was opened.",
            reason_zh="到期日早于开立日。",
        )
    return DomainError(
        errors.MISSING_RATE, field="currency", currency=value, as_of=as_of.isoformat(), count=n, reference=reference
    )


async def apply_holdings_feed(
    session: AsyncSession, by: Principal, as_of: date, name: str = STAGING, *, full: bool = False
) -> FeedResult:
    """Apply the staged holdings to the caller's branch (see the module's docstring for the staging table):
    every problem at once and nothing written, or every holding upserted by reference and the AUM of each
    client concerned recomputed with the rates on or before ``as_of`` (the feed's business date).
    ``full``: the staged rows are the whole book; the branch's holdings they do not name are closed."""
    by.require(HOLDING_FEED)
    problems = await repository.feed_problems(session, by.branch_id, as_of, name)
    if problems:
        raise InvalidInput([_problem(row, as_of) for row in problems])
    fed_at = utcnow()
    written = await repository.upsert_holdings(session, by.branch_id, fed_at, name)
    closed = await repository.close_missing(session, by.branch_id, fed_at, name) if full else []
    inserted = sum(1 for _, new in written if new is True)
    updated = sum(1 for _, new in written if new is False)
    concerned = sorted({client for client, _ in written} | set(closed))
    clients = await repository.refresh_aum(session, by.branch_id, concerned, as_of, fed_at)
    details = {"as_of": as_of.isoformat(), "inserted": inserted, "updated": updated, "clients": clients}
    if full:
        details |= {"full": True, "closed": len(closed)}
    await audit.record(session, by.branch_id, by.author, "holdings.fed", "holding", None, details)
    if inserted or updated or closed or clients:
        await outbox.enqueue(session, by.branch_id, FED_JOB, fed_at=fed_at.isoformat(), as_of=as_of.isoformat())
    return FeedResult(inserted, updated, clients, fed_at, len(closed))


async def feed_holdings(
    session: AsyncSession, by: Principal, as_of: date, rows: Sequence[Mapping[str, Any]]
) -> FeedResult:
    """Stage rows in hand and apply them: a whole feed in one call."""
    await create_staging(session, by)
    await stage_holdings(session, by, rows)
    return await apply_holdings_feed(session, by, as_of)


async def stage_demo_holdings(session: AsyncSession, by: Principal, codes: Sequence[str], today: date) -> str:
    """Stage the demo's holdings of the branch's clients across the products named (set-based, derived
    from the client numbers: the same on every run for the same day); apply them with
    :func:`apply_holdings_feed`."""
    by.require(HOLDING_FEED)
    name = await repository.create_staging(session)
    await repository.stage_demo(session, by.branch_id, codes, today, name)
    return name


async def after_feed(session: AsyncSession, by: Principal, as_of: date) -> int:
    """What follows a feed, for its ``holdings_fed`` job (safe to run twice): AUM is already current from
    the feed's own transaction, so the recompute here changes nothing unless rates were recorded since
    (it covers every client holding another currency). Rescoring after a feed belongs here too."""
    by.require(HOLDING_FEED)
    return await repository.refresh_aum(session, by.branch_id, [], as_of, utcnow())


def _rate(currency: str, value: Any, problems: list[DomainError]) -> Decimal | None:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        rate = Decimal(0)
    if not rate.is_finite() or rate <= 0 or rate >= MAX_RATE:
        problems.append(DomainError(errors.RATE_NOT_POSITIVE, field=f"rates.{currency}", currency=currency, rate=value))
        return None
    return rate


async def record_rates(
    session: AsyncSession, by: Principal, as_of: date, rates: Mapping[str, Decimal | str | float]
) -> dict[str, Decimal]:
    """Record the feed's rates to CNY for ``as_of`` (a currency already recorded that day is replaced).
    Returns the rates recorded, by currency."""
    by.require(HOLDING_FEED)
    problems: list[DomainError] = []
    clean: dict[str, Decimal] = {}
    if not rates:
        raise DomainError(errors.NO_RATES, field="rates")
    for given, value in rates.items():
        currency = given.strip().upper()
        if not CURRENCY.match(currency):
            problems.append(DomainError(errors.CURRENCY_FORMAT, field="rates", currency=given))
        elif currency == BASE_CURRENCY:
            problems.append(DomainError(errors.RATE_OF_BASE, field=f"rates.{currency}"))
        elif currency in clean:
            problems.append(invalid("rates", f"{currency} is given twice.", f"{currency} 重复。"))
        elif (rate := _rate(currency, value, problems)) is not None:
            clean[currency] = rate
    if problems:
        raise InvalidInput(problems)
    changed = await repository.record_rates(session, by.branch_id, as_of, clean, utcnow())
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "exchange_rates.recorded",
        "exchange_rate",
        None,
        {"as_of": as_of.isoformat(), "rates": {c: str(r) for c, r in clean.items()}, "changed": changed},
    )
    return clean


async def rates_on(session: AsyncSession, by: Principal, as_of: date) -> dict[str, Decimal]:
    """The latest rate of each currency on or before ``as_of`` (CNY is 1 and not listed)."""
    by.require(HOLDING_FEED)
    return await repository.rates_on(session, by.branch_id, as_of)
