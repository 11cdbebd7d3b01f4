"""Every root operation of the schema as a runnable document, generated from the schema itself.

Arguments get placeholder values of the right type; the selection is ``__typename``. The point is
to reach the permission check, which runs before any resolver.
"""

from __future__ import annotations

from dataclasses import dataclass

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.settings import Settings
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)

PLACEHOLDERS = {
    "String": '"X1"',
    "ID": '"U3RhZmZNZW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"',
    "Int": "1",
    "Boolean": "false",
    "DateTime": '"2026-01-01T00:00:00+00:00"',
    "Date": '"2026-01-01"',
    "JSON": "{}",
}


@dataclass(frozen=True)
class Operation:
    root: str  # Query | Mutation
    name: str
    permission: str
    document: str


def _value(type_) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type)
    if isinstance(type_, GraphQLList):
        return "[]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        fields = [f"{n}: {_value(f.type)}" for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)]
        return "{" + ", ".join(fields) + "}"
    assert isinstance(type_, GraphQLScalarType)
    return PLACEHOLDERS[type_.name]


def operations() -> list[Operation]:
    schema = build_schema(Settings())
    core: GraphQLSchema = schema._schema
    found = []
    for root, keyword in (("Query", "query"), ("Mutation", "mutation")):
        definition = schema.get_type_by_name(root)
        for field in definition.fields:
            name = schema.config.name_converter.get_graphql_name(field)
            gql_field = core.get_type(root).fields[name]
            args = [
                f"{a}: {_value(arg.type)}" for a, arg in gql_field.args.items() if isinstance(arg.type, GraphQLNonNull)
            ]
            call = f"{name}({', '.join(args)})" if args else name
            selection = "" if is_leaf_type(get_named_type(gql_field.type)) else " { __typename }"
            found.append(Operation(root, name, field.metadata["permission"], f"{keyword} {{ {call}{selection} }}"))
    return found
