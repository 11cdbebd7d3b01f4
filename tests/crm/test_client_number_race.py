"""Two people recording the same client number at the same moment: one client is created and the other
is told the number is taken (a typed error naming the field), never an internal error."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.platform.errors import InvalidInput
from branchdesk.tenants import repository as tenants
from tests.conftest import enter

pytestmark = pytest.mark.external


async def test_concurrent_creates_of_one_number_make_one_client(rt, crm_branch):
    number = f"RACE{secrets.token_hex(4).upper()}"
    started = asyncio.Barrier(2)

    async def create(employee_number: str):
        async with rt.db.session(None) as session:
            staff = await tenants.staff_by_employee_number(session, employee_number)
            by = await enter(rt, session, staff.id, crm_branch.code)
            await started.wait()
            return await records.create_client(session, by, crm.ClientDraft(client_number=number, name="并发"))

    results = await asyncio.gather(create(crm_branch.cm1), create(crm_branch.cm2), return_exceptions=True)
    created = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(created) == 1 and len(refused) == 1, results
    assert [(e.code, e.field) for e in refused[0].errors] == [("CLIENT_NUMBER_TAKEN", "clientNumber")]
