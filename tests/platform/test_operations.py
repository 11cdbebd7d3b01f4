"""Operations endpoints, settings and the embedded servers."""

import shutil
import tempfile
from pathlib import Path

import asyncpg
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.embedded import EmbeddedServers
from branchdesk.platform.settings import Settings


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).text == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "postgres": "ok", "redis": "ok"}


async def test_metrics_count_operations_by_name_and_outcome(api, client):
    await api.post("query Me { me { displayName } }")  # named after its root field: counted as "me"
    text = (await client.get("/metrics")).text
    assert 'branchdesk_graphql_requests_total{operation="me",outcome="rejected"}' in text
    assert "branchdesk_graphql_request_duration_seconds_bucket" in text


def test_production_refuses_to_start_without_explicit_configuration():
    with pytest.raises(ValidationError) as refused:
        Settings(env="production")
    for name in (
        "BRANCHDESK_DATABASE_URL",
        "BRANCHDESK_REDIS_URL",
        "BRANCHDESK_SIGNING_KEYS",
        "BRANCHDESK_DB_ROLE_PASSWORD",
        "BRANCHDESK_DATA_KEYS",
        "BRANCHDESK_DATA_HASH_KEY",
    ):
        assert name in str(refused.value)


async def test_sign_in_attempts_are_on_the_head_office_trail(api, rt, world):
    await api.sign_in(world.head_a, "wrong-password-1")
    await api.token(world.head_a)
    async with rt.db.session(world.head_office.id) as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.tenant_id == world.head_office.id,
                    AuditEvent.details["employee_number"].astext == world.head_a,
                )
                .order_by(AuditEvent.seq)
            )
        )
    assert actions[-2:] == ["staff.signin_failed", "staff.signed_in"]


async def _scalar(url: str, sql: str):
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(user="postgres", database=parsed.database, host=parsed.query["host"])
    try:
        return await (conn.execute(sql) if ";" in sql else conn.fetchval(sql))
    finally:
        await conn.close()


async def test_embedded_servers_keep_their_data_across_restarts():
    data_dir = Path(tempfile.mkdtemp(prefix="branchdesk-embedded-"))
    try:
        first = EmbeddedServers(data_dir)
        url = first.start_postgres()
        redis_url = first.start_redis()
        await _scalar(url, "create table kept (note text); insert into kept values ('still here')")
        first._redis.set("kept", "yes")
        first.stop()

        second = EmbeddedServers(data_dir)
        assert await _scalar(second.start_postgres(), "select note from kept") == "still here"
        second.start_redis()
        assert second._redis.get("kept") == b"yes"
        assert redis_url.startswith("unix://")
        second.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_several_api_processes_need_external_servers_and_an_external_worker():
    from typer.testing import CliRunner

    from branchdesk.cli import app

    result = CliRunner().invoke(app, ["serve", "--workers", "2"], env={"BRANCHDESK_ENV": "development"})
    assert result.exit_code != 0
    assert "--workers" in result.output
