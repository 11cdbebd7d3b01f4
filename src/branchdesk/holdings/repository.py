"""All SQL of the product catalogue, holdings, exchange rates and the holdings feed.

Reads of holdings reach them only through the clients the reader's data scope reaches
(``crm.repository.in_scope``, in the same statement). The feed works set-based on a staging table (see
:data:`STAGING_COLUMNS`): one statement checks it, one upserts every holding, one recomputes the AUM of
every client concerned.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, literal_column, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.crm.repository import Reader, reachable
from branchdesk.holdings.models import ExchangeRate, Holding, Product

PRODUCT = (
    Product.code,
    Product.name_zh,
    Product.name_en,
    Product.category,
    Product.risk_grade,
    Product.currency,
    Product.active,
    Product.created_at,
    Product.updated_at,
)
HOLDING = (
    Holding.id,
    Holding.client_id,
    Holding.reference,
    Holding.product_code,
    Holding.balance,
    Holding.currency,
    Holding.opened_on,
    Holding.matures_on,
    Holding.status,
    Holding.moved_at,
)

# --- the catalogue -------------------------------------------------------------------------------


def products_query(category: str | None, active: bool | None, code_prefix: str | None) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = select(*PRODUCT)
    if code_prefix:
        escaped = code_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Product.code.like(escaped + "%", escape="\\"))
    if category is not None:
        stmt = stmt.where(Product.category == category)
    if active is not None:
        stmt = stmt.where(Product.active.is_(active))
    return stmt


async def products_by_code(session: AsyncSession, codes: Sequence[str]) -> list[Any]:
    if not codes:
        return []
    return list((await session.execute(select(*PRODUCT).where(Product.code.in_(codes)))).all())


async def add_product(session: AsyncSession, row: Mapping[str, Any]) -> bool:
    """Insert a product; False when its code is taken (nothing written)."""
    stmt = insert(Product).values(dict(row)).on_conflict_do_nothing(index_elements=[Product.code])
    return (await session.scalar(stmt.returning(Product.id))) is not None


async def add_products(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert many products in one statement, leaving codes already there alone; how many were new."""
    if not rows:
        return 0
    stmt = insert(Product).values([dict(r) for r in rows]).on_conflict_do_nothing(index_elements=[Product.code])
    return len(list(await session.scalars(stmt.returning(Product.id))))


async def change_product(session: AsyncSession, code: str, values: Mapping[str, Any]) -> bool:
    """Change a product's fields; False when there is no such code."""
    stmt = update(Product).where(Product.code == code).values(dict(values)).returning(Product.id)
    return (await session.scalar(stmt)) is not None


# --- holdings ------------------------------------------------------------------------------------


def holdings_query(branch_id: uuid.UUID, reader: Reader, client_ids: Sequence[uuid.UUID]) -> Select[*tuple[Any, ...]]:
    """The holdings of those clients that ``reader`` reaches."""
    visible = reachable(branch_id, reader, client_ids)
    return select(*HOLDING).where(Holding.tenant_id == branch_id, Holding.client_id.in_(visible))


def counts_query(branch_id: uuid.UUID, reader: Reader, client_ids: Sequence[uuid.UUID]) -> Select[*tuple[Any, ...]]:
    """(client, how many holdings) of those clients that ``reader`` reaches: from the index alone."""
    visible = reachable(branch_id, reader, client_ids)
    return (
        select(Holding.client_id, func.count())
        .where(Holding.tenant_id == branch_id, Holding.client_id.in_(visible))
        .group_by(Holding.client_id)
    )


async def holding_counts(
    session: AsyncSession, branch_id: uuid.UUID, reader: Reader, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not client_ids:
        return {}
    return {row[0]: int(row[1]) for row in await session.execute(counts_query(branch_id, reader, client_ids))}


async def holdings_by_id(
    session: AsyncSession, branch_id: uuid.UUID, reader: Reader, ids: Sequence[uuid.UUID]
) -> list[Any]:
    if not ids:
        return []
    visible = reachable(branch_id, reader)
    stmt = select(*HOLDING).where(Holding.tenant_id == branch_id, Holding.id.in_(ids), Holding.client_id.in_(visible))
    return list((await session.execute(stmt)).all())


def maturing_query(branch_id: uuid.UUID, reader: Reader, first: date, last: date) -> Select[*tuple[Any, ...]]:
    """Active holdings maturing between the two dates (both included), of clients ``reader`` reaches."""
    visible = reachable(branch_id, reader)
    return select(*HOLDING).where(
        Holding.tenant_id == branch_id,
        Holding.status == literal_column("'active'"),  # a literal, so the partial index's predicate matches
        Holding.matures_on.between(first, last),
        Holding.client_id.in_(visible),
    )


# --- exchange rates ------------------------------------------------------------------------------


async def record_rates(
    session: AsyncSession, branch_id: uuid.UUID, as_of: date, rates: Mapping[str, Decimal], at: datetime
) -> int:
    """Insert or replace the day's rates in one statement; how many rows changed."""
    rows = [
        {"tenant_id": branch_id, "id": uuid.uuid4(), "as_of": as_of, "currency": c, "rate": r, "recorded_at": at}
        for c, r in rates.items()
    ]
    stmt = insert(ExchangeRate).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ExchangeRate.tenant_id, ExchangeRate.currency, ExchangeRate.as_of],
        set_={"rate": stmt.excluded.rate, "recorded_at": stmt.excluded.recorded_at},
        where=ExchangeRate.rate.is_distinct_from(stmt.excluded.rate),
    )
    return len(list(await session.scalars(stmt.returning(ExchangeRate.id))))


