"""The schema, assembled from the domains: every ``graphql/<domain>/`` package contributes its
``queries.Queries``, ``mutations.Mutations`` and ``subscriptions.Subscriptions`` root fields, its
``loaders`` and its Node types, found by walking the package (nothing to register by hand)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import pkgutil
from collections.abc import Iterator
from datetime import date, datetime
from operator import methodcaller
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.tools import merge_types
from strawberry.types.scalar import ScalarDefinition

import branchdesk.graphql
from branchdesk.graphql.completion import PlanningExecutor
from branchdesk.graphql.conventions import describe_conventions
from branchdesk.graphql.errors import RequestLifecycle
from branchdesk.graphql.inputs import guard
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.persisted_queries import KeepValidQueries
from branchdesk.platform.settings import Settings
from graphql import GraphQLError

CACHE_SIZE = 512  # distinct documents kept parsed and validated
# The domains in a fixed order (their fields' order in the exported schema); a new domain is appended.
DOMAINS = (
    "tenants",
    "rbac",
    "access_reviews",
    "service_accounts",
    "calendars",
    "credentials",
    "staffing",
    "crm",
    "second_factor",
    "interactions",
    "feedback",
    "holdings",
    "segments",
)


def _check_every_domain_listed() -> None:
    packages = {m.name for m in pkgutil.iter_modules(branchdesk.graphql.__path__) if m.ispkg}
    if packages != set(DOMAINS):
        raise RuntimeError(f"graphql domain packages {sorted(packages)} differ from DOMAINS {sorted(DOMAINS)}")


def _domain_parts(part: str, name: str) -> list[type]:
    found = []
    for domain in DOMAINS:
        module = f"branchdesk.graphql.{domain}.{part}"
        if importlib.util.find_spec(module) is not None:
            found.append(getattr(importlib.import_module(module), name))
    return found


def _node_types() -> list[type]:
    seen: list[type] = []
    pending = list(LoadedNode.__subclasses__())
    while pending:
        node = pending.pop(0)
        seen.append(node)
        pending += node.__subclasses__()
    return seen


_check_every_domain_listed()
_domain_parts("types", "__name__")
_domain_parts("loaders", "__name__")  # loaders register themselves when imported
Query = merge_types("Query", tuple(_domain_parts("queries", "Queries")))
Mutation = merge_types("Mutation", tuple(_domain_parts("mutations", "Mutations")))
Subscription = merge_types("Subscription", tuple(_domain_parts("subscriptions", "Subscriptions")))


# strawberry's Date and DateTime (ISO 8601 strings), with the specifications they follow, so generated
# clients and validators know the format.
SCALARS: dict[object, ScalarDefinition] = {
    date: strawberry.scalar(
        name="Date",
        description="A calendar date, ISO 8601 / RFC 3339 full-date: `2026-11-30`.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
        serialize=methodcaller("isoformat"),
        parse_value=DateDefinition.parse_value,
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description="A moment, ISO 8601 / RFC 3339 date-time (answered with its offset): `2026-11-30T09:30:00+08:00`.",
        specified_by_url="https://scalars.graphql.org/andimarek/date-time",
        serialize=methodcaller("isoformat"),
        parse_value=DateTimeDefinition.parse_value,
    ),
}


class DocumentCache(ParserCache):
    """Strawberry's parser cache, except that a document that does not parse is left to strawberry's own
    parsing, which reports the error inside the operation, so RequestLifecycle presents it with its code."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield


class BranchdeskSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected refusals are answers, not incidents: RequestLifecycle logs only the unexpected."""


def build_schema(settings: Settings, *, compiled_completion: bool = True) -> strawberry.Schema:
    # Extensions are built per request (strawberry keeps per-request state on them). The limits' rule
    # classes are built once here: the validation cache is keyed by the rules, so a limiter built per
    # request (a new rule class each time) would make every request miss it. The parser and validation
    # caches live at module level in strawberry and are shared by every request of the process.
    limits = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        # Limits run at parsing and validation, before any resolver and so before any SQL.
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(limits),
        lambda: DocumentCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        KeepValidQueries,  # Apollo APQ: a query sent with its hash is kept once it validates
        lambda: RequestLifecycle(hide_schema=settings.is_production),
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    schema = BranchdeskSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=_node_types(),
        extensions=extensions,
        # Pure selections completed by compiled plans; without, strawberry's own executor (the tests compare them).
        execution_context_class=PlanningExecutor.for_schema() if compiled_completion else None,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )
    describe_conventions(schema._schema, settings)
    guard(schema._schema)  # every argument checked once, before its field's permission and resolver
    return schema


def export_sdl(settings: Settings | None = None) -> str:
    return build_schema(settings or Settings()).as_str() + "\n"
