"""The schema, assembled in one place from each domain's queries and mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from branchdesk.graphql.errors import RequestLifecycle
from branchdesk.graphql.rbac.mutations import RbacMutations
from branchdesk.graphql.rbac.queries import RbacQueries
from branchdesk.graphql.rbac.review_mutations import AccessReviewMutations
from branchdesk.graphql.rbac.review_queries import AccessReviewQueries
from branchdesk.graphql.rbac.service_accounts import ServiceAccountMutations, ServiceAccountQueries
from branchdesk.graphql.rbac.types import PolicyChangeEntry
from branchdesk.graphql.tenants.mutations import TenantMutations
from branchdesk.graphql.tenants.queries import TenantQueries
from branchdesk.graphql.tenants.signin import SignInMutations
from branchdesk.graphql.tenants.types import Branch, StaffMember
from branchdesk.platform.settings import Settings

Query = merge_types("Query", (TenantQueries, RbacQueries, AccessReviewQueries, ServiceAccountQueries))
Mutation = merge_types(
    "Mutation", (SignInMutations, TenantMutations, RbacMutations, AccessReviewMutations, ServiceAccountMutations)
)


class BranchdeskSchema(strawberry.Schema):
    def process_errors(self, errors: list, execution_context: Any = None) -> None:
        """Expected refusals are answers, not incidents: RequestLifecycle logs only the unexpected."""


def build_schema(settings: Settings) -> strawberry.Schema:
    # The caches are shared by every request (that is their point); the rest are built per request.
    parser_cache, validation_cache = ParserCache(maxsize=512), ValidationCache(maxsize=512)
    extensions: list[Any] = [
        # Limits run at validation, before any resolver and so before any SQL.
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        lambda: parser_cache,
        lambda: validation_cache,
        RequestLifecycle,
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return BranchdeskSchema(
        query=Query,
        mutation=Mutation,
        types=[Branch, StaffMember, PolicyChangeEntry],
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )


def export_sdl(settings: Settings | None = None) -> str:
    return build_schema(settings or Settings()).as_str() + "\n"
