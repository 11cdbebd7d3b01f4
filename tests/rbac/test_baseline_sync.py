"""Permissions declared in code reach the stored baseline at start-up, recorded as the system's change."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from branchdesk.access.principal import Principal
from branchdesk.access.registry import PERMISSIONS, permission
from branchdesk.rbac import repository, service
from branchdesk.rbac.models import BaselineChange

SYSTEM = Principal.system("migrate")


async def test_a_permission_new_in_code_reaches_the_baseline_once_and_is_recorded(rt):
    # given a domain that declares a new permission for tellers
    name = f"sync_{secrets.token_hex(3)}:test"
    permission(name, "A permission new in code", "代码中新增的权限", baseline=["teller"])
    try:
        # when the process starts (the same sync runs at migrate and at every start)
        async with rt.db.session(None) as session:
            granted = await service.sync_baseline(session, SYSTEM)
        # then tellers hold it in the stored baseline, and the history says the system added it
        assert granted == [("teller", name)]
        async with rt.db.session(None) as session:
            assert name in (await repository.baseline(session))["teller"]
            changes = list(await session.scalars(select(BaselineChange).where(BaselineChange.permission == name)))
        assert [(c.role, c.granted, c.actor_label, c.actor_id) for c in changes] == [("teller", True, "migrate", None)]

        # and a second start changes nothing
        async with rt.db.session(None) as session:
            assert await service.sync_baseline(session, SYSTEM) == []

        # and once head office revokes it, a later start does not grant it again
        async with rt.db.session(None) as session:
            await service.change_baseline(session, SYSTEM, "teller", name, granted=False)
        async with rt.db.session(None) as session:
            assert await service.sync_baseline(session, SYSTEM) == []
            assert name not in (await repository.baseline(session)).get("teller", set())
    finally:
        del PERMISSIONS[name]
