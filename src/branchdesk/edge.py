"""What every HTTP request meets before a route runs, and every response carries: a request id, a cap on
the request body, JSON error bodies for refusals at the edge, and the security headers.

Plain ASGI middleware (not Starlette's ``BaseHTTPMiddleware``): it adds no task per request and sees
the body as it arrives, so a body over the cap is refused without being read to its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

from branchdesk.platform.errors import error_body
from branchdesk.platform.logging import request_id_of
from branchdesk.platform.settings import Settings

# Answers that carry tokens or per-user data must never be kept by a browser or a proxy (RFC 6749 §5.1
# requires it of the token endpoint).
NO_STORE_PATHS = frozenset({"/graphql", "/oauth/token"})
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
)
# As they go on the wire (ASGI header names are lower case); Cache-Control replaces the response's own.
SECURITY_HEADERS_RAW = tuple((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS)
SECURITY_HEADERS_NO_STORE = (*SECURITY_HEADERS_RAW, (b"cache-control", b"no-store"))
HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
}


REQUEST_ID_HEADER = "X-Request-Id"
# The HTTP request being answered (set by RequestId), for the error bodies built below it.
CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, *, request_id: str | None = None
) -> JSONResponse:
    """A refusal at the HTTP edge, in the GraphQL-over-HTTP error shape, with a code per status."""
    code = HTTP_CODES.get(status, "HTTP_ERROR")
    return JSONResponse(error_body(message, code, request_id=request_id or CURRENT_REQUEST_ID.get()), status, headers)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path: 404; a method the route does not take: 405) as JSON."""
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.detail, dict(exc.headers or {}))


async def unexpected_exception(request: Request, exc: Exception) -> Response:
    """A failure outside GraphQL (which masks its own): 500 as JSON, masked, with the request id that the
    logs carry. It answers outside the other middleware, so it adds the id's header itself."""
    request_id = request.scope.get("state", {}).get("request_id")
    headers = {REQUEST_ID_HEADER: request_id} if isinstance(request_id, str) else None
    return error_response(500, "Unexpected error.", headers, request_id=request_id)


class RequestId:
    """Every request has an id — the caller's ``X-Request-Id`` when it is a plain token, else a new one —
    that its logs, its errors (``extensions.requestId``) and its response's ``X-Request-Id`` carry: the
    one a user quotes to support. WebSocket handshakes answer with it too.

    Every HTTP response also carries the security headers here: ``nosniff`` and frame denial, and
    ``no-store`` where tokens and personal data go. One middleware for both: each layer costs every
    request a coroutine and each response message a wrapper, and the headers go straight into the
    message's list (Starlette's ``MutableHeaders`` copies it and scans it once per header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = request_id_of(given.decode("latin-1") if given is not None else None)
        scope.setdefault("state", {})["request_id"] = request_id  # read by the GraphQL context (HTTP)
        id_header = (b"x-request-id", request_id.encode())
        added = SECURITY_HEADERS_NO_STORE if scope.get("path") in NO_STORE_PATHS else SECURITY_HEADERS_RAW

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(message.get("headers", ()), id_header, added)
            elif message["type"] == "websocket.accept":
                message = {**message, "headers": [*message.get("headers", []), id_header]}
            await send(message)

        token = CURRENT_REQUEST_ID.set(request_id)
        bound = bind_contextvars(request_id=request_id)  # reset as it was (bound_contextvars reads them all first)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            reset_contextvars(**bound)
            CURRENT_REQUEST_ID.reset(token)


def _with_headers(
    headers: Iterable[tuple[bytes, bytes]], id_header: tuple[bytes, bytes], added: tuple[tuple[bytes, bytes], ...]
) -> list[tuple[bytes, bytes]]:
    """A response's headers with the request id (replacing any), ``Cache-Control: no-store`` when ``added``
    has it (replacing any), and each security header the response did not set itself."""
    replaced = {id_header[0]} | {name for name, _ in added if name == b"cache-control"}
    kept = [(name, value) for name, value in headers if name.lower() not in replaced]
    present = {name.lower() for name, _ in kept}
    return [*kept, id_header, *(h for h in added if h[0] not in present)]


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the body grows past the cap; the middleware answers 413."""


class BodyLimit:
    """Refuse request bodies over ``max_bytes``: at once when Content-Length says so, otherwise as soon
    as the streamed body passes the cap."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await error_response(400, "The Content-Length header is not valid.")(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes."
        await error_response(413, message, {"Connection": "close"})(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None when not declared, -1 when not a number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None


# What a browser app sends (a bearer token, never cookies) and may read back.
CORS_REQUEST_HEADERS = ("Authorization", "X-Branch", "Accept-Language", "X-Request-Id", "Content-Type")
CORS_EXPOSED_HEADERS = ("X-Request-Id", "Retry-After")


def cors(settings: Settings) -> list[Middleware]:
    """Browser access for the allowed origins (``BRANCHDESK_CORS_ORIGINS``): preflights answered on every
    route (/graphql, /oauth/token, the downloads), the request id and Retry-After readable."""
    if not settings.allowed_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=list(CORS_REQUEST_HEADERS),
            expose_headers=list(CORS_EXPOSED_HEADERS),
            max_age=600,
        )
    ]


class JsonTooDeep(ValueError):
    pass


def loads_bounded(data: str | bytes, max_depth: int) -> Any:
    """``json.loads`` for a request: a JSON object (or a list of them, a batch), nested at most
    ``max_depth`` levels. Anything else raises ValueError, whose message can be shown to the caller."""
    try:
        value = json.loads(data)
    except RecursionError as exc:  # nesting deeper than the interpreter's stack
        raise JsonTooDeep(f"The JSON is nested more than {max_depth} levels deep.") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("The request body is not UTF-8.") from exc
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ValueError("The JSON must be an object.")
    if _deeper_than(value, max_depth):
        raise JsonTooDeep(f"The JSON is nested more than {max_depth} levels deep.")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether any container is nested deeper than ``limit``: a walk with a list, not recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
