"""All SQL of client imports: owners by employee number, the staging table (binary COPY), and the one
upsert by client number that writes clients and their assignment history together.

The upsert changes a client only when something the file states differs (``IS DISTINCT FROM``), so a
second run of the same file writes nothing. Personal data is compared by its keyed hashes (a sealed
value differs at every sealing) and an unchanged value keeps its sealed bytes and key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.audit import Author
from branchdesk.tenants.models import Membership, Staff

STAGING = "client_import_staging"
# The staging table's columns, in the order of each staged record.
STAGED = (
    ("row_no", "integer"),
    ("id", "uuid"),
    ("history_id", "uuid"),
    ("client_number", "text"),
    ("kind", "text"),
    ("name", "text"),
    ("id_type", "text"),
    ("id_number_sealed", "bytea"),
    ("id_number_hash", "bytea"),
    ("phone_sealed", "bytea"),
    ("phone_hash", "bytea"),
    ("address_sealed", "bytea"),
    ("address_hash", "bytea"),
    ("pii_key_id", "text"),
    ("birthday", "date"),
    ("gender", "text"),
    ("occupation", "text"),
    ("risk_grade", "text"),
    ("risk_assessed_on", "date"),
    ("kyc_status", "text"),
    ("kyc_expires_on", "date"),
    ("consents", "text[]"),
    ("do_not_contact", "boolean"),
    ("preferred_language", "text"),
    ("lifecycle", "text"),
    ("tags", "text[]"),
    ("notes", "text"),
    ("owner_id", "uuid"),
    ("lunar_birth_month", "smallint"),
    ("lunar_birth_day", "smallint"),
    ("lunar_birth_leap", "boolean"),
)
STAGED_NAMES = tuple(name for name, _ in STAGED)
_CLIENT_COLUMNS = STAGED_NAMES[3:]  # what a new client gets from its staged row (besides id and tenant)
# Personal data: (sealed column, its hash) — compared by the hash.
SEALED = {"id_number": "id_number", "phone": "phone", "address": "address"}
# Plain columns compared and set as they are.
PLAIN = (
    "kind", "name", "id_type", "gender", "birthday", "occupation", "risk_grade", "risk_assessed_on", "kyc_status",
    "kyc_expires_on", "consents", "do_not_contact", "preferred_language", "lifecycle", "tags", "notes", "owner_id",
    "lunar_birth_month", "lunar_birth_day", "lunar_birth_leap",
)  # fmt: skip


@dataclass(frozen=True)
class Upserted:
    inserted: int
    updated: int
    moved: int  # existing clients whose owner changed
    written_ids: list[uuid.UUID]  # the first (by client number) of the clients inserted or updated


async def owners_by_number(session: AsyncSession, branch_id: uuid.UUID, numbers: Iterable[str]) -> dict[str, uuid.UUID]:
    """Members of the branch by employee number, in one statement (the numbers as one array parameter)."""
    wanted = bindparam("numbers", sorted(set(numbers)), type_=ARRAY(String))
    stmt = (
        select(Staff.employee_number, Staff.id)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(Membership.tenant_id == branch_id, Staff.employee_number == any_(wanted))
    )
    return {str(number): staff_id for number, staff_id in (await session.execute(stmt)).all()}


async def stage(session: AsyncSession, records: Sequence[tuple[Any, ...]]) -> None:
    """A fresh temporary staging table (dropped at commit) holding ``records`` by binary COPY, through
    the session's own connection so that it is part of the transaction."""
    columns = ", ".join(f"{name} {kind}" for name, kind in STAGED)
    await session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{STAGING}"))
    await session.execute(text(f"CREATE TEMPORARY TABLE {STAGING} ({columns}) ON COMMIT DROP"))
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_records_to_table(STAGING, records=records, columns=STAGED_NAMES)
    # Autovacuum never sees a temporary table: the upsert plans its joins with the client numbers' stats.
    # Only that column: sampling every column (the sealed values too) took about 1 s of 100,000 rows.
    await session.execute(text(f"ANALYZE {STAGING} (client_number)"))


async def allow_long_statements(session: AsyncSession, seconds: int) -> None:
    """This transaction's statements may run up to ``seconds`` (a large file's upsert takes minutes on a
    busy server, past the application's default statement timeout)."""
    await session.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": f"{seconds * 1000}"})


