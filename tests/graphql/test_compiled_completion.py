"""Compiled completion (graphql/completion.py) answers exactly what graphql-core answers.

On a small schema: what a plan accepts (plain attributes, Relay ids, ``__typename``, lists, non-null,
an interface) is answered by a plan; what it does not (a resolver, a directive, a union, a value it
does not expect) is answered by graphql-core, errors included, and a resolver is never run twice.
On the service: every query in clients/web/operations, and ``node`` with every field of every Node
type, answers the same bytes with and without plans.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import strawberry
from strawberry import relay

from branchdesk.api import create_app
from branchdesk.graphql.completion import PlanningExecutor, prefetched
from graphql import ListTypeNode, NonNullTypeNode, OperationDefinitionNode, OperationType, parse
from tests.conftest import Api, add_member
from tests.graphql.node_factories import FACTORIES, Made
from tests.graphql.schema_ids import core_schema, node_document, node_types
from tests.graphql.test_client_operations import OPERATIONS

# --- the mechanism, on a small schema -----------------------------------------------------------------

CALLS: list[str] = []


@strawberry.type
class Tag:
    label: str


@strawberry.type
class Photo:
    url: str


@strawberry.type
class Item(relay.Node):
    id: relay.NodeID[str]
    name: str
    nickname: str | None
    tags: list[Tag]
    sizes: list[int]

    read_whisper: strawberry.Private[tuple[str] | None] = None

    @strawberry.field
    def shouted(self) -> str:
        CALLS.append(self.id)
        return self.name.upper()

    @strawberry.field
    @prefetched("read_whisper")
    def whispered(self) -> str:
        if self.read_whisper is not None:
            return self.read_whisper[0]
        CALLS.append(self.id)
        return self.name.lower()


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [
            Item(id="1", name="one", nickname=None, tags=[Tag(label="a")], sizes=[1, 2]),
            Item(id="2", name="two", nickname="deux", tags=[], sizes=[]),
        ]

    @strawberry.field
    def read_ahead(self) -> list[Item]:
        return [Item(id="4", name="FOUR", nickname=None, tags=[], sizes=[], read_whisper=("four",))]

    @strawberry.field
    def odd(self) -> list[Item]:  # values that are not strings in String fields: graphql-core coerces them
        return [Item(id="5", name=5, nickname=True, tags=[], sizes=[])]  # type: ignore[arg-type]

    @strawberry.field
    def miscast(self) -> list[Item] | None:  # an Item instance cast to another type is not an Item here
        return [strawberry.cast(Photo, Item(id="6", name="six", nickname=None, tags=[], sizes=[]))]

    @strawberry.field
    def broken(self) -> list[Item] | None:
        return [Item(id="3", name=None, nickname=None, tags=[], sizes=[])]  # type: ignore[arg-type]

    @strawberry.field
    def holed(self) -> list[Item] | None:
        return [Item(id="5", name="five", nickname=None, tags=[Tag(label="b"), None], sizes=[])]  # type: ignore[list-item]

    @strawberry.field
    def node(self, id: str) -> relay.Node | None:
        return Item(id=id, name="found", nickname=None, tags=[], sizes=[3])

    @strawberry.field
    def anything(self) -> list[Tag | Photo]:
        return [Tag(label="t"), Photo(url="u")]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema, type[PlanningExecutor]]:
    executor = PlanningExecutor.for_schema()
    planned = strawberry.Schema(query=Query, types=[Item], execution_context_class=executor)
    plain = strawberry.Schema(query=Query, types=[Item])
    return planned, plain, executor


async def _both(query: str, variables: dict[str, Any] | None = None) -> tuple[str, str, int]:
    planned, plain, executor = _schemas()
    before = executor.plans.hits
    ours = await planned.execute(query, variable_values=variables)
    theirs = await plain.execute(query, variable_values=variables)

    def text(result: Any) -> str:
        errors = [e.formatted for e in result.errors or []]
        return json.dumps({"data": result.data, "errors": errors}, sort_keys=True)

    return text(ours), text(theirs), executor.plans.hits - before


async def test_a_pure_selection_is_answered_by_a_plan():
    ours, theirs, hits = await _both("{ items { id __typename name nickname tags { label } sizes } }")
    assert ours == theirs
    assert '"id": "SXRlbTox"' in ours  # relay id, base64 of Item:1
    assert hits == 1  # the whole list, from the root field's value


async def test_an_interface_is_answered_by_a_plan():
    ours, theirs, hits = await _both('{ node(id: "7") { __typename id ... on Item { name sizes } } }')
    assert ours == theirs and hits == 1


async def test_a_resolver_inside_runs_once_through_graphql_core():
    CALLS.clear()
    ours, theirs, hits = await _both("{ items { id name shouted } }")
    assert ours == theirs
    assert CALLS == ["1", "2", "1", "2"]  # once per item in each schema: never again after a plan gave up
    assert hits > 0  # its plain siblings still are


async def test_a_value_read_ahead_is_answered_by_a_plan_and_the_resolver_runs_where_it_was_not():
    CALLS.clear()
    ours, theirs, hits = await _both("{ readAhead { id whispered } }")
    assert ours == theirs and '"whispered": "four"' in ours
    assert hits == 1 and CALLS == []  # the whole list by the plan; the resolver returns what was read
    ours, theirs, hits = await _both("{ items { id whispered } }")
    assert ours == theirs and '"whispered": "two"' in ours
    assert CALLS == ["1", "2", "1", "2"]  # not read ahead: the plan gives up, the resolver runs once each


async def test_strings_that_are_not_str_and_aliases_answer_as_graphql_core_does():
    ours, theirs, hits = await _both("{ odd { id name nickname again: name kind: __typename } }")
    assert ours == theirs and hits == 1
    assert json.loads(ours)["data"]["odd"] == [
        {"id": "SXRlbTo1", "name": "5", "nickname": "true", "again": "5", "kind": "Item"}
    ]


async def test_a_value_cast_to_another_type_is_refused_as_graphql_core_refuses_it():
    ours, theirs, _ = await _both("{ miscast { id name } }")
    assert ours == theirs
    assert "Expected value of type 'Item'" in ours


async def test_an_unexpected_null_is_reported_by_graphql_core():
    ours, theirs, _ = await _both("{ broken { id name } }")
    assert ours == theirs
    assert "Cannot return null for non-nullable field Item.name." in ours


async def test_a_null_object_in_a_list_of_non_null_objects_is_reported_by_graphql_core():
    ours, theirs, _ = await _both("{ holed { id tags { label } } }")
    assert ours == theirs
    assert "Cannot return null for non-nullable field Item.tags." in ours


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($on: Boolean!) { items { id name @include(if: $on) } }", {"on": False}),
        ("query($on: Boolean!) { items { id name @include(if: $on) } }", {"on": True}),
        ("{ anything { __typename ... on Tag { label } ... on Photo { url } } }", None),
    ],
    ids=["include-false", "include-true", "union"],
)
async def test_directives_and_unions_are_left_to_graphql_core(query, variables):
    ours, theirs, hits = await _both(query, variables)
    assert ours == theirs
    assert hits > 0  # the leaves still are: an object whose selection holds a directive, or a union, is not


# --- the service: byte for byte -------------------------------------------------------------------------


def _query_operations() -> list[str]:
    return [
        d.name.value
        for d in CLIENT_OPERATIONS.definitions
        if isinstance(d, OperationDefinitionNode) and d.operation is OperationType.QUERY and d.name
    ]


CLIENT_DOCUMENT = "\n".join(p.read_text() for p in sorted(OPERATIONS.glob("*.graphql")))
CLIENT_OPERATIONS = parse(CLIENT_DOCUMENT)


@pytest.fixture(scope="module")
async def scene(rt, settings, world) -> Any:
    made: dict[str, Made] = {}
    # every branch permission; a member before the nodes are made (a notification is only its recipient's)
    reader = await add_member(rt, world.branch_a, ["branch_head", "compliance_officer"])
    for type_name in node_types(core_schema()):
        made[type_name] = await FACTORIES[type_name](rt, world.branch_a, world.head_a)
    apps = {"planned": create_app(settings, rt), "plain": create_app(settings, rt, compiled_completion=False)}
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://branchdesk.test")
        for name, app in apps.items()
    }
    api = Api(clients["planned"])
    callers = {
        "branch": (await api.token(reader), world.branch_a.code),
        "head_office": (await api.token(world.ho_admin), world.head_office.code),
    }
    yield made, clients, callers, world
    for client in clients.values():
        await client.aclose()


def _variables(operation: str, made: dict[str, Made], world: Any) -> dict[str, Any]:
    """Values that reach the data: chosen for the operations that name objects, and for any other
    required variable a value of its type."""
    chosen = {
        "AccessReview": {"id": made["AccessReview"].global_id, "first": 5},
        "EffectivePermissions": {"staffId": made["StaffMember"].global_id},
        "WhoCan": {"permission": "staff:read"},
        "Branch": {"code": world.branch_a.code},
        "Staff": {"first": 5},
        "Node": {"id": made["StaffMember"].global_id},
        "Nodes": {"ids": [made["Branch"].global_id, made["AccessReviewItem"].global_id]},
        "QueueBoard": {"line": "COUNTER"},
        "Visit": {"id": made["Visit"].global_id},
        "SurveyResults": {
            "surveyId": made["Survey"].global_id,
            "period": {"start": "2026-01-01", "end": "2026-12-31"},
            "groupBy": "STAFF",
        },
        "PreviewSegment": {"rule": {"aum": {"min": "0"}}, "first": 5},
        "Comments": {"subjectType": "HANDOFF", "subjectId": made["Handoff"].global_id, "first": 5},
    }.get(operation, {})
    by_type = {
        "ID": made["StaffMember"].global_id,
        "Int": 2026,
        "String": world.branch_a.code,
        "Boolean": True,
        "Date": "2026-12-01",
        "DateTime": "2026-12-01T09:00:00+08:00",
    }
    [definition] = [d for d in CLIENT_OPERATIONS.definitions if getattr(d, "name", None) and d.name.value == operation]
    for variable in definition.variable_definitions or ():
        name = variable.variable.name.value
        if name in chosen or not isinstance(variable.type, NonNullTypeNode) or variable.default_value:
            continue
        inner = variable.type.type
        if isinstance(inner, ListTypeNode):
            chosen[name] = [by_type[inner.type.type.name.value]]  # type: ignore[attr-defined]
        else:
            chosen[name] = by_type[inner.name.value]  # type: ignore[attr-defined]
    return chosen


async def _compare(scene: Any, caller: str, body: dict[str, Any]) -> bytes:
    _, clients, callers, _ = scene
    token, branch = callers[caller]
    headers = {"Authorization": f"Bearer {token}", "X-Branch": branch, "X-Request-Id": "compiled-completion-check"}
    answers = {name: await client.post("/graphql", json=body, headers=headers) for name, client in clients.items()}
    planned, plain = answers["planned"], answers["plain"]
    assert (planned.status_code, planned.content) == (plain.status_code, plain.content)
    return planned.content


@pytest.mark.external
@pytest.mark.parametrize("caller", ["branch", "head_office"])
@pytest.mark.parametrize("operation", _query_operations())
async def test_client_operations_answer_the_same_bytes(scene, caller, operation):
    made, _, _, world = scene
    body = {"query": CLIENT_DOCUMENT, "operationName": operation, "variables": _variables(operation, made, world)}
    content = await _compare(scene, caller, body)
    assert b'"data"' in content


@pytest.mark.external
@pytest.mark.parametrize("type_name", node_types(core_schema()))
async def test_every_field_of_every_node_answers_the_same_bytes(scene, type_name):
    made = scene[0]
    body = {"query": node_document(type_name, core_schema()), "variables": {"id": made[type_name].global_id}}
    content = await _compare(scene, "branch", body)
    assert json.loads(content)["data"]["node"] is not None
