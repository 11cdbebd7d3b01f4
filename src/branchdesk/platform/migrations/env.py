"""Alembic environment: runs as the owner role so that every table is owned by it, not by the admin."""

import asyncio

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from branchdesk.models import metadata
from branchdesk.platform.database import to_async_url
from branchdesk.platform.migrate import include_object

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        include_object=include_object,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def main() -> None:
    engine = create_async_engine(to_async_url(config.attributes["url"]))
    async with engine.connect() as connection:
        await connection.execute(text(f"SET ROLE {config.attributes['roles'].owner}"))
        await connection.commit()
        await connection.run_sync(run)
        await connection.commit()
    await engine.dispose()


asyncio.run(main())
