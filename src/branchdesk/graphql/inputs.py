"""Input hygiene at the edge: declared once per input, checked once per field call, before any SQL.

Every String input field and argument has a maximum length, declared with :func:`text` (input fields)
or :func:`text_argument` (arguments) and stated at the end of its description ("At most N
characters."), so front-end teams read it in ``schema.graphql``; a test fails on a String input that
declares none. :func:`guard` wraps, once when the schema is built, the resolver of every field that
takes arguments: before the field's permission check and its resolver, every string is checked
against its limit and for NUL or an unpaired surrogate (which neither PostgreSQL nor UTF-8 can hold),
and every date-time for being expressible in UTC. A failure is a typed error naming the field (its
path inside a mutation's ``input``): in the payload's ``errors`` when the field returns a payload, as
a GraphQL error with ``extensions.code`` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.schema.schema_converter import GraphQLCoreConverter

from branchdesk.graphql.errors import user_errors
from branchdesk.platform.errors import (
    BAD_USER_INPUT,
    DATE_OUT_OF_RANGE,
    TOO_LONG,
    DomainError,
    ErrorCode,
    InvalidInput,
)
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

DEFAULT_MAX_LENGTH = 1000
_LIMIT = "branchdesk.max_length"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # JSON pairs surrogates up, so any left is unpaired
_UNSTORABLE_EN = "it contains a character that cannot be stored (NUL or an unpaired surrogate)."
_UNSTORABLE_ZH = "含有无法保存的字符（NUL 或不成对的代理字符）。"
_SHOWN = 40  # characters of a refused value quoted back in a message


@dataclass(frozen=True)
class Limit:
    max_length: int
    too_long: ErrorCode = TOO_LONG  # a field may name its own refusal (a time zone no zone is that long)


def _describe(description: str | None, limit: Limit, each: bool) -> str:
    stated = f"At most {limit.max_length} characters{' each' if each else ''}."
    return f"{description.rstrip()} {stated}" if description else stated


def text(
    description: str | None = None,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    too_long: ErrorCode = TOO_LONG,
    each: bool = False,
    **field: Any,
) -> Any:
    """A String input field (``each``: a list of them) with its maximum length, stated in the schema."""
    limit = Limit(max_length, too_long)
    return strawberry.field(description=_describe(description, limit, each), metadata={_LIMIT: limit}, **field)


def text_argument(description: str | None = None, *, max_length: int = DEFAULT_MAX_LENGTH) -> Any:
    """A String argument's declaration, for ``Annotated[str, text_argument(...)]``."""
    limit = Limit(max_length)
    return strawberry.argument(description=_describe(description, limit, False), metadata={_LIMIT: limit})


# --- the check ----------------------------------------------------------------------------------------

Path = tuple[str | int, ...]
Check = Callable[[Any, Path, list[DomainError]], None]


def _name(path: Path) -> str:
    """``input.head.email`` → ``head.email``: a mutation's fields are named inside its one input."""
    parts = [str(p) for p in path]
    return ".".join(parts[1:] if parts[0] == "input" and len(parts) > 1 else parts)


def _limit_of(definition: Any) -> Limit:
    metadata = getattr(definition, "metadata", None) or {}
    found: Limit = metadata.get(_LIMIT, Limit(DEFAULT_MAX_LENGTH))
    return found


def _text_check(limit: Limit) -> Check:
    def check(value: Any, path: Path, problems: list[DomainError]) -> None:
        if not isinstance(value, str):
            return
        name = _name(path)
        if len(value) > limit.max_length:
            shown = value[:_SHOWN] + "…"
            problems.append(DomainError(limit.too_long, field=name, name=name, limit=limit.max_length, value=shown))
        elif _UNSTORABLE.search(value):
            problems.append(
                DomainError(BAD_USER_INPUT, field=name, name=name, reason=_UNSTORABLE_EN, reason_zh=_UNSTORABLE_ZH)
            )

    return check


def _moment_check(value: Any, path: Path, problems: list[DomainError]) -> None:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            problems.append(DomainError(DATE_OUT_OF_RANGE, field=_name(path), name=_name(path)))


def _each(inner: Check) -> Check:
    def check(value: Any, path: Path, problems: list[DomainError]) -> None:
        for position, item in enumerate(value or ()):
            inner(item, (*path, position), problems)

    return check


def _fields(checks: dict[str, Check]) -> Check:
    def check(value: Any, path: Path, problems: list[DomainError]) -> None:
        if isinstance(value, dict):
            for name, inner in checks.items():
                if name in value:
                    inner(value[name], (*path, name), problems)

    return check


def _check_for(type_: GraphQLInputType, definition: Any, seen: frozenset[str] = frozenset()) -> Check | None:
    """What to check in a value of ``type_``; None when nothing in it can be refused."""
    if isinstance(type_, GraphQLNonNull):
        return _check_for(type_.of_type, definition, seen)
    if isinstance(type_, GraphQLList):
        inner = _check_for(type_.of_type, definition, seen)
        return _each(inner) if inner is not None else None
    if type_.name == "String":
        return _text_check(_limit_of(definition))
    if type_.name == "DateTime":
        return _moment_check
    if isinstance(type_, GraphQLInputObjectType) and type_.name not in seen:
        checks = {
            name: check
            for name, field in type_.fields.items()
            if (check := _check_for(field.type, _definition(field), seen | {type_.name})) is not None
        }
        return _fields(checks) if checks else None
    return None


def _definition(graphql_object: Any) -> Any:
    return (graphql_object.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)


def _payload_type(field: GraphQLField) -> type | None:
    """The payload class when the field answers with typed ``errors`` (a mutation), else None."""
    named = get_named_type(field.type)
    if isinstance(named, GraphQLObjectType) and "errors" in named.fields:
        origin: type | None = getattr(_definition(named), "origin", None)
        return origin
    return None


def _guarded(field: GraphQLField, checks: dict[str, Check]) -> Callable[..., Any]:
    resolve = field.resolve
    assert resolve is not None
    payload_type = _payload_type(field)

    def guarded(source: Any, info: Any, **args: Any) -> Any:  # graphql-core's GraphQLResolveInfo
        problems: list[DomainError] = []
        for name, check in checks.items():
            if name in args:
                check(args[name], (name,), problems)
        if not problems:
            return resolve(source, info, **args)
        refusal = problems[0] if len(problems) == 1 else InvalidInput(problems)
        if payload_type is None:
            raise refusal
        return payload_type(errors=user_errors(refusal, info.context.locale))

    return guarded


def guard(schema: GraphQLSchema) -> None:
    """Check the arguments of every field that takes any, before its resolver (once per schema)."""
    for type_name, type_ in schema.type_map.items():
        if not isinstance(type_, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field in type_.fields.values():
            checks = {
                name: check
                for name, argument in field.args.items()
                if (check := _check_for(argument.type, _definition(argument))) is not None
            }
            if checks and field.resolve is not None:
                field.resolve = _guarded(field, checks)
