"""The schema, assembled from the domains: every ``graphql/<domain>/`` package contributes its
``queries.Queries``, ``mutations.Mutations`` and ``subscriptions.Subscriptions`` root fields, its
``loaders`` and its Node types, found by walking the package (nothing to register by hand)."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from collections.abc import Iterable
from datetime import date, datetime
from operator import methodcaller
from typing import Any

import strawberry
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.scalar import ScalarDefinition

import branchdesk.graphql
from branchdesk.graphql.completion import PlanningExecutor
from branchdesk.graphql.conventions import describe_conventions
from branchdesk.graphql.errors import RequestLifecycle
from branchdesk.graphql.inputs import guard
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.platform.settings import Settings
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, specified_rules

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
    "client_imports",
    "segments",
    "surveys",
    "visits",
    "care",
    "availability",
    "handoffs",
    "tickets",
    "meetings",
    "notifications",
    "directives",
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


class CachedNames(NameConverter):
    """Strawberry's names, each converted once: it converts every argument's Python name to camel case on
    every call of its field (``convert_arguments``), a few percent of a list's CPU (bench/api.py)."""

    def __init__(self, auto_camel_case: bool = True) -> None:
        super().__init__(auto_camel_case)
        self._names: dict[tuple[bool, str], str] = {}

    def apply_naming_config(self, name: str) -> str:
        key = (self.auto_camel_case, name)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = super().apply_naming_config(name)
        return found


class BranchdeskSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected refusals are answers, not incidents: RequestLifecycle logs only the unexpected."""

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """A valid query or mutation is run by its RequestLifecycle directly (``RequestLifecycle.run``), as
        strawberry would run it with that one extension; anything else goes strawberry's way, which reports
        what is wrong (a document that does not parse or validate, no operation, a type not allowed)."""
        allowed = set(DEFAULT_ALLOWED_OPERATION_TYPES if allowed_operation_types is None else allowed_operation_types)
        lifecycle = self._lifecycle()
        document = lifecycle.runnable(self._schema, query, operation_name, allowed) if lifecycle else None
        if lifecycle is None or document is None:
            return await super().execute(
                query, variable_values, context_value, root_value, operation_name, allowed, operation_extensions
            )
        execution = self._create_execution_context(
            query, allowed, variable_values, context_value, root_value, operation_name, operation_extensions
        )
        execution.graphql_document = document
        lifecycle.execution_context = execution
        execute = self._get_execute_function()
        executor = execution_context_class_kwargs(self.execution_context_class)
        try:
            result = await lifecycle.run(
                lambda ctx: execute(
                    self._schema,
                    document,
                    root_value=root_value,
                    variable_values=variable_values,
                    operation_name=operation_name,
                    context_value=ctx,
                    is_awaitable=optimized_is_awaitable,
                    operation_extensions=operation_extensions,
                    **executor,
                )
            )
        except Exception as exc:  # as strawberry answers it: an error of the operation
            error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            result = ExecutionResult(data=None, errors=[error])
        if result.errors:
            execution.pre_execution_errors = result.errors
        answer = ExecutionResult(data=result.data, errors=result.errors, extensions={})
        execution.result = answer
        return answer

    def _lifecycle(self) -> RequestLifecycle | None:
        """A new RequestLifecycle when it is the schema's only extension (as ``build_schema`` makes it)."""
        if len(self.extensions) != 1 or self.directives or isinstance(self.extensions[0], SchemaExtension):
            return None
        extension = self.extensions[0]()
        return extension if isinstance(extension, RequestLifecycle) else None


def build_schema(settings: Settings, *, compiled_completion: bool = True) -> strawberry.Schema:
    # One extension, built per request (strawberry keeps per-request state on it), with everything
    # before execution: the token limit at parsing, and the limits' rules at validation, before any
    # resolver and so before any SQL. The rules are built once here: the validation cache is keyed by
    # them, so a limiter built per request (a new rule class each time) would make every request miss it.
    rules = (
        *specified_rules,
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
        *([NoSchemaIntrospectionCustomRule] if settings.is_production else []),
    )
    lifecycle = functools.partial(
        RequestLifecycle, hide_schema=settings.is_production, max_tokens=settings.graphql_max_tokens, rules=rules
    )
    schema = BranchdeskSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=_node_types(),
        extensions=[lifecycle],
        # Pure selections completed by compiled plans; without, strawberry's own executor (the tests compare them).
        execution_context_class=PlanningExecutor.for_schema() if compiled_completion else None,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS, name_converter=CachedNames()),
    )
    describe_conventions(schema._schema, settings)
    guard(schema._schema)  # every argument checked once, before its field's permission and resolver
    return schema


def export_sdl(settings: Settings | None = None) -> str:
    return build_schema(settings or Settings()).as_str() + "\n"
