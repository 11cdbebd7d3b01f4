"""Input hygiene at the edge: what PostgreSQL cannot store or Python cannot represent is a typed error
naming the field, never an internal error.

Strings with NUL or an unpaired surrogate are BAD_USER_INPUT; every String argument and input field
declares its maximum length in the schema and a longer value is TOO_LONG; a date-time that cannot be
expressed in UTC is DATE_OUT_OF_RANGE. The generated tests walk the executable schema, so a new field
is covered (or fails the declaration test) without being named here.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from branchdesk.tenants.models import BranchLevel
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
)
from tests.conftest import add_member, extensions_of, onboard, unique_code, unique_employee_number
from tests.graphql import schema_ids

pytestmark = pytest.mark.external

SCHEMA = schema_ids.core_schema()
NUL, SURROGATE = "\u0000", "\ud800"
LIMIT = re.compile(r"At most (\d+) characters( each)?\.$")


async def post(client: Any, query: str, variables: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
    """Posts with ASCII-only JSON: a lone surrogate travels as a ``\\ud800`` escape, as a browser sends it."""
    body = json.dumps({"query": query, "variables": variables or {}})
    sent = {"content-type": "application/json", **headers}
    return (await client.post("/graphql", content=body, headers=sent)).json()


def as_caller(token: str, branch: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "x-branch": branch}


def refusal(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The typed error of a mutation payload (``data.<field>.errors``) or of the request (``extensions``)."""
    assert "INTERNAL_ERROR" not in json.dumps(body), body
    if body.get("errors"):
        return extensions_of(body["errors"][0])
    (errors,) = [value["errors"] for value in body["data"].values()]
    assert len(errors) == 1, errors
    return {"code": errors[0]["code"], "field": errors[0]["field"]}


# --- the schema declares a limit on every String input -----------------------------------------------


@dataclass(frozen=True)
class TextSlot:
    """One place of a field where a String goes: an argument, then input fields."""

    type_name: str
    field: str
    path: tuple[str, ...]
    description: str | None
    in_list: tuple[int, ...]  # positions in ``path`` whose value is a list

    @property
    def limit(self) -> int:
        found = LIMIT.search(self.description or "")
        assert found, f"{self} declares no maximum length"
        return int(found.group(1))

    @property
    def error_field(self) -> str:
        """How the error names it: inside the mutation's ``input``, list items by position."""
        names = [f"{name}.0" if i in self.in_list else name for i, name in enumerate(self.path)]
        return ".".join(names[1:] if names[0] == "input" and len(names) > 1 else names)

    def __str__(self) -> str:
        return f"{self.type_name}.{self.field}({'.'.join(self.path)})"


def _text_paths(type_: Any, path: tuple[str, ...], description: str | None, lists: tuple[int, ...], seen: frozenset):
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        lists = (*lists, len(path) - 1)
    named = get_named_type(type_)
    if named.name == "String":
        yield path, description, lists
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, field in named.fields.items():
            yield from _text_paths(field.type, (*path, name), field.description, lists, seen | {named.name})


def text_slots() -> list[TextSlot]:
    return [
        TextSlot(type_name, field_name, path, description, lists)
        for type_name, type_ in SCHEMA.type_map.items()
        if isinstance(type_, GraphQLObjectType) and not type_name.startswith("__")
        for field_name, field in type_.fields.items()
        for arg_name, arg in field.args.items()
        for path, description, lists in _text_paths(arg.type, (arg_name,), arg.description, (), frozenset())
    ]


def test_every_string_input_states_its_maximum_length():
    undeclared = [str(slot) for slot in text_slots() if not LIMIT.search(slot.description or "")]
    assert undeclared == [], "declare a limit with graphql.inputs.text() / text_argument()"


# --- every root String slot refuses what is too long or cannot be stored ------------------------------

ROOT_SLOTS = [slot for slot in text_slots() if slot.type_name in ("Query", "Mutation")]


def _sample(type_: Any) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type)
    if isinstance(type_, GraphQLList):
        return []
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {n: _sample(f.type) for n, f in type_.fields.items() if schema_ids._required(f)}
    return {**schema_ids.GENERIC, "ID": "U3RhZmZNZW1iZXI6MQ=="}[type_.name]


# Required siblings of a probed field whose limit is under the generic sample's length.
SIBLINGS = {"currency": "USD"}


