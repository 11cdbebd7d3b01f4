"""Typed errors for mutation payloads, and the request lifecycle that ends the transaction.

Expected failures (:class:`DomainError`) become ``errors { code field message }`` in a payload, or a
GraphQL error with ``extensions.code`` outside mutations. Anything else is logged and masked.
"""

from __future__ import annotations

import asyncio
import enum
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import strawberry
import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql.context import Connection, Context
from branchdesk.platform import metrics
from branchdesk.platform.errors import (
    CODES,
    INTERNAL_ERROR,
    VALIDATION_FAILED,
    DomainError,
    InvalidInput,
    RateLimited,
)
from graphql import GraphQLError

log = structlog.get_logger(__name__)
T = TypeVar("T")
P = TypeVar("P")


def _error_code_enum() -> type[enum.Enum]:
    """Every code the platform, the access layer and the domains declare (``errors.py`` of each), with
    its English and Chinese message; a front-end can switch on them exhaustively."""
    members = {
        code: strawberry.enum_value(code, description=f"{declared.en} / {declared.zh}")
        for code, declared in sorted(CODES.items())
    }
    codes: type[enum.Enum] = enum.Enum("ErrorCode", members)  # type: ignore[misc]
    return strawberry.enum(
        codes,
        description="A stable error code: `UserError.code` in payloads and `extensions.code` of GraphQL errors. "
        "Each value's description is its message (English / 中文; `{…}` are filled in).",
    )


ErrorCode = _error_code_enum()


@strawberry.type(description="An expected failure of a mutation: a stable code, the input field at fault, a message.")
class UserError:
    code: ErrorCode  # type: ignore[valid-type]
    field: str | None
    message: str


def user_errors(exc: DomainError, locale: str) -> list[UserError]:
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
    return [UserError(code=e.code, field=e.field, message=e.message(locale)) for e in errors]


def payload(cls: type[P] | None = None, *, description: str | None = None) -> Any:
    """A mutation's payload type: its own fields, then ``errors`` (empty on success)."""

    def build(cls: type[P]) -> type[P]:
        cls.__annotations__["errors"] = list[UserError]
        cls.errors = strawberry.field(default_factory=list)  # type: ignore[attr-defined]
        return strawberry.type(cls, description=description)

    return build(cls) if cls is not None else build


def answer(payload_type: type[P], errors: list[UserError], **fields: Any) -> P:
    """A payload with its fields and ``errors``, which :func:`payload` adds where a type checker cannot see it."""
    return payload_type(**fields, errors=errors)  # type: ignore[call-arg]


