"""The schema documents itself: every type, field, argument, input field and enum value is described,
the limits are stated on the Query type, and the exported schema changes only with a changelog."""

from __future__ import annotations

from pathlib import Path

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.settings import Settings
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    is_specified_scalar_type,
)

ROOT = Path(__file__).resolve().parents[2]


def undescribed(schema: GraphQLSchema) -> list[str]:
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or is_specified_scalar_type(kind):
            continue
        if not (kind.description or "").strip():
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg})" for arg, a in field.args.items() if not (a.description or "").strip()
                ]
        elif isinstance(kind, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, v in kind.fields.items() if not (v.description or "").strip()]
        elif isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not (value.description or "").strip()]
    return missing


def test_every_type_field_argument_and_input_field_is_described():
    missing = undescribed(build_schema(Settings())._schema)
    assert not missing, f"{len(missing)} undescribed: {missing}"


def test_the_limits_are_stated_on_the_query_type():
    settings = Settings()
    description = build_schema(settings)._schema.query_type.description
    for limit in (settings.graphql_max_depth, settings.graphql_max_aliases, settings.graphql_max_tokens):
        assert f" {limit} " in description
    assert f"up to {settings.page_size_max}" in description and "Sign-in locks" in description
