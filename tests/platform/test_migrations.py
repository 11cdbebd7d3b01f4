"""Migrations run both ways on an empty database and agree with the models."""

import asyncio
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from branchdesk.models import metadata
from branchdesk.platform import migrate
from branchdesk.platform.database import to_async_url
from branchdesk.platform.migrate import include_object
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.external


@pytest.fixture
def empty_database(servers):
    name = f"branchdesk_migrations_{secrets.token_hex(4)}"
    url = create_database(servers.admin_url, name)
    yield url
    drop_database(servers.admin_url, name)


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(to_async_url(url))
    async with engine.connect() as conn:
        rows = await conn.execute(text("select tablename from pg_tables where schemaname = 'public'"))
        names = {r[0] for r in rows}
    await engine.dispose()
    return names


async def _differences(url: str) -> list:
    engine = create_async_engine(to_async_url(url))
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True, "include_object": include_object}),
                metadata,
            )
        )
    await engine.dispose()
    return diff


async def test_upgrade_downgrade_upgrade(empty_database, settings):
    password = settings.db_role_password.get_secret_value()
    migrate.upgrade(empty_database, password)
    assert {t.name for t in metadata.sorted_tables} <= await _tables(empty_database)

    migrate.downgrade(empty_database, "base")
    assert await _tables(empty_database) <= {"alembic_version"}

    migrate.upgrade(empty_database, password)
    assert await _differences(empty_database) == []


async def test_tables_belong_to_the_owner_role(rt):
    async with rt.db.platform_session() as session:
        owners = set(
            await session.scalars(text("select distinct tableowner from pg_tables where schemaname = 'public'"))
        )
    assert owners == {rt.endpoints.roles.owner}


async def _waiting_for_advisory_locks(url: str) -> int:
    engine = create_async_engine(to_async_url(url))
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                text(
                    "select count(*) from pg_locks where locktype = 'advisory' and not granted"
                    " and database = (select oid from pg_database where datname = current_database())"
                )
            )
    finally:
        await engine.dispose()
    return int(found or 0)


async def test_processes_starting_together_migrate_one_after_another(empty_database, settings):
    """Each API process migrates on start-up in development (``serve --workers 2``, two test processes):
    two at once made PostgreSQL refuse a grant ("tuple concurrently updated") and a process exit. A
    migration waits while another holds the database's migration lock, then finds its work done."""
    password = settings.db_role_password.get_secret_value()
    async with migrate.migration_lock(empty_database):  # another process, migrating
        starting = asyncio.create_task(asyncio.to_thread(migrate.upgrade, empty_database, password))
        for _ in range(600):
            if await _waiting_for_advisory_locks(empty_database):
                break
            assert not starting.done()
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the second migration never asked for the lock")
        assert not starting.done()
        assert await _tables(empty_database) == set()  # nothing done while the other one migrates
    await starting
    assert await _differences(empty_database) == []