async def run_mutation(info: Info, action: Callable[[AsyncSession], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run a mutation's service call in a savepoint: on an expected failure nothing it wrote remains."""
    ctx = info.context

    async def in_savepoint(session: AsyncSession) -> tuple[T | None, list[UserError]]:
        pending = list(session.info.get("after_commit", []))
        savepoint = await session.begin_nested()
        try:
            result = await action(session)
        except DomainError as exc:
            ctx.response_delay = max(ctx.response_delay, exc.delay)
            if isinstance(exc, RateLimited):
                ctx.refuse_for(exc.retry_after)
            if exc.keep_changes:
                await savepoint.commit()
            else:
                await savepoint.rollback()
                session.info["after_commit"] = pending  # what the rolled-back work meant to announce
            return None, user_errors(exc, ctx.locale)
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()
        return result, []

    outcome: tuple[T | None, list[UserError]] = await ctx.run(in_savepoint)
    return outcome


async def mutate(
    info: Info, payload_type: type[P], action: Callable[[AsyncSession, Principal], Awaitable[dict[str, Any]]]
) -> P:
    """The one mutation runner: ``action`` gets the session and the acting principal and returns the
    payload's fields; an expected failure returns the payload with ``errors`` instead."""
    principal = info.context.principal()
    fields, errors = await run_mutation(info, lambda session: action(session, principal))
    return payload_type(**fields) if fields is not None else payload_type(errors=errors)  # type: ignore[call-arg]


class RequestLifecycle(SchemaExtension):
    """One operation, on every transport: a Context of its own, the unit of work started before any
    resolver, and — before the answer leaves, over HTTP and WebSocket alike — the transaction ended
    (committed unless something unexpected failed), errors presented (codes, translation, masking),
    data cleared when nothing committed, and a deliberate delay served. Then the operation is counted.

    A request whose work was rolled back returns no data: what it read or wrote did not happen (its
    audit records included), so it must not be shown.
    """

    def __init__(self, *, hide_schema: bool = False) -> None:
        super().__init__()
        self.hide_schema = hide_schema  # production: no hints that name what the schema holds
        self._concluded = False
        self._unexpected: list[GraphQLError] = []
        self._rejected = False

    async def on_operation(self) -> AsyncIterator[None]:
        started = time.perf_counter()
        given = self.execution_context.context
        self.execution_context.context = Context(given) if isinstance(given, Connection) else given
        try:
            yield
        finally:
            await self._conclude(self.execution_context.result)  # when the operation never executed
        operation = metrics.operation_label(self.execution_context.operation_name)
        outcome = "error" if self._unexpected else ("rejected" if self._rejected else "ok")
        metrics.graphql_requests.labels(operation, outcome).inc()
        metrics.graphql_latency.labels(operation).observe(time.perf_counter() - started)

    async def on_execute(self) -> AsyncIterator[None]:
        """After validation, before any resolver: the operation's unit of work starts."""
        await self.execution_context.context.start()
        try:
            yield
        finally:
            await self._conclude(self.execution_context.result)

    async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
        """Streaming transports send each result as soon as this hook yields: conclude first. A
        subscription's transaction ended when it started; each of its events is presented alike."""
        if self._concluded:
            self._present_event(result)
        else:
            await self._conclude(result)
        yield

    def _present_event(self, result: Any) -> None:
        errors = list(getattr(result, "errors", None) or [])
        if not errors:
            return
        unexpected = [
            e for e in errors if e.original_error is not None and not isinstance(e.original_error, DomainError)
        ]
        for error in unexpected:
            log.error("unexpected error", exc_info=error.original_error, path=error.path)
        if unexpected:
            result.data = None
        result.errors = [_present(e, self.execution_context.context, hide_schema=self.hide_schema) for e in errors]
        self._unexpected, self._rejected = self._unexpected + unexpected, True

    async def _conclude(self, result: Any) -> None:
        if self._concluded:
            return
        self._concluded = True
        ctx: Context = self.execution_context.context
        errors = list(getattr(result, "errors", None) or [])
        unexpected = [
            e for e in errors if e.original_error is not None and not isinstance(e.original_error, DomainError)
        ]
        committed = False
        try:
            await ctx.finish(commit=not unexpected and result is not None)
            committed = not unexpected and result is not None
        except Exception as exc:  # a failed commit is the request's failure
            log.exception("commit failed")
            unexpected.append(GraphQLError("commit failed", original_error=exc))
            errors.append(unexpected[-1])
        if result is not None:
            if not committed and getattr(result, "data", None) is not None:
                result.data = None
            if errors:
                result.errors = [_present(e, ctx, hide_schema=self.hide_schema) for e in errors]
        for error in unexpected:
            log.error("unexpected error", exc_info=error.original_error, path=error.path)
        self._unexpected, self._rejected = unexpected, bool(errors)
        if ctx.response_delay:
            await asyncio.sleep(ctx.response_delay)


# graphql-core's validation messages name fields, arguments, types and values that exist ("Did you
# mean …?", "required field …"): in production they would let anyone rebuild the schema that
# introspection hides. Only messages about the request itself (syntax, our limits) are kept there.
_ABOUT_THE_REQUEST = re.compile(r"Syntax Error|maximum operation depth|aliases|tokens|introspection")


def _hide_schema(message: str, locale: str) -> str:
    return message if _ABOUT_THE_REQUEST.search(message) else VALIDATION_FAILED.render(locale)


def _present(error: GraphQLError, ctx: Context, *, hide_schema: bool = False) -> GraphQLError:
    """The error as the client sees it: a code, a message in its language, and the request id to quote."""
    locale = ctx.locale
    original = error.original_error
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message(locale),
            nodes=error.nodes,
            path=error.path,
            original_error=original,
            extensions={"code": original.code, "field": original.field, "requestId": ctx.request_id},
        )
    if original is None:
        extensions = {"code": VALIDATION_FAILED.code, **(error.extensions or {}), "requestId": ctx.request_id}
        message = _hide_schema(error.message, locale) if hide_schema else error.message
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)
    return GraphQLError(
        INTERNAL_ERROR.render(locale),
        nodes=error.nodes,
        path=error.path,
        extensions={"code": INTERNAL_ERROR.code, "requestId": ctx.request_id},
    )
