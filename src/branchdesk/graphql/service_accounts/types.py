"""Service accounts in GraphQL: the branch's machine clients, created, rotated and deactivated.

A client secret appears in exactly two payloads (creation and rotation), once; nothing else shows it.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.vocabulary import PermissionInfo
from branchdesk.platform.clock import utcnow
from branchdesk.service_accounts import models


@strawberry.type(name="ServiceAccount", description="A machine client of the branch, e.g. a core-banking feed.")
class ServiceAccount(LoadedNode):
    node_loader = "service_account"
    id: relay.NodeID[str]
    client_id: str = strawberry.field(description="`<branch code>.<slug>`: the OAuth2 client id at `/oauth/token`.")
    name: str = strawberry.field(description="What the client is, e.g. Core banking feed.")
    permissions: list[str] = strawberry.field(
        description="What its tokens may be scoped to, `resource:action`.",
        deprecation_reason="Plain strings: use `grantedPermissions` (typed and labelled).",
    )
    active: bool = strawberry.field(description="False once deactivated: it gets no more tokens.")
    created_at: datetime = strawberry.field(description="When it was created.")
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="While a rotation's grace period lasts: until when the previous secret still works."
    )

    @strawberry.field(description="What its tokens may be scoped to, typed and labelled.")
    def granted_permissions(self) -> list[PermissionInfo]:
        return [PermissionInfo.of(name) for name in self.permissions]

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


@strawberry.type(name="ServiceAccountConnection", description="A page of a branch's service accounts.")
class ServiceAccountConnection(CountedConnection[ServiceAccount]):
    pass


@strawberry.enum(description="What a list of service accounts is sorted by.")
class ServiceAccountOrderField(Enum):
    CLIENT_ID = strawberry.enum_value("client_id", description="Client id.")
    NAME = strawberry.enum_value("name", description="Name; ties broken by client id.")
    CREATED_AT = strawberry.enum_value("created_at", description="When the account was created.")


@strawberry.input(
    description="How a list of service accounts is sorted: `{field: CREATED_AT, direction: DESC}` is newest first."
)
class ServiceAccountOrder:
    field: ServiceAccountOrderField = ServiceAccountOrderField.CLIENT_ID
    direction: OrderDirection = OrderDirection.ASC