def _upsert_sql(columns: frozenset[str]) -> str:
    """The upsert for a file that states ``columns`` (plain columns and personal-data fields): those it
    does not state are left as they are on existing clients (birthday and gender derived from a resident
    ID are kept when a row derives none)."""
    compared: list[tuple[str, str]] = []  # (existing, incoming)
    sets: list[str] = []
    derived_only = {"birthday", "gender"} - columns if "id_number" in columns or "id_type" in columns else set()
    for column in PLAIN:
        if column in derived_only:
            incoming = f"coalesce(excluded.{column}, c.{column})"
        elif column in columns:
            incoming = f"excluded.{column}"
        else:
            continue
        compared.append((f"c.{column}", incoming))
        sets.append(f"{column} = {incoming}")
    stated = [field for field in SEALED if field in columns or (field == "id_number" and "id_type" in columns)]
    same: list[str] = []
    for field in stated:
        compared.append((f"c.{field}_hash", f"excluded.{field}_hash"))
        keep = f"c.{field}_hash IS NOT DISTINCT FROM excluded.{field}_hash"
        same.append(keep)
        sets.append(f"{field}_sealed = CASE WHEN {keep} THEN c.{field}_sealed ELSE excluded.{field}_sealed END")
        sets.append(f"{field}_hash = excluded.{field}_hash")
    if stated:
        result = ", ".join(f"excluded.{f}_sealed" if f in stated else f"c.{f}_sealed" for f in SEALED)
        sets.append(
            "pii_key_id = CASE"
            f" WHEN {' AND '.join(same)} THEN c.pii_key_id"
            # values sealed under an older key may stay: the row keeps that key, so rekey still finds it
            " WHEN c.pii_key_id IS NOT NULL AND c.pii_key_id <> :current_key THEN c.pii_key_id"
            f" WHEN coalesce({result}) IS NULL THEN NULL ELSE :current_key END"
        )
    existing = ", ".join(e for e, _ in compared)
    incoming = ", ".join(i for _, i in compared)
    inserted_columns = ", ".join(_CLIENT_COLUMNS)
    return f"""
WITH previous AS (
    SELECT c.id, c.owner_id FROM clients c JOIN {STAGING} s ON s.client_number = c.client_number
    WHERE c.tenant_id = :tenant_id
), written AS (
    INSERT INTO clients AS c (tenant_id, id, {inserted_columns}, created_at, updated_at)
    SELECT :tenant_id, s.id, {", ".join("s." + c for c in _CLIENT_COLUMNS)}, :now, :now FROM {STAGING} s
    ON CONFLICT (tenant_id, client_number) DO UPDATE SET {", ".join(sets)}, updated_at = :now
    WHERE ROW({existing}) IS DISTINCT FROM ROW({incoming})
    RETURNING c.id, c.client_number, c.owner_id, (c.xmax = 0) AS inserted
), history AS (
    INSERT INTO client_assignments (tenant_id, id, client_id, from_owner_id, to_owner_id, co_owner_ids,
        assigned_at, actor_kind, actor_id, actor_label, reason)
    SELECT :tenant_id, s.history_id, w.id, p.owner_id, w.owner_id, NULL, :now, :actor_kind, :actor_id,
        :actor_label, :reason
    FROM written w JOIN {STAGING} s ON s.client_number = w.client_number LEFT JOIN previous p ON p.id = w.id
    WHERE w.inserted OR p.owner_id IS DISTINCT FROM w.owner_id
    RETURNING from_owner_id
)
SELECT (SELECT count(*) FROM written WHERE inserted),
       (SELECT count(*) FROM written WHERE NOT inserted),
       (SELECT count(*) FROM history WHERE from_owner_id IS NOT NULL),
       ARRAY(SELECT id FROM written ORDER BY client_number LIMIT :shown)
"""


_TYPES = {
    "tenant_id": "uuid",
    "now": "timestamptz",
    "actor_kind": "text",
    "actor_id": "uuid",
    "actor_label": "text",
    "reason": "text",
    "current_key": "text",
    "shown": "integer",
}


def _typed(sql: str) -> str:
    """Parameters typed where PostgreSQL cannot infer them (a select list feeding an insert)."""
    for name, kind in _TYPES.items():
        sql = sql.replace(f":{name}", f"CAST(:{name} AS {kind})")
    return sql


async def upsert(
    session: AsyncSession,
    branch_id: uuid.UUID,
    columns: frozenset[str],
    *,
    author: Author,
    reason: str,
    now: datetime,
    current_key: str,
    shown: int = 100,
) -> Upserted:
    """Write the staged clients of the branch in one statement: new client numbers are inserted, known
    ones updated where the file differs; a new client or a new owner gets an assignment history entry."""
    params = {
        "tenant_id": branch_id,
        "now": now,
        "actor_kind": author.kind,
        "actor_id": author.id,
        "actor_label": author.label,
        "reason": reason,
        "current_key": current_key,
        "shown": shown,
    }
    row = (await session.execute(text(_typed(_upsert_sql(columns))), params)).one()
    return Upserted(int(row[0]), int(row[1]), int(row[2]), list(row[3]))
