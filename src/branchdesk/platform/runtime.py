"""Everything a process needs, built once from the settings: servers, database, keys, job queue."""

from __future__ import annotations

from contextlib import asynccontextmanager
from collections.abc import AsyncIterator
from dataclasses import dataclass

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from branchdesk.platform import migrate
from branchdesk.platform.database import APP_ROLE, PLATFORM_ROLE, Database, role_url
from branchdesk.platform.embedded import EmbeddedServers
from branchdesk.platform.settings import Settings
from branchdesk.platform.tokens import KeyRing
from branchdesk.rbac.enforcer import PolicyCache


@dataclass
class Endpoints:
    admin_url: str
    app_url: str
    platform_url: str
    redis_url: str
    embedded: EmbeddedServers | None


def endpoints(settings: Settings) -> Endpoints:
    """Where the servers are: configured URLs, or embedded servers started under the data directory."""
    embedded = EmbeddedServers(settings.data_dir) if settings.embedded else None
    admin_url = settings.database_url or embedded.start_postgres()  # type: ignore[union-attr]
    redis_url = settings.redis_url or embedded.start_redis()  # type: ignore[union-attr]
    password = settings.db_role_password.get_secret_value()
    return Endpoints(
        admin_url=admin_url,
        app_url=settings.app_database_url or role_url(admin_url, APP_ROLE, password),
        platform_url=settings.platform_database_url or role_url(admin_url, PLATFORM_ROLE, password),
        redis_url=redis_url,
        embedded=embedded,
    )


def key_ring(settings: Settings) -> KeyRing:
    options = {
        "issuer": settings.token_issuer,
        "audience": settings.token_audience,
        "access_ttl_seconds": settings.access_token_ttl_seconds,
    }
    if settings.signing_keys is not None:
        return KeyRing.from_json(settings.signing_keys.get_secret_value(), **options)
    return KeyRing.load_or_create(settings.data_dir / "signing-keys.json", **options)


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


@dataclass
class Runtime:
    settings: Settings
    endpoints: Endpoints
    db: Database
    keys: KeyRing
    queue: ArqRedis
    policies: PolicyCache

    async def close(self) -> None:
        await self.policies.stop_listening()
        await self.queue.aclose()
        await self.db.dispose()
        if self.endpoints.embedded is not None:
            self.endpoints.embedded.stop()


@asynccontextmanager
async def runtime(settings: Settings, *, run_migrations: bool) -> AsyncIterator[Runtime]:
    where = endpoints(settings)
    if run_migrations:
        migrate.upgrade(where.admin_url, settings.db_role_password.get_secret_value())
    queue = await create_pool(redis_settings(where.redis_url))
    policies = PolicyCache(queue)
    rt = Runtime(
        settings=settings,
        endpoints=where,
        db=Database(
            where.app_url, where.platform_url, info={"policy_cache": policies}, server_settings=settings.db_server_settings
        ),
        keys=key_ring(settings),
        queue=queue,
        policies=policies,
    )
    policies.start_listening()
    if run_migrations:
        await _ensure_reference_data(rt)
    try:
        yield rt
    finally:
        await rt.close()


async def _ensure_reference_data(rt: Runtime) -> None:
    """Data the schema needs to be usable: the shipped role baseline, if the database has none yet
    (a database migrated from before access control has branches but no baseline)."""
    from branchdesk.platform.audit import Actor
    from branchdesk.rbac.service import ensure_baseline

    async with rt.db.session(None) as session:
        await ensure_baseline(session, Actor.system("migrate"))
