"""Test servers: embedded PostgreSQL and Redis by default; external ones when
BRANCHDESK_DATABASE_URL and BRANCHDESK_REDIS_URL are set (a fresh database is created there)."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from branchdesk.access.identity import Identity
from branchdesk.access.principal import Principal
from branchdesk.api import create_app
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.database import DatabaseRoles
from branchdesk.platform.embedded import EmbeddedServers
from branchdesk.platform.settings import Settings
from branchdesk.runtime import Runtime, runtime
from branchdesk.tenants import service, signin
from branchdesk.tenants.models import BranchLevel

EXTERNAL_DB = os.environ.get("BRANCHDESK_DATABASE_URL")
EXTERNAL_REDIS = os.environ.get("BRANCHDESK_REDIS_URL")
PASSWORD = "Correct-horse-42"
# Personal-data keys for a production-mode Settings in tests (production refuses the development ones).
PRODUCTION_DATA_KEYS = {
    "data_keys": '{"current": "p1", "keys": {"p1": "cHJvZHVjdGlvbi10ZXN0LWtleS0zMi1ieXRlcyEhISE="}}',
    "data_hash_key": "production-test-hash-key",
}
SYSTEM = Principal.system("tests")


@dataclass
class Servers:
    admin_url: str
    redis_url: str
    data_dir: Path
    external: bool


async def _admin_execute(url: str, sql: str) -> None:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(admin_url: str, name: str) -> str:
    """A fresh database on the same server; returns its administrator URL."""
    asyncio.run(_admin_execute(admin_url, f'create database "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop the database and the roles it was given (roles outlive databases: they are the server's)."""
    asyncio.run(_admin_execute(admin_url, f'drop database if exists "{name}" with (force)'))
    roles = DatabaseRoles.of(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    asyncio.run(_admin_execute(admin_url, "; ".join(f"drop role if exists {role}" for role in roles.names)))


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    # Not pytest's tmp_path: its root is private to root, and the embedded server runs as another user.
    data_dir = Path(tempfile.mkdtemp(prefix="branchdesk-tests-"))
    try:
        if EXTERNAL_DB and EXTERNAL_REDIS:
            name = f"branchdesk_test_{secrets.token_hex(4)}"
            yield Servers(create_database(EXTERNAL_DB, name), EXTERNAL_REDIS, data_dir, external=True)
            drop_database(EXTERNAL_DB, name)
            return
        embedded = EmbeddedServers(data_dir / "embedded")
        yield Servers(embedded.start_postgres(), embedded.start_redis(), data_dir, external=False)
        embedded.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def make_settings(servers: Servers, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": servers.admin_url,
        "redis_url": servers.redis_url,
        "data_dir": servers.data_dir,
        "signin_failure_delay_seconds": 0.0,
        "signin_max_failures": 3,
        # Every test calls from the same address: the per-source throttles get their own tests.
        "signin_source_max_failures": 100_000,
        "token_max_per_source": 100_000,
        "token_max_per_client": 100_000,
        # Most tests sign in as branch heads and head office with a password alone; the second factor's
        # tests turn enforcement on (tests/second_factor), as production always has it.
        "second_factor_enforced": False,
    }
    if overrides.get("env") == "production":  # which refuses to start without them
        values |= {"second_factor_enforced": True, **PRODUCTION_DATA_KEYS}
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
def settings(servers: Servers) -> Settings:
    return make_settings(servers)


@pytest.fixture(scope="session")
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    async with runtime(settings, run_migrations=True) as current:
        await current.redis.flushdb()
        yield current


@pytest.fixture(scope="session")
def app(rt: Runtime, settings: Settings) -> Any:
    return create_app(settings, rt)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test") as c:
        yield c


class SqlCounter:
    """Counts statements sent to PostgreSQL by the application and platform engines."""

    def __init__(self, rt: Runtime) -> None:
        self.count = 0
        self.statements: list[str] = []  # what was sent, in order
        self._engines = [rt.db.app_engine.sync_engine, rt.db.platform_engine.sync_engine]

    def _tick(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> SqlCounter:
        for engine in self._engines:
            event.listen(engine, "before_cursor_execute", self._tick)
        return self

    def __exit__(self, *exc: Any) -> None:
        for engine in self._engines:
            event.remove(engine, "before_cursor_execute", self._tick)


@pytest.fixture
def sql_counter(rt: Runtime) -> SqlCounter:
    return SqlCounter(rt)


async def enter(rt: Runtime, session: Any, staff_id: uuid.UUID, branch_code: str) -> Principal:
    """The staff member acting in the branch, the way a request enters it (the session is bound to it)."""
    return await rt.gate.enter(session, Identity({}, staff_id=staff_id), branch_code)


# --- factories -----------------------------------------------------------------------------------


def unique_code() -> str:
    return secrets.token_hex(3).upper()


def unique_employee_number(prefix: str = "T") -> str:
    return prefix + secrets.token_hex(4).upper()


@dataclass
class World:
    """A head office with two branches, each with a head who can sign in."""

    head_office: Any
    branch_a: Any
    branch_b: Any
    ho_admin: str
    head_a: str
    head_b: str


async def onboard(rt: Runtime, code: str, level: BranchLevel, parent: str | None, head: str, **extra: Any) -> Any:
    async with rt.db.session(None) as session:
        result = await onboarding.onboard_branch(
            session,
            SYSTEM,
            service.BranchDraft(
                code=code,
                name=extra.get("name", f"Branch {code}"),
                level=level,
                parent_code=parent,
                timezone=extra.get("timezone", "Asia/Shanghai"),
                head=service.StaffDraft(head, f"Staff {head}"),
            ),
        )
        staff = await signin.set_password(session, head, PASSWORD)
        assert staff is not None
        return result.branch


async def add_member(rt: Runtime, branch: Any, roles: list[str], employee_number: str | None = None) -> str:
    number = employee_number or unique_employee_number()
    async with rt.db.session(None) as session:
        staff = await service.ensure_staff(session, service.StaffDraft(number, f"Staff {number}"))
        await onboarding.grant_membership(session, SYSTEM, branch, staff, roles)
        if staff.password_hash is None:
            await signin.set_password(session, number, PASSWORD)
    return number


@pytest.fixture(scope="session")
async def world(rt: Runtime) -> World:
    from branchdesk.tenants import repository

    async with rt.db.session(None) as session:
        office = await repository.head_office(session)
    ho_admin = unique_employee_number("HO")
    if office is None:
        office = await onboard(rt, "0000", BranchLevel.HEAD_OFFICE, None, ho_admin)
    else:
        await add_member(rt, office, ["head_office_admin"], ho_admin)
    head_a, head_b = unique_employee_number("A"), unique_employee_number("B")
    branch_a = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, office.code, head_a)
    branch_b = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, office.code, head_b)
    return World(office, branch_a, branch_b, ho_admin, head_a, head_b)


class Api:
    """A GraphQL client for tests: sign in once, then send queries as that staff member."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        branch: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if branch:
            sent["X-Branch"] = branch
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=sent)
        return response.json()

    async def sign_in(self, employee_number: str, password: str = PASSWORD) -> dict[str, Any]:
        body = await self.post(
            "mutation($i: SignInInput!) { signIn(input: $i) {"
            " accessToken refreshToken expiresIn errors { code field message } } }",
            {"i": {"employeeNumber": employee_number, "password": password}},
        )
        return body["data"]["signIn"]

    async def token(self, employee_number: str) -> str:
        result = await self.sign_in(employee_number)
        assert result["errors"] == [], result
        return result["accessToken"]


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


def extensions_of(error: dict[str, Any]) -> dict[str, Any]:
    """An error's extensions less its request id, which differs on every request."""
    return {k: v for k, v in (error.get("extensions") or {}).items() if k != "requestId"}


def without_request_ids(body: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL answer whose errors' extensions leave out the request id."""
    if not body.get("errors"):
        return body
    return {**body, "errors": [{**e, "extensions": extensions_of(e)} for e in body["errors"]]}


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()
