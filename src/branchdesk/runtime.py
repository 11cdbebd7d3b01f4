"""Everything a process needs, built once from the settings: servers, database, keys, Redis, and the
access layer wired to the domains that store policies. The composition root: the one module below the
API, the worker and the CLI that knows every layer."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.policy import POLICY_CACHE, BranchRules, PolicyCache, PolicySource
from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import Gate
from branchdesk.platform import migrate
from branchdesk.platform.crypto import DATA_KEYS, DataKeyRing
from branchdesk.platform.database import Database, DatabaseRoles, role_url
from branchdesk.platform.embedded import EmbeddedServers
from branchdesk.platform.events import EVENTS, EventBus
from branchdesk.platform.settings import Settings
from branchdesk.platform.tokens import KeyRing
from branchdesk.rbac import service as rbac
from branchdesk.service_accounts import service as service_accounts


@dataclass
class Endpoints:
    admin_url: str
    app_url: str
    platform_url: str
    redis_url: str
    embedded: EmbeddedServers | None
    roles: DatabaseRoles


def endpoints(settings: Settings) -> Endpoints:
    """Where the servers are: configured URLs, or embedded servers started under the data directory."""
    embedded = EmbeddedServers(settings.data_dir) if settings.embedded else None
    admin_url = settings.database_url or embedded.start_postgres()  # type: ignore[union-attr]
    redis_url = settings.redis_url or embedded.start_redis()  # type: ignore[union-attr]
    password = settings.db_role_password.get_secret_value()
    roles = DatabaseRoles.of(admin_url, settings.db_role_prefix)
    return Endpoints(
        admin_url=admin_url,
        app_url=settings.app_database_url or role_url(admin_url, roles.app, password),
        platform_url=settings.platform_database_url or role_url(admin_url, roles.platform, password),
        redis_url=redis_url,
        embedded=embedded,
        roles=roles,
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


async def _branch_rules(session: AsyncSession, branch_id: uuid.UUID) -> BranchRules:
    return await rbac.branch_rules(session, branch_id, await service_accounts.grants(session, branch_id))


POLICY_SOURCE = PolicySource(
    baseline=rbac.stored_baseline, branch=_branch_rules, baseline_scopes=rbac.stored_baseline_scopes
)


@dataclass
class Runtime:
    settings: Settings
    endpoints: Endpoints
    db: Database
    keys: KeyRing
    redis: Redis
    gate: Gate
    events: EventBus
    # The event loop it was made on: its connections serve that loop alone, so every request runs on it.
    # Read here rather than asked of asyncio, which on Python 3.11 costs a getpid system call each time
    # (``get_running_loop``, ``ensure_future``): several a request, 4-6 % of a request's CPU in bench/api.py.
    loop: asyncio.AbstractEventLoop

    @property
    def policies(self) -> PolicyCache:
        return self.gate.policies

    async def close(self) -> None:
        await self.policies.stop_listening()
        await self.events.close()
        await self.redis.aclose()
        await self.db.dispose()
        if self.endpoints.embedded is not None:
            self.endpoints.embedded.stop()


@asynccontextmanager
async def runtime(settings: Settings, *, run_migrations: bool) -> AsyncIterator[Runtime]:
    where = endpoints(settings)
    if run_migrations:
        migrate.upgrade(where.admin_url, settings.db_role_password.get_secret_value(), roles=where.roles)
    redis = Redis.from_url(where.redis_url)
    policies = PolicyCache(POLICY_SOURCE, redis)
    # Subscriptions listen through one connection per process, named so that CLIENT LIST shows it.
    listener = Redis.from_url(where.redis_url, client_name=f"branchdesk-events-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    events = EventBus(redis, listener, queue_size=settings.subscription_queue_size)
    rt = Runtime(
        settings=settings,
        endpoints=where,
        db=Database(
            where.app_url,
            where.platform_url,
            pool_size=settings.db_pool_size,
            info={POLICY_CACHE: policies, EVENTS: events, DATA_KEYS: DataKeyRing.from_settings(settings)},
            server_settings=settings.db_server_settings,
        ),
        keys=key_ring(settings),
        redis=redis,
        gate=Gate(policies),
        events=events,
        loop=asyncio.get_running_loop(),
    )
    policies.start_listening()
    await _ensure_reference_data(rt)
    try:
        yield rt
    finally:
        await rt.close()


async def _ensure_reference_data(rt: Runtime) -> None:
    """Data the code needs in the database: permissions new in code reach the stored baseline."""
    async with rt.db.session(None) as session:
        await rbac.sync_baseline(session, Principal.system("migrate"))
