"""The schema changes only with a changelog: `schema.graphql` against `schema.released.graphql` (the
schema as last released), compared with graphql-core's find_breaking_changes. A breaking change passes
only when a `CHANGELOG.md` line marked **Breaking** names its coordinate (`Type` or `Type.field`)."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import BreakingChange, build_schema, find_breaking_changes

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"@?[A-Za-z_]\w*(?:\.\w+)?")
LEAD_WORDS = {"A", "An", "Argument", "Enum", "Field", "Standard", "Type", "Directive", "Description"}


def coordinate(change: BreakingChange) -> str:
    """What a change breaks: `Field Me.id was removed.` → `Me.id`, `Enum value Role.X was removed.` →
    `Role.X`, `Foo was removed.` → `Foo` (the first `Type.member`, else the first type name)."""
    names = [n for n in NAME.findall(change.description) if n[0].isupper() or n[0] == "@"]
    dotted = [n for n in names if "." in n]
    found = dotted or [n for n in names if n not in LEAD_WORDS]
    assert found, change.description
    return found[0]


def announced(changelog: str) -> set[str]:
    """Coordinates named in backticks on the lines marked **Breaking**."""
    lines = [line for line in changelog.splitlines() if "**Breaking**" in line]
    return {name for line in lines for name in re.findall(r"`([A-Za-z_][\w.]*)`", line)}


def unannounced_breaks(released: str, current: str, changelog: str) -> list[str]:
    changes = find_breaking_changes(build_schema(released), build_schema(current))
    names = announced(changelog)
    # naming a type announces every break inside it
    return [c.description for c in changes if not {coordinate(c), coordinate(c).split(".")[0]} & names]


def test_every_break_from_the_released_schema_is_announced_in_the_changelog():
    released = (ROOT / "schema.released.graphql").read_text()
    current = (ROOT / "schema.graphql").read_text()
    unannounced = unannounced_breaks(released, current, (ROOT / "CHANGELOG.md").read_text())
    assert not unannounced, (
        "breaking changes to the schema that CHANGELOG.md does not announce (add a line with **Breaking** "
        f"naming each coordinate, or deprecate instead): {unannounced}"
    )


def test_an_unannounced_break_fails_and_an_announced_one_passes():
    released = "type Query { me: Me }  type Me { id: ID! name: String }"
    current = "type Query { me: Me }  type Me { name: String }"
    assert set(unannounced_breaks(released, current, "## Unreleased\n- `Me.id` removed.\n")) == {
        "Field Me.id was removed.",
        "Standard scalar ID was removed because it is not referenced anymore.",
    }
    changelog = "- **Breaking**: `Me.id` removed (use `Me.staff`), and with it the `ID` scalar.\n"
    assert unannounced_breaks(released, current, changelog) == []


def test_the_changelog_has_a_section_for_unreleased_changes():
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text()