def _put(type_: Any, rest: tuple[str, ...], value: str) -> Any:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        return [_put(inner.of_type, rest, value)]
    if not rest:
        return value
    named = get_named_type(type_)
    assert isinstance(named, GraphQLInputObjectType)
    found = {n: SIBLINGS.get(n, _sample(f.type)) for n, f in named.fields.items() if schema_ids._required(f)}
    found[rest[0]] = _put(named.fields[rest[0]].type, rest[1:], value)
    return found


def slot_request(slot: TextSlot, value: str) -> tuple[str, dict[str, Any]]:
    root = SCHEMA.query_type if slot.type_name == "Query" else SCHEMA.mutation_type
    field = root.fields[slot.field]
    head = slot.path[0]
    variables = {head: _put(field.args[head].type, slot.path[1:], value)}
    variables |= {n: _sample(a.type) for n, a in field.args.items() if schema_ids._required(a) and n != head}
    declared = ", ".join(f"${n}: {field.args[n].type}" for n in variables)
    call = ", ".join(f"{n}: ${n}" for n in variables)
    returned = get_named_type(field.type)
    if isinstance(returned, GraphQLObjectType) and "errors" in returned.fields:
        selection = "{ errors { code field } }"
    else:
        selection = "" if not isinstance(returned, GraphQLObjectType) else "{ __typename }"
    return f"{slot.type_name.lower()}({declared}) {{ {slot.field}({call}) {selection} }}", variables


@pytest.mark.parametrize("slot", ROOT_SLOTS, ids=str)
async def test_every_string_slot_refuses_a_value_over_its_limit(client, world, slot):
    document, variables = slot_request(slot, "x" * (slot.limit + 1))
    answer = refusal(await post(client, document, variables), slot.field)
    expected = "INVALID_TIMEZONE" if slot.path[-1] == "timezone" else "TOO_LONG"
    assert answer == {"code": expected, "field": slot.error_field}


@pytest.mark.parametrize("slot", ROOT_SLOTS, ids=str)
async def test_every_string_slot_refuses_nul_and_unpaired_surrogates(client, world, slot):
    for bad in (f"a{NUL}b", f"a{SURROGATE}b"):
        document, variables = slot_request(slot, bad)
        answer = refusal(await post(client, document, variables), slot.field)
        assert answer == {"code": "BAD_USER_INPUT", "field": slot.error_field}


async def test_the_limit_is_checked_before_any_sql(client, world, sql_counter):
    with sql_counter:
        body = await post(
            client, "query($c: String!) { branch(code: $c) { code } }", {"c": "9" * 17}, authorization="Bearer x"
        )
    assert extensions_of(body["errors"][0]) == {"code": "TOO_LONG", "field": "code"}
    assert sql_counter.count == 0


# --- named cases from the issues, signed in where the operation needs it ------------------------------


@dataclass
class Auditor:
    token: str
    branch: str
    head_office_token: str


@pytest.fixture(scope="module")
async def auditor_branch(rt, world) -> tuple[str, str]:
    """A branch of this module's own (the shared world's member lists stay as other tests expect)."""
    branch = await onboard(
        rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number()
    )
    return branch.code, await add_member(rt, branch, ["branch_head", "compliance_officer"])


@pytest.fixture
async def auditor(api, world, auditor_branch) -> Auditor:
    code, member = auditor_branch
    return Auditor(await api.token(member), code, await api.token(world.ho_admin))


