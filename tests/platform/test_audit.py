"""The audit trail is append-only and tamper-evident."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from branchdesk.platform import audit
from branchdesk.platform.database import to_async_url
from branchdesk.tenants.models import BranchLevel
from tests.conftest import SYSTEM, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external


@pytest.fixture
async def branch(rt, world):
    fresh = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number())
    async with rt.db.session(fresh.id) as session:
        for n in range(3):
            await audit.record(session, fresh.id, SYSTEM.author, "test.event", "thing", n, {"n": n})
    return fresh


async def test_an_untouched_chain_verifies(rt, branch):
    async with rt.db.session(branch.id) as session:
        result = await audit.verify_chain(session, branch.id)
    assert result.ok and result.records >= 3  # what onboarding wrote, and the three events


async def test_the_application_cannot_change_or_remove_records(rt, branch):
    for statement in ("update audit_events set action = 'x'", "delete from audit_events"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with rt.db.session(branch.id) as session:
                await session.execute(text(statement))


async def test_a_record_changed_behind_the_applications_back_is_detected(rt, servers, branch):
    admin = create_async_engine(to_async_url(servers.admin_url))
    async with admin.begin() as conn:
        # A superuser can switch triggers off; the hash chain still gives them away.
        await conn.execute(text("set local session_replication_role = replica"))
        changed_seq = await conn.scalar(
            text(
                "update audit_events set details = '{\"n\": 99}' "
                "where tenant_id = :t and action = 'test.event' and details->>'n' = '1' returning seq"
            ),
            {"t": branch.id},
        )
    await admin.dispose()
    async with rt.db.session(branch.id) as session:
        result = await audit.verify_chain(session, branch.id)
    assert not result.ok and result.first_broken_seq == changed_seq
