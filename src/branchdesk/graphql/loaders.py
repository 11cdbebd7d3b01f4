"""DataLoaders, created per request: each batches one relation's reads into one query."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from branchdesk.graphql.rbac.service_accounts import ServiceAccount
from branchdesk.graphql.tenants.types import Branch, StaffMember
from branchdesk.platform import audit
from branchdesk.rbac import repository as rbac_repository
from branchdesk.tenants import repository

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


class Loaders:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.branch = DataLoader(self._branches)
        self.member = DataLoader(self._members)
        # Keys are (resource, id); each batch of unmasked reads becomes one audit record.
        self.unmasked_read = DataLoader(self._record_unmasked_reads)
        self.service_account = DataLoader(self._service_accounts)

    async def _branches(self, ids: list[uuid.UUID]) -> list[Branch | None]:
        """Branches the caller may see: all of them from head office, otherwise only the active one."""
        principal = await self._ctx.principal()
        visible = ids if principal.in_head_office else [i for i in ids if i == principal.branch_id]
        async with self._ctx.session() as session:
            found = {b.id: b for b in await repository.branches_by_id(session, visible)} if visible else {}
        return [Branch.from_model(found[i]) if i in found else None for i in ids]

    async def _members(self, ids: list[uuid.UUID]) -> list[StaffMember | None]:
        """Staff with a membership in the active branch; anyone else is not found."""
        principal = await self._ctx.principal()
        async with self._ctx.session() as session:
            memberships = {m.staff_id: m for m in await repository.memberships_of_staff(session, principal.branch_id, ids)}
            staff = {s.id: s for s in await repository.staff_by_ids(session, list(memberships))} if memberships else {}
        return [StaffMember.from_model(staff[i], memberships[i].roles) if i in staff else None for i in ids]

    async def _record_unmasked_reads(self, keys: list[tuple[str, str]]) -> list[bool]:
        principal = await self._ctx.principal()
        by_resource: dict[str, list[str]] = {}
        for resource, object_id in keys:
            by_resource.setdefault(resource, []).append(object_id)
        async with self._ctx.session() as session:
            for resource, ids in by_resource.items():
                await audit.record(
                    session, principal.branch_id, principal.actor, f"{resource}.pii_unmasked", resource, None,
                    {"ids": sorted(ids)},
                )
        return [True] * len(keys)

    async def _service_accounts(self, ids: list[uuid.UUID]) -> list[ServiceAccount | None]:
        """Service accounts of the active branch; any other is not found."""
        principal = await self._ctx.principal()
        async with self._ctx.session() as session:
            found = {a.id: a for a in await rbac_repository.service_accounts_by_ids(session, principal.branch_id, ids)}
        return [ServiceAccount.from_model(found[i]) if i in found else None for i in ids]
