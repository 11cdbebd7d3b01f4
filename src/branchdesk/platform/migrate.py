"""Bring a database to the current schema: roles first (administrator), then Alembic (as the owner)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from branchdesk.platform.database import DatabaseRoles, to_async_url
from branchdesk.platform.roles import bootstrap_roles, rotate_passwords

T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = "branchdesk:migrate"  # the key of an advisory lock of the database being migrated


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What autogenerate compares: everything but Alembic's own bookkeeping."""
    return not (type_ == "table" and name == "alembic_version")


def alembic_config(admin_url: str, roles: DatabaseRoles | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS / "versions"))
    config.attributes["url"] = admin_url
    config.attributes["roles"] = roles or DatabaseRoles.of(admin_url)
    return config


def service_roles() -> DatabaseRoles:
    """In a migration: the deployment's roles (a migration that grants or revokes names them)."""
    from alembic import context

    roles: DatabaseRoles = context.config.attributes["roles"]
    return roles


async def _as_admin(admin_url: str, work: Callable[[Any], Any]) -> None:
    engine = create_async_engine(to_async_url(admin_url))
    try:
        async with engine.begin() as conn:
            await work(conn)
    finally:
        await engine.dispose()


def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Alembic's env runs its own event loop; keep it off the caller's loop."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@asynccontextmanager
async def migration_lock(admin_url: str) -> AsyncIterator[None]:
    """Hold the database's migration lock. Processes started together (``serve --workers`` in development,
    the tests' API processes) each migrate on start-up: now one after another (the later ones find nothing
    to do), where two at once made PostgreSQL refuse a grant ("tuple concurrently updated") and the process
    exit. A session lock, taken outside any transaction: a migration never waits for a snapshot this
    connection holds."""
    engine = create_async_engine(to_async_url(admin_url), isolation_level="AUTOCOMMIT")
    key = {"key": MIGRATION_LOCK}
    try:
        async with engine.connect() as conn:
            await conn.execute(text("select pg_advisory_lock(hashtextextended(:key, 0))"), key)
            try:
                yield
            finally:
                await conn.execute(text("select pg_advisory_unlock(hashtextextended(:key, 0))"), key)
    finally:
        await engine.dispose()


async def _one_at_a_time(admin_url: str, work: Callable[[], None]) -> None:
    """``work`` under the migration lock, in a thread (Alembic's env runs an event loop of its own)."""
    async with migration_lock(admin_url):
        await asyncio.to_thread(work)


def upgrade(admin_url: str, role_password: str, revision: str = "heads", *, roles: DatabaseRoles | None = None) -> None:
    deployment = roles or DatabaseRoles.of(admin_url)

    def bring_up() -> None:  # in a thread of its own (see _one_at_a_time): no event loop runs there
        asyncio.run(_as_admin(admin_url, lambda conn: bootstrap_roles(conn, deployment, role_password)))
        command.upgrade(alembic_config(admin_url, deployment), revision)

    _in_thread(asyncio.run, _one_at_a_time(admin_url, bring_up))


def downgrade(admin_url: str, revision: str = "base", *, roles: DatabaseRoles | None = None) -> None:
    _in_thread(
        asyncio.run, _one_at_a_time(admin_url, lambda: command.downgrade(alembic_config(admin_url, roles), revision))
    )


def rotate_role_passwords(admin_url: str, role_password: str, *, roles: DatabaseRoles | None = None) -> None:
    roles = roles or DatabaseRoles.of(admin_url)
    _in_thread(asyncio.run, _as_admin(admin_url, lambda conn: rotate_passwords(conn, roles, role_password)))
