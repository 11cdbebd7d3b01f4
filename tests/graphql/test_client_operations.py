"""The front-end check's operations (clients/web/operations, compiled to TypeScript by .ci/run) are valid
against the schema and use every root field, so that the generated client covers the whole API."""

from __future__ import annotations

from pathlib import Path

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.settings import Settings
from graphql import NoDeprecatedCustomRule, OperationDefinitionNode, parse, validate

OPERATIONS = Path(__file__).resolve().parents[2] / "clients" / "web" / "operations"


def _document():  # type: ignore[no-untyped-def]
    return parse("\n".join(p.read_text() for p in sorted(OPERATIONS.glob("*.graphql"))))


def test_the_operations_are_valid_against_the_schema():
    assert not validate(build_schema(Settings())._schema, _document())


def test_the_operations_use_no_deprecated_field():
    """What a team writes today uses the typed fields, not those kept for older clients."""
    errors = validate(build_schema(Settings())._schema, _document(), [NoDeprecatedCustomRule])
    assert [e.message for e in errors] == []


def test_every_root_field_is_used_by_some_operation():
    schema = build_schema(Settings())._schema
    used: set[str] = set()
    for definition in _document().definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = definition.operation.value.capitalize()
            used |= {f"{root}.{s.name.value}" for s in definition.selection_set.selections if hasattr(s, "name")}
    roots = [t for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t is not None]
    declared = {f"{root.name}.{name}" for root in roots for name in root.fields}
    assert declared - used == set(), "add an operation to clients/web/operations/ for each root field listed"
