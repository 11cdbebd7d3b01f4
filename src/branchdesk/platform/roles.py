"""Create the database roles the service needs (run with an administrator connection)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from branchdesk.platform.database import APP_ROLE, OWNER_ROLE, PLATFORM_ROLE


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def bootstrap_roles(conn: AsyncConnection, password: str) -> None:
    """Idempotent: owner (no login), application role (RLS applies), platform role (cross-branch)."""
    pw = _literal(password)
    await conn.execute(
        text(
            f"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                CREATE ROLE {OWNER_ROLE} NOLOGIN;
              END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
              END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PLATFORM_ROLE}') THEN
                CREATE ROLE {PLATFORM_ROLE} LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE;
              END IF;
            END $$;
            """
        )
    )
    await conn.execute(text(f"ALTER ROLE {APP_ROLE} PASSWORD {pw}"))
    await conn.execute(text(f"ALTER ROLE {PLATFORM_ROLE} PASSWORD {pw}"))
    await conn.execute(text(f"GRANT {OWNER_ROLE} TO current_user"))
    await conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {OWNER_ROLE}"))
    await conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}, {PLATFORM_ROLE}"))
    await conn.execute(
        text(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}, {PLATFORM_ROLE}"
        )
    )
    await conn.execute(
        text(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}, {PLATFORM_ROLE}"
        )
    )