async def rates_on(session: AsyncSession, branch_id: uuid.UUID, as_of: date) -> dict[str, Decimal]:
    """The latest rate of each currency on or before ``as_of``."""
    latest = (
        select(ExchangeRate.currency, func.max(ExchangeRate.as_of))
        .where(ExchangeRate.tenant_id == branch_id, ExchangeRate.as_of <= as_of)
        .group_by(ExchangeRate.currency)
    )
    stmt = select(ExchangeRate.currency, ExchangeRate.rate).where(
        ExchangeRate.tenant_id == branch_id, tuple_(ExchangeRate.currency, ExchangeRate.as_of).in_(latest)
    )
    return {row[0]: row[1] for row in await session.execute(stmt)}


# --- the feed ------------------------------------------------------------------------------------

STAGING = "holdings_staging"
# The staging table a feed fills (by COPY or INSERT) before :func:`upsert_holdings`: one row per holding.
STAGING_COLUMNS = (
    ("line", "integer"),  # the row's line in the file (named in errors); may be null
    ("reference", "text NOT NULL"),  # the core-banking account or contract number: the key
    ("client_number", "text NOT NULL"),  # the client's core-banking number (客户号)
    ("product_code", "text NOT NULL"),  # a code of the catalogue (matched in capitals)
    ("balance", "numeric NOT NULL"),  # in the holding's currency
    ("currency", "text"),  # ISO 4217; null: the product's currency
    ("opened_on", "date"),
    ("matures_on", "date"),
    ("status", "text"),  # active, matured or closed; null: active
)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# A UUIDv7 (time-ordered, like platform.ids.new_id) made by the server, for set-based inserts.
UUID7 = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) "
    "from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
)


