"""Two deployments on one PostgreSQL server: each has roles of its own, neither takes over or resets the
other's, and a role's password changes only when its own deployment rotates it."""

from __future__ import annotations

import secrets

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from branchdesk.platform import migrate
from branchdesk.platform.database import DatabaseRoles, role_prefix
from branchdesk.platform.roles import RoleConflict
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.external


@pytest.fixture
def two_databases(servers):
    names = [f"branchdesk_deploy_{secrets.token_hex(4)}" for _ in range(2)]
    urls = [create_database(servers.admin_url, name) for name in names]
    yield urls
    for name in names:
        drop_database(servers.admin_url, name)


async def _fetchval(admin_url: str, sql: str, *args: object) -> object:
    url = make_url(admin_url)
    conn = await asyncpg.connect(
        user=url.username,
        password=url.password,
        database=url.database,
        host=url.query.get("host") or url.host,
        port=url.port,
    )
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def verifier(admin_url: str, role: str) -> object:
    """The stored password verifier (SCRAM: salted, so setting even the same password changes it).
    Compared rather than logged in with: the embedded server trusts its local socket."""
    return await _fetchval(admin_url, "select rolpassword from pg_authid where rolname = $1", role)


async def comment_of(admin_url: str, role: str) -> object:
    return await _fetchval(
        admin_url, "select shobj_description(oid, 'pg_authid') from pg_roles where rolname = $1", role
    )


def test_role_names_follow_the_database_unless_a_prefix_is_set():
    assert DatabaseRoles.of("postgresql://postgres@db/branchdesk").app == "branchdesk_app"
    assert DatabaseRoles.of("postgresql://postgres@db/Bank-Prod").platform == "bank_prod_platform"
    assert DatabaseRoles.of("postgresql://postgres@db/x", "tenant_b").owner == "tenant_b_owner"
    long = role_prefix("d" * 80)
    assert len(long) <= 40 and long != role_prefix("d" * 79)


async def test_each_deployment_gets_roles_of_its_own(two_databases):
    first, second = two_databases
    migrate.upgrade(first, "first-password")
    migrate.upgrade(second, "second-password")

    first_roles, second_roles = DatabaseRoles.of(first), DatabaseRoles.of(second)
    assert set(first_roles.names).isdisjoint(second_roles.names)
    assert await comment_of(first, first_roles.app) == first_roles.marker
    assert await comment_of(second, second_roles.platform) == second_roles.marker
    assert await verifier(first, first_roles.app) and await verifier(second, second_roles.app)


async def test_roles_of_another_deployment_are_refused_and_keep_their_password(two_databases):
    first, second = two_databases
    migrate.upgrade(first, "first-password")
    theirs = DatabaseRoles.of(first)
    before = await verifier(first, theirs.app)

    with pytest.raises(RoleConflict, match=f"{theirs.app}|{theirs.owner}|{theirs.platform}"):
        migrate.upgrade(second, "second-password", roles=DatabaseRoles.of(second, role_prefix(theirs.database)))

    assert await verifier(first, theirs.app) == before


async def test_migrate_never_resets_a_password_rotation_does(two_databases):
    first, _ = two_databases
    roles = DatabaseRoles.of(first)
    migrate.upgrade(first, "first-password")
    before = {role: await verifier(first, role) for role in (roles.app, roles.platform)}

    migrate.upgrade(first, "changed-in-settings")
    assert {role: await verifier(first, role) for role in before} == before

    migrate.rotate_role_passwords(first, "changed-in-settings")
    after = {role: await verifier(first, role) for role in before}
    assert all(after[role] != before[role] for role in before)


async def test_rotation_refuses_roles_of_another_deployment(two_databases):
    first, second = two_databases
    migrate.upgrade(first, "first-password")
    theirs = DatabaseRoles.of(first)
    before = await verifier(first, theirs.app)

    with pytest.raises(RoleConflict):
        migrate.rotate_role_passwords(
            second, "second-password", roles=DatabaseRoles.of(second, role_prefix(theirs.database))
        )

    assert await verifier(first, theirs.app) == before
