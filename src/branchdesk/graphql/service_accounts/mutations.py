from __future__ import annotations

import uuid
from datetime import timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.service_accounts.types import ServiceAccount
from branchdesk.platform.errors import NotFound
from branchdesk.service_accounts import service as accounts
from branchdesk.service_accounts.service import MANAGE


def _account_id(global_id: strawberry.ID) -> uuid.UUID:
    return node_uuid(global_id, "ServiceAccount", NotFound("Service account", "服务账号", field="serviceAccountId"))


@strawberry.input
class CreateServiceAccountInput:
    name: str = text("What the client is, e.g. Core banking feed.", max_length=200)
    slug: str = text(
        "2 to 40 lowercase letters, digits or hyphens: the client id is `<branch code>.<slug>`.", max_length=40
    )
    permissions: list[str] = text(
        "Branch permissions that you hold yourself, e.g. `client:read`.", max_length=80, each=True
    )


@strawberry.input
class ServiceAccountInput:
    service_account_id: strawberry.ID
    reason: str | None = text("Why; kept in the audit trail.", max_length=500, default=None)


@payload
class CreateServiceAccountPayload:
    service_account: ServiceAccount | None = None
    client_secret: str | None = strawberry.field(default=None, description="Shown once, now: store it in the client.")


@payload
class RotateServiceAccountSecretPayload:
    service_account: ServiceAccount | None = None
    client_secret: str | None = strawberry.field(default=None, description="Shown once, now: store it in the client.")


@payload
class DeactivateServiceAccountPayload:
    service_account: ServiceAccount | None = None


def _issued(issued: accounts.IssuedSecret) -> dict[str, object]:
    return {"service_account": ServiceAccount.from_model(issued.account), "client_secret": issued.client_secret}


@strawberry.type
class Mutations:
    @p.mutation(
        MANAGE,
        "Create a service account of the active branch (members of staff only); its client secret is in the "
        "payload, once.",
    )
    async def create_service_account(self, info: Info, input: CreateServiceAccountInput) -> CreateServiceAccountPayload:
        async def create(session: AsyncSession, by: Principal) -> dict[str, object]:
            return _issued(
                await accounts.create_service_account(session, by, input.name, input.slug, input.permissions)
            )

        return await mutate(info, CreateServiceAccountPayload, create)

    @p.mutation(
        MANAGE,
        "Issue a new client secret; the previous one keeps working for a grace period (by default 24 hours). "
        "Only a member of staff who holds every permission of the account can.",
    )
    async def rotate_service_account_secret(
        self, info: Info, input: ServiceAccountInput
    ) -> RotateServiceAccountSecretPayload:
        grace = timedelta(seconds=info.context.settings.service_secret_grace_seconds)

        async def rotate(session: AsyncSession, by: Principal) -> dict[str, object]:
            account_id = _account_id(input.service_account_id)
            return _issued(await accounts.rotate_secret(session, by, account_id, grace, input.reason))

        return await mutate(info, RotateServiceAccountSecretPayload, rotate)

    @p.mutation(
        MANAGE,
        "Deactivate a service account (members of staff only): it gets no more tokens and the ones it holds stop "
        "working.",
    )
    async def deactivate_service_account(
        self, info: Info, input: ServiceAccountInput
    ) -> DeactivateServiceAccountPayload:
        async def deactivate(session: AsyncSession, by: Principal) -> dict[str, object]:
            account = await accounts.deactivate(session, by, _account_id(input.service_account_id), input.reason)
            return {"service_account": ServiceAccount.from_model(account)}

        return await mutate(info, DeactivateServiceAccountPayload, deactivate)
