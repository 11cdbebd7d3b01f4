"""Every error code the code declares is a value of the schema's ErrorCode enum, with both messages."""

from __future__ import annotations

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.errors import CODES
from branchdesk.platform.settings import Settings


def test_every_declared_code_is_in_the_schema_with_its_messages():
    enum = build_schema(Settings())._schema.type_map["ErrorCode"]
    assert set(enum.values) == set(CODES)
    for code, value in enum.values.items():
        assert CODES[code].en in value.description and CODES[code].zh in value.description


def test_user_errors_carry_the_enum(world):
    user_error = build_schema(Settings())._schema.type_map["UserError"]
    assert str(user_error.fields["code"].type) == "ErrorCode!"


def test_the_error_code_page_is_current_and_lists_every_code():
    from pathlib import Path

    from branchdesk.graphql.errors import error_codes_page

    page = (Path(__file__).resolve().parents[2] / "docs" / "error-codes.md").read_text()
    assert page == error_codes_page(), "run `branchdesk export-schema` and commit docs/error-codes.md"
    for code in CODES:
        assert f"| `{code}` |" in page