def _staging(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a staging table name: {name!r}")
    return name


async def create_staging(session: AsyncSession, name: str = STAGING) -> str:
    """A temporary staging table of :data:`STAGING_COLUMNS`, dropped when the transaction ends."""
    columns = ", ".join(f"{column} {kind}" for column, kind in STAGING_COLUMNS)
    await session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{_staging(name)}"))
    await session.execute(text(f"CREATE TEMPORARY TABLE {_staging(name)} ({columns}) ON COMMIT DROP"))
    return name


async def stage(session: AsyncSession, rows: Sequence[Mapping[str, Any]], name: str = STAGING) -> None:
    """Add rows (keys: :data:`STAGING_COLUMNS`) to the staging table, 1,000 a statement."""
    names = [column for column, _ in STAGING_COLUMNS]
    stmt = text(f"INSERT INTO {_staging(name)} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})")
    if rows:
        await session.execute(stmt, [{n: row.get(n) for n in names} for row in rows])


async def stage_demo(
    session: AsyncSession, branch_id: uuid.UUID, codes: Sequence[str], today: date, name: str = STAGING
) -> None:
    """The demo's holdings: two to four per client, across the products named, derived from the client
    number (the same on every run for the same day); about one in ten time deposits and wealth products
    matures within the next week."""
    await session.execute(
        text(
            f"""
            INSERT INTO {_staging(name)} (reference, client_number, product_code, balance, currency,
                                          opened_on, matures_on, status)
            WITH catalogue AS (
              SELECT code, category, currency, row_number() OVER (ORDER BY code) - 1 AS n, count(*) OVER () AS size
              FROM products WHERE code = ANY(CAST(:codes AS text[]))
            ), picks AS (
              SELECT c.client_number, k AS slot,
                     abs(hashtext(c.client_number || ':' || k)::bigint) AS h
              FROM clients c CROSS JOIN generate_series(1, 4) AS k
              WHERE c.tenant_id = :branch_id AND k <= 2 + abs(hashtext(c.client_number)::bigint) % 3
            )
            SELECT 'H' || p.client_number || '-' || p.slot, p.client_number, k.code,
                   CASE k.category WHEN 'loan' THEN 50000 + p.h % 950000
                                   WHEN 'card' THEN p.h % 20000
                                   ELSE 1000 + (p.h % 500000) END
                     + (p.h % 100) / 100.0,
                   k.currency,
                   CAST(:today AS date) - CAST(30 + p.h % 900 AS integer),
                   CASE WHEN k.category IN ('time_deposit', 'wealth_management')
                        THEN CAST(:today AS date)
                             + CAST(CASE WHEN p.h % 10 = 0 THEN 1 + p.h % 7 ELSE 8 + p.h % 700 END AS integer)
                   END,
                   'active'
            FROM picks p JOIN catalogue k ON k.n = p.h % k.size
            """
        ),
        {"branch_id": branch_id, "codes": list(codes), "today": today},
    )


async def feed_problems(
    session: AsyncSession, branch_id: uuid.UUID, as_of: date, name: str = STAGING, limit: int = 200
) -> list[Any]:
    """What stops the staged feed, in one statement: rows of (problem, line, reference, value, count).
    Problems: duplicate, client, product, status, currency, dates, rate (a currency without a rate to CNY
    on or before ``as_of`` among the staged holdings and the branch's other active ones)."""
    stmt = text(
        f"""
        WITH s AS (
          SELECT s.*, coalesce(upper(s.currency), p.currency) AS ccy, coalesce(lower(s.status), 'active') AS st,
                 p.code IS NOT NULL AS known_product
          FROM {_staging(name)} s LEFT JOIN products p ON p.code = upper(s.product_code)
        ), wanted AS (
          SELECT ccy, min(reference) AS reference, count(*) AS n FROM (
            SELECT ccy, reference FROM s WHERE known_product AND st = 'active'
            UNION ALL
            SELECT h.currency, h.reference FROM holdings h
            WHERE h.tenant_id = :branch_id AND h.status = 'active'
              AND NOT EXISTS (SELECT 1 FROM s WHERE s.reference = h.reference)
          ) held WHERE ccy <> 'CNY' AND ccy ~ '^[A-Z]{{3}}$' GROUP BY ccy
        )
        (SELECT 'duplicate' AS problem, min(line) AS line, reference, reference AS value, count(*) AS n
           FROM s GROUP BY reference HAVING count(*) > 1
         UNION ALL
         SELECT 'client', line, reference, client_number, 1 FROM s
          WHERE NOT EXISTS (SELECT 1 FROM clients c
                            WHERE c.tenant_id = :branch_id AND c.client_number = s.client_number)
         UNION ALL
         SELECT 'product', line, reference, product_code, 1 FROM s WHERE NOT known_product
         UNION ALL
         SELECT 'status', line, reference, status, 1 FROM s WHERE st NOT IN ('active', 'matured', 'closed')
         UNION ALL
         SELECT 'currency', line, reference, ccy, 1 FROM s WHERE known_product AND ccy !~ '^[A-Z]{{3}}$'
         UNION ALL
         SELECT 'dates', line, reference, matures_on::text, 1 FROM s WHERE matures_on < opened_on
         UNION ALL
         SELECT 'rate', NULL, w.reference, w.ccy, w.n FROM wanted w
          WHERE NOT EXISTS (SELECT 1 FROM exchange_rates e
                            WHERE e.tenant_id = :branch_id AND e.currency = w.ccy AND e.as_of <= :as_of))
        ORDER BY line NULLS LAST, reference, problem
        LIMIT :limit
        """
    )
    return list((await session.execute(stmt, {"branch_id": branch_id, "as_of": as_of, "limit": limit})).all())


async def upsert_holdings(session: AsyncSession, branch_id: uuid.UUID, at: datetime, name: str = STAGING) -> list[Any]:
    """Insert or update the branch's holdings from the (checked) staging table in one statement, matching
    by reference. A holding whose values are all the same is not touched; ``moved_at`` moves to ``at``
    only when the balance or status changed. Returns (client, inserted) for every holding written, and
    (previous client, None) for a holding that moved to another client."""
    stmt = text(
        f"""
        WITH staged AS (
          SELECT s.reference, c.id AS client_id, p.code AS product_code, round(s.balance, 2) AS balance,
                 coalesce(upper(s.currency), p.currency) AS currency, s.opened_on, s.matures_on,
                 coalesce(lower(s.status), 'active') AS status
          FROM {_staging(name)} s
          JOIN clients c ON c.tenant_id = :branch_id AND c.client_number = s.client_number
          JOIN products p ON p.code = upper(s.product_code)
        ), previous AS (
          SELECT h.reference, h.client_id FROM holdings h
          WHERE h.tenant_id = :branch_id AND h.reference IN (SELECT reference FROM staged)
        ), written AS (
          INSERT INTO holdings AS h (tenant_id, id, reference, client_id, product_code, balance, currency,
                                     opened_on, matures_on, status, moved_at, updated_at, created_at)
          SELECT :branch_id, {UUID7}, reference, client_id, product_code, balance, currency,
                 opened_on, matures_on, status, :at, :at, :at
          FROM staged
          ON CONFLICT (tenant_id, reference) DO UPDATE SET
            client_id = excluded.client_id, product_code = excluded.product_code, balance = excluded.balance,
            currency = excluded.currency, opened_on = excluded.opened_on, matures_on = excluded.matures_on,
            status = excluded.status, updated_at = excluded.updated_at,
            moved_at = CASE WHEN (h.balance, h.status) IS DISTINCT FROM (excluded.balance, excluded.status)
                            THEN excluded.moved_at ELSE h.moved_at END
          WHERE (h.client_id, h.product_code, h.balance, h.currency, h.opened_on, h.matures_on, h.status)
                IS DISTINCT FROM (excluded.client_id, excluded.product_code, excluded.balance, excluded.currency,
                                  excluded.opened_on, excluded.matures_on, excluded.status)
          RETURNING h.reference, h.client_id, h.created_at = :at AS inserted
        )
        SELECT client_id, inserted FROM written
        UNION ALL
        SELECT p.client_id, NULL FROM previous p JOIN written w USING (reference) WHERE p.client_id <> w.client_id
        """
    )
    return list((await session.execute(stmt, {"branch_id": branch_id, "at": at})).all())


async def close_missing(session: AsyncSession, branch_id: uuid.UUID, at: datetime, name: str = STAGING) -> list[Any]:
    """A full book: close, in one statement, the branch's holdings not yet closed whose reference the staging
    table does not hold (core banking no longer reports them). Returns the client of each one closed."""
    stmt = text(
        f"""
        UPDATE holdings h SET status = 'closed', moved_at = :at, updated_at = :at
        WHERE h.tenant_id = :branch_id AND h.status <> 'closed'
          AND NOT EXISTS (SELECT 1 FROM {_staging(name)} s WHERE s.reference = h.reference)
        RETURNING h.client_id
        """
    )
    return list((await session.scalars(stmt, {"branch_id": branch_id, "at": at})).all())


async def refresh_aum(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: Sequence[uuid.UUID], as_of: date, at: datetime
) -> int:
    """Recompute, in one statement, the AUM and last movement of the clients named and of every client with
    an active holding in another currency than CNY (its rate may have moved): the sum of the active
    holdings, loans excepted, each converted to CNY with the latest rate on or before ``as_of`` and
    rounded to the fen. Only clients whose figures change are written (``aum_as_of`` = ``at``); returns
    how many."""
    stmt = text(
        """
        WITH affected AS (
          SELECT unnest(CAST(:client_ids AS uuid[])) AS id
          UNION
          SELECT client_id FROM holdings WHERE tenant_id = :branch_id AND status = 'active' AND currency <> 'CNY'
        ), totals AS (
          SELECT a.id,
                 coalesce(sum(round(h.balance * coalesce(r.rate, 1), 2))
                          FILTER (WHERE h.status = 'active' AND p.category <> 'loan'), 0) AS aum,
                 max(h.moved_at) AS moved
          FROM affected a
          LEFT JOIN holdings h ON h.tenant_id = :branch_id AND h.client_id = a.id
          LEFT JOIN products p ON p.code = h.product_code
          LEFT JOIN LATERAL (
            SELECT e.rate FROM exchange_rates e
            WHERE e.tenant_id = :branch_id AND e.currency = h.currency AND e.as_of <= :as_of
            ORDER BY e.as_of DESC LIMIT 1
          ) r ON h.currency <> 'CNY'
          GROUP BY a.id
        )
        UPDATE clients c SET aum_cny = t.aum, aum_as_of = :at, last_movement_at = t.moved
        FROM totals t
        WHERE c.tenant_id = :branch_id AND c.id = t.id
          AND (c.aum_cny, c.last_movement_at) IS DISTINCT FROM (t.aum, t.moved)
        """
    )
    result = await session.execute(
        stmt, {"branch_id": branch_id, "client_ids": list(client_ids), "as_of": as_of, "at": at}
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
