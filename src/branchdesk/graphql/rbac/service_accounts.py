"""Service accounts in GraphQL: the branch's machine clients, created, rotated and deactivated.

A client secret appears in exactly two payloads (creation and rotation), once; nothing else shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import UserError, run_mutation
from branchdesk.graphql.rbac.ids import node_uuid, nodes_readable_with
from branchdesk.graphql.relay import paginate
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import NotFound
from branchdesk.rbac import accounts, models, repository
from branchdesk.rbac.access import Principal
from branchdesk.rbac.accounts import MANAGE


@strawberry.type(name="ServiceAccount", description="A machine client of the branch, e.g. a core-banking feed.")
class ServiceAccount(relay.Node):
    id: relay.NodeID[str]
    client_id: str = strawberry.field(description="`<branch code>.<slug>`: the OAuth2 client id at `/oauth/token`.")
    name: str
    permissions: list[str] = strawberry.field(description="What its tokens may be scoped to.")
    active: bool
    created_at: datetime
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="While a rotation's grace period lasts: until when the previous secret still works."
    )

    @classmethod
    def from_model(cls, account: models.ServiceAccount) -> ServiceAccount:
        expires = account.previous_secret_expires_at
        return cls(
            id=str(account.id),
            client_id=account.client_id,
            name=account.name,
            permissions=list(account.permissions),
            active=account.active,
            created_at=account.created_at,
            previous_secret_valid_until=expires if expires is not None and expires > utcnow() else None,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ServiceAccount | None]:
        async def find(principal: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, ServiceAccount | None]:
            return dict(zip(ids, await info.context.loaders.service_account.load_many(ids), strict=True))

        return await nodes_readable_with(info, node_ids, MANAGE, find)


def _account_id(global_id: strawberry.ID) -> uuid.UUID:
    return node_uuid(global_id, "ServiceAccount", NotFound("Service account", "服务账号", field="serviceAccountId"))


@strawberry.input
class CreateServiceAccountInput:
    name: str = strawberry.field(description="What the client is, e.g. Core banking feed.")
    slug: str = strawberry.field(
        description="2 to 40 lowercase letters, digits or hyphens: the client id is `<branch code>.<slug>`."
    )
    permissions: list[str] = strawberry.field(description="Branch permissions that you hold yourself, e.g. `client:read`.")


@strawberry.input
class ServiceAccountInput:
    service_account_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Why; kept in the audit trail.")


@strawberry.type
class CreateServiceAccountPayload:
    service_account: ServiceAccount | None = None
    client_secret: str | None = strawberry.field(default=None, description="Shown once, now: store it in the client.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RotateServiceAccountSecretPayload:
    service_account: ServiceAccount | None = None
    client_secret: str | None = strawberry.field(default=None, description="Shown once, now: store it in the client.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeactivateServiceAccountPayload:
    service_account: ServiceAccount | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ServiceAccountQueries:
    @p.field(MANAGE, "The active branch's service accounts, ordered by client id. Secrets are never shown.")
    async def service_accounts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[ServiceAccount]:
        ctx = info.context
        principal = await ctx.principal()
        async with ctx.session() as session:
            return await paginate(
                session, repository.service_accounts_query(principal.branch_id), models.ServiceAccount.client_id,
                settings=ctx.settings, first=first, after=after, to_node=ServiceAccount.from_model,
                connection=relay.Connection[ServiceAccount],
            )


@strawberry.type
class ServiceAccountMutations:
    @p.mutation(
        MANAGE,
        "Create a service account of the active branch (members of staff only); its client secret is in the "
        "payload, once.",
    )
    async def create_service_account(self, info: Info, input: CreateServiceAccountInput) -> CreateServiceAccountPayload:
        principal = await info.context.principal()
        issued, errors = await run_mutation(
            info, lambda s: accounts.create_service_account(s, principal, input.name, input.slug, input.permissions)
        )
        if issued is None:
            return CreateServiceAccountPayload(errors=errors)
        return CreateServiceAccountPayload(
            service_account=ServiceAccount.from_model(issued.account), client_secret=issued.client_secret
        )

    @p.mutation(
        MANAGE,
        "Issue a new client secret; the previous one keeps working for a grace period (by default 24 hours). "
        "Only a member of staff who holds every permission of the account can.",
    )
    async def rotate_service_account_secret(
        self, info: Info, input: ServiceAccountInput
    ) -> RotateServiceAccountSecretPayload:
        principal = await info.context.principal()
        grace = timedelta(seconds=info.context.settings.service_secret_grace_seconds)

        async def rotate(session: AsyncSession) -> accounts.IssuedSecret:
            return await accounts.rotate_secret(
                session, principal, _account_id(input.service_account_id), grace, input.reason
            )

        issued, errors = await run_mutation(info, rotate)
        if issued is None:
            return RotateServiceAccountSecretPayload(errors=errors)
        return RotateServiceAccountSecretPayload(
            service_account=ServiceAccount.from_model(issued.account), client_secret=issued.client_secret
        )

    @p.mutation(
        MANAGE,
        "Deactivate a service account (members of staff only): it gets no more tokens and the ones it holds stop "
        "working.",
    )
    async def deactivate_service_account(
        self, info: Info, input: ServiceAccountInput
    ) -> DeactivateServiceAccountPayload:
        principal = await info.context.principal()

        async def deactivate(session: AsyncSession) -> models.ServiceAccount:
            return await accounts.deactivate(session, principal, _account_id(input.service_account_id), input.reason)

        account, errors = await run_mutation(info, deactivate)
        if account is None:
            return DeactivateServiceAccountPayload(errors=errors)
        return DeactivateServiceAccountPayload(service_account=ServiceAccount.from_model(account))
