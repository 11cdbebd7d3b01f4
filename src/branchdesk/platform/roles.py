"""Create the database roles the service needs (run with an administrator connection).

Roles are shared by every database of a PostgreSQL server. Each deployment has its own (named from
``BRANCHDESK_DB_ROLE_PREFIX``, by default from its database's name), marked with a comment naming its
database; a role marked for another database is refused, never taken over, and an existing role's
password is changed only by :func:`rotate_passwords` (``branchdesk rotate-db-password``).
"""

from __future__ import annotations

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from branchdesk.platform.database import DatabaseRoles

log = structlog.get_logger(__name__)


class RoleConflict(RuntimeError):
    """A role this deployment would use belongs to another deployment on the same server."""


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _markers(conn: AsyncConnection, roles: DatabaseRoles) -> dict[str, str | None]:
    """The existing roles among ours, with their comments (None: unmarked)."""
    rows = await conn.execute(
        text("select rolname, shobj_description(oid, 'pg_authid') from pg_roles where rolname = any(:names)"),
        {"names": list(roles.names)},
    )
    return {row[0]: row[1] for row in rows}


def _refuse_foreign(roles: DatabaseRoles, existing: dict[str, str | None]) -> None:
    foreign = {name: comment for name, comment in existing.items() if comment not in (None, roles.marker)}
    if foreign:
        name, comment = next(iter(sorted(foreign.items())))
        raise RoleConflict(
            f"database role {name} belongs to another deployment ({comment}), not to database "
            f"{roles.database}; give this deployment roles of its own with BRANCHDESK_DB_ROLE_PREFIX"
        )


async def bootstrap_roles(conn: AsyncConnection, roles: DatabaseRoles, password: str) -> None:
    """Idempotent: owner (no login), application role (RLS applies), platform role (cross-branch).

    A missing role is created with ``password``; an existing one keeps its password. An unmarked role
    (made before roles were marked) is claimed for this deployment, its password left as it is."""
    existing = await _markers(conn, roles)
    _refuse_foreign(roles, existing)
    pw = _literal(password)
    attributes = {
        roles.owner: "NOLOGIN",
        roles.app: f"LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {pw}",
        roles.platform: f"LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {pw}",
    }
    for name in roles.names:
        if name not in existing:
            await conn.execute(text(f"CREATE ROLE {name} {attributes[name]}"))
        elif existing[name] is None:
            log.warning("claiming an unmarked database role for this deployment", role=name, database=roles.database)
        if existing.get(name) != roles.marker:
            await conn.execute(text(f"COMMENT ON ROLE {name} IS {_literal(roles.marker)}"))
    owner, app, platform = roles.names
    await conn.execute(text(f"GRANT {owner} TO current_user"))
    await conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}"))
    await conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {app}, {platform}"))
    await conn.execute(
        text(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}, {platform}"
        )
    )
    await conn.execute(
        text(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {app}, {platform}"
        )
    )


async def rotate_passwords(conn: AsyncConnection, roles: DatabaseRoles, password: str) -> None:
    """Give the deployment's login roles a new password; refused for roles that are not its own."""
    existing = await _markers(conn, roles)
    _refuse_foreign(roles, existing)
    missing = [name for name in (roles.app, roles.platform) if existing.get(name) != roles.marker]
    if missing:
        raise RoleConflict(f"database roles {', '.join(missing)} are not this deployment's yet: run migrate first")
    for name in (roles.app, roles.platform):
        await conn.execute(text(f"ALTER ROLE {name} PASSWORD {_literal(password)}"))