SIGN_IN = "mutation($i: SignInInput!) { signIn(input: $i) { accessToken errors { code field } } }"
REFRESH = "mutation($i: RefreshTokenInput!) { refreshSession(input: $i) { accessToken errors { code field } } }"
SUSPEND = (
    "mutation($i: ChangeBranchStatusInput!) { suspendBranch(input: $i) { branch { code } errors { code field } } }"
)
SIGN_OUT = "mutation($i: RefreshTokenInput!) { signOut(input: $i) { signedOut errors { code field } } }"


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (SIGN_IN, {"i": {"employeeNumber": f"E{NUL}1", "password": "Correct-horse-42"}}, "employeeNumber"),
        (SIGN_IN, {"i": {"employeeNumber": "E0001", "password": f"pass{SURROGATE}word-42"}}, "password"),
        (REFRESH, {"i": {"refreshToken": f"token{SURROGATE}"}}, "refreshToken"),
        (REFRESH, {"i": {"refreshToken": f"token{NUL}"}}, "refreshToken"),
        (SIGN_OUT, {"i": {"refreshToken": f"token{SURROGATE}"}}, "refreshToken"),
    ],
    ids=["signIn-nul", "signIn-surrogate", "refresh-surrogate", "refresh-nul", "signOut-surrogate"],
)
async def test_public_mutations_refuse_unstorable_characters(client, world, document, variables, field):
    body = await post(client, document, variables)
    assert refusal(body, field) == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_branch_code_with_nul_is_a_typed_error(client, auditor):
    body = await post(
        client,
        "query($c: String!) { branch(code: $c) { code } }",
        {"c": f"01{NUL}"},
        **as_caller(auditor.head_office_token, "0000"),
    )
    assert body["data"] == {"branch": None}
    assert extensions_of(body["errors"][0]) == {"code": "BAD_USER_INPUT", "field": "code"}


async def test_suspending_a_branch_code_with_a_surrogate_is_a_typed_error(client, auditor):
    body = await post(
        client,
        SUSPEND,
        {"i": {"code": f"01{SURROGATE}"}},
        **as_caller(auditor.head_office_token, "0000"),
    )
    assert body["data"]["suspendBranch"] == {"branch": None, "errors": [{"code": "BAD_USER_INPUT", "field": "code"}]}


async def test_a_review_note_with_nul_is_a_typed_error_and_nothing_is_decided(client, auditor):
    opened = await post(
        client,
        'mutation { openAccessReview(input: {name: "hygiene"}) {'
        " accessReview { items(first: 1) { edges { node { id } } } } errors { code } } }",
        **as_caller(auditor.token, auditor.branch),
    )
    item = opened["data"]["openAccessReview"]["accessReview"]["items"]["edges"][0]["node"]["id"]

    body = await post(
        client,
        "mutation($i: DecideAccessReviewItemInput!) { decideAccessReviewItem(input: $i) {"
        " item { decision } errors { code field } } }",
        {"i": {"itemId": item, "decision": "CONFIRMED", "note": f"fine{NUL}"}},
        **as_caller(auditor.token, auditor.branch),
    )

    assert body["data"]["decideAccessReviewItem"] == {
        "item": None,
        "errors": [{"code": "BAD_USER_INPUT", "field": "note"}],
    }


def _cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"k:{key}".encode()).decode()


@pytest.mark.parametrize(
    ("root", "after"),
    [
        ("branches", _cursor(f"01{NUL}")),
        ("staff", _cursor(f"E{NUL}")),
        ("policyChanges", _cursor("not-a-uuid")),
        ("branches", "k:" + "A" * 10),
        ("staff", base64.urlsafe_b64encode(b"k:\xed\xa0\x80").decode()),  # an encoded surrogate
        ("branches", ""),
    ],
    ids=["nul-in-key", "nul-in-staff-key", "bad-uuid-key", "not-base64", "surrogate-in-key", "empty"],
)
async def test_a_malformed_cursor_is_invalid_cursor(client, auditor, root, after):
    headers = (
        as_caller(auditor.head_office_token, "0000") if root == "branches" else as_caller(auditor.token, auditor.branch)
    )
    body = await post(
        client, f"query($a: String) {{ {root}(first: 1, after: $a) {{ edges {{ cursor }} }} }}", {"a": after}, **headers
    )
    assert extensions_of(body["errors"][0]) == {"code": "INVALID_CURSOR", "field": "after"}


async def test_a_cursor_key_with_nul_on_a_nested_connection_is_invalid_cursor(client, auditor):
    opened = await post(
        client,
        'mutation { openAccessReview(input: {name: "cursor"}) { accessReview { id } errors { code } } }',
        **as_caller(auditor.token, auditor.branch),
    )
    review = opened["data"]["openAccessReview"]["accessReview"]["id"]
    body = await post(
        client,
        "query($id: ID!, $a: String) { accessReview(id: $id) { items(first: 1, after: $a) { edges { cursor } } } }",
        {"id": review, "a": _cursor(NUL)},
        **as_caller(auditor.token, auditor.branch),
    )
    assert extensions_of(body["errors"][0]) == {"code": "INVALID_CURSOR", "field": "after"}


