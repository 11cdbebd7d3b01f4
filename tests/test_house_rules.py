"""House rules a machine checks: SQL is built only in repositories (and the platform's infrastructure).

DESIGN.md: a domain's ``repository.py`` holds all of its SQL; services hold business rules, the GraphQL
layer and jobs call services. This walks ``src/branchdesk`` with ``ast`` and names every place outside a
repository that builds a statement with SQLAlchemy or hands one it built to a session.
"""

from __future__ import annotations

import ast
from pathlib import Path

import branchdesk

PACKAGE = Path(branchdesk.__file__).parent

# Statement and expression builders: calling one of these builds SQL.
BUILDERS = frozenset(
    {
        "select", "insert", "update", "delete", "text", "func", "literal", "literal_column", "column", "table",
        "union", "union_all", "intersect", "except_", "exists", "lateral", "values", "tuple_", "bindparam",
        "and_", "or_", "not_", "case", "cast", "type_coerce", "distinct", "null", "true", "false", "over",
        "any_", "all_", "between", "collate", "extract", "within_group",
    }
)  # fmt: skip
# Methods that add clauses to a statement: chained onto one outside a repository, they build SQL too.
CLAUSES = frozenset(
    {
        "where", "filter", "filter_by", "join", "outerjoin", "order_by", "group_by", "having", "limit", "offset",
        "values", "returning", "with_for_update", "on_conflict_do_nothing", "on_conflict_do_update", "options",
    }
)  # fmt: skip
# Of those, the ones no other object in this code base has: called anywhere outside a repository, they build SQL.
CLAUSES_ANYWHERE = frozenset(
    {
        "where", "filter_by", "order_by", "group_by", "having", "outerjoin", "with_for_update", "returning",
        "on_conflict_do_nothing", "on_conflict_do_update",
    }
)  # fmt: skip
SESSION_RUNS = frozenset({"execute", "scalar", "scalars", "stream", "stream_scalars"})


def allowed(path: Path) -> bool:
    """Repositories hold a domain's SQL; platform/ is the infrastructure (database, audit trail, outbox,
    pagination, migrations); a domain's models.py declares tables (server defaults, index expressions)."""
    relative = path.relative_to(PACKAGE)
    return relative.name in {"repository.py", "models.py"} or relative.parts[0] == "platform"


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.builders: set[str] = set()  # names bound to a sqlalchemy builder in this module
        self.modules: set[str] = set()  # names bound to a sqlalchemy module (``import sqlalchemy as sa``)
        self.found: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "sqlalchemy":
                self.modules.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in BUILDERS:
                    self.builders.add(alias.asname or alias.name)
                elif alias.name in {"sql", "expression", "postgresql", "future"}:
                    self.modules.add(alias.asname or alias.name)

    def _is_builder(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in self.builders
        if isinstance(func, ast.Attribute):
            root = func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in self.builders:
                return True  # func.count(), func.now()
            return isinstance(func.value, ast.Name) and func.value.id in self.modules and func.attr in BUILDERS
        return False

    def _builds(self, statement: ast.expr) -> bool:
        if isinstance(statement, ast.Constant) and isinstance(statement.value, str):
            return True  # raw SQL text
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLAUSES:
                return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if self._is_builder(func):
            self.found.append((node.lineno, f"calls {ast.unparse(func)}()"))
        elif isinstance(func, ast.Attribute) and func.attr in CLAUSES_ANYWHERE:
            self.found.append((node.lineno, f"adds a clause: {ast.unparse(node)[:80]}"))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in SESSION_RUNS
            and "session" in ast.unparse(func.value).lower()
            and node.args
            and self._builds(node.args[0])
        ):
            self.found.append((node.lineno, f"runs a statement it built: {ast.unparse(node)[:80]}"))
        self.generic_visit(node)


def offences() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if allowed(path):
            continue
        finder = _Finder()
        finder.visit(ast.parse(path.read_text(), str(path)))
        found += [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}" for line, what in finder.found]
    return found


def test_sql_is_built_only_in_repositories():
    found = offences()
    assert not found, "SQL outside a repository (move it into the domain's repository.py):\n" + "\n".join(found)


def test_the_check_sees_sql_it_should_refuse():
    finder = _Finder()
    finder.visit(
        ast.parse(
            "from sqlalchemy import select, func\n"
            "import sqlalchemy as sa\n"
            "async def f(session, repository):\n"
            "    await session.scalar(select(X))\n"
            "    await session.execute(sa.text('select 1'))\n"
            "    func.count()\n"
            "    await session.scalars(repository.items(t).where(X.id == 1))\n"
            "    await session.execute('delete from x')\n"
            "    stmt = repository.items(t)\n"
            "    stmt = stmt.order_by(X.id)\n"
            "    await session.scalars(repository.items(t))\n"  # built in the repository: fine
            "    ', '.join(d.values())\n"  # not SQL
        )
    )
    assert [line for line, _ in finder.found] == [4, 5, 6, 7, 7, 8, 10]