REASON = "x" * 501
SUSPEND = (
    "mutation($i: ChangeBranchStatusInput!) { suspendBranch(input: $i) { branch { code } errors { code field } } }"
)


async def test_a_suspension_reason_over_500_characters_is_too_long(client, auditor):
    body = await post(
        client,
        SUSPEND,
        {"i": {"code": auditor.branch, "reason": REASON}},
        **as_caller(auditor.head_office_token, "0000"),
    )
    assert body["data"]["suspendBranch"] == {"branch": None, "errors": [{"code": "TOO_LONG", "field": "reason"}]}


async def test_a_grant_reason_over_500_characters_is_too_long(client, auditor):
    body = await post(
        client,
        "mutation($i: RolePermissionInput!) { grantRolePermission(input: $i) { role errors { code field } } }",
        {"i": {"role": "teller", "permission": "cash:approve", "reason": REASON}},
        **as_caller(auditor.token, auditor.branch),
    )
    assert body["data"]["grantRolePermission"] == {"role": None, "errors": [{"code": "TOO_LONG", "field": "reason"}]}


ONBOARD = """mutation($i: OnboardBranchInput!) { onboardBranch(input: $i) { branch { code } errors { code field } } }"""


def _onboarding(**changes: Any) -> dict[str, Any]:
    head = {"employeeNumber": unique_employee_number("N"), "displayName": "New head"}
    draft = {"code": unique_code(), "name": "New branch", "level": "TIER1_BRANCH", "parentCode": "0000", "head": head}
    return {"i": draft | changes}


async def test_a_300_character_head_email_is_too_long(client, auditor):
    variables = _onboarding()
    variables["i"]["head"]["email"] = "a" * 290 + "@branch.cn"
    body = await post(client, ONBOARD, variables, **as_caller(auditor.head_office_token, "0000"))
    assert body["data"]["onboardBranch"]["errors"] == [{"code": "TOO_LONG", "field": "head.email"}]


async def test_a_10000_character_time_zone_is_not_a_time_zone(client, auditor):
    body = await post(
        client, ONBOARD, _onboarding(timezone="Asia/" + "x" * 9995), **as_caller(auditor.head_office_token, "0000")
    )
    assert body["data"]["onboardBranch"]["errors"] == [{"code": "INVALID_TIMEZONE", "field": "timezone"}]


async def test_a_long_time_zone_reaching_the_service_is_not_a_time_zone(rt, world):
    """The CLI and jobs reach the service without the edge's limit: zoneinfo's OSError is INVALID_TIMEZONE."""
    from branchdesk.tenants import service
    from branchdesk.tenants.errors import INVALID_TIMEZONE

    draft = service.BranchDraft(
        code=unique_code(),
        name="Long zone",
        level=BranchLevel.TIER1_BRANCH,
        parent_code="0000",
        timezone="Asia/" + "x" * 9995,
        head=service.StaffDraft(unique_employee_number("Z"), "Zone head"),
    )
    assert [e.error for e in service.validate_draft(draft)] == [INVALID_TIMEZONE]


# --- dates that UTC cannot hold ---------------------------------------------------------------------


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_a_date_outside_the_representable_range_is_a_typed_error(client, auditor, at):
    literal = await post(
        client,
        f'{{ whoCan(permission: "cash:approve", at: "{at}") {{ via }} }}',
        **as_caller(auditor.token, auditor.branch),
    )
    variable = await post(
        client,
        'query($at: DateTime) { whoCan(permission: "cash:approve", at: $at) { via } }',
        {"at": at},
        **as_caller(auditor.token, auditor.branch),
    )
    for body in (literal, variable):
        assert body["data"] == {"whoCan": None}  # the field is refused; root fields are nullable
        assert extensions_of(body["errors"][0]) == {"code": "DATE_OUT_OF_RANGE", "field": "at"}


async def test_a_date_at_the_edge_of_the_range_still_answers(client, auditor):
    body = await post(
        client,
        '{ whoCan(permission: "cash:approve", at: "9999-12-31T09:59:59-14:00") { via } }',
        **as_caller(auditor.token, auditor.branch),
    )
    assert "errors" not in body, body


async def test_a_valid_onboarding_still_goes_through(client, auditor):
    body = await post(client, ONBOARD, _onboarding(), **as_caller(auditor.head_office_token, "0000"))
    assert body["data"]["onboardBranch"]["errors"] == []
