"""The HTTP service: GraphQL, token keys, health, readiness and metrics."""

from __future__ import annotations

import functools
import gc
import hmac
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import orjson
import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.schema import BaseSchema, Schema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from branchdesk.edge import (
    CURRENT_REQUEST_ID,
    BodyLimit,
    RequestId,
    cors,
    error_response,
    http_exception,
    loads_bounded,
    unexpected_exception,
)
from branchdesk.graphql import persisted_queries
from branchdesk.graphql.access_reviews.exports import access_review_csv
from branchdesk.graphql.care.feeds import care_calendar_feed
from branchdesk.graphql.context import (
    Connection,
    close_at_expiry,
    close_when_sessions_end,
    enter_once,
    identify_once,
)
from branchdesk.graphql.request_context import connection_of
from branchdesk.graphql.schema import build_schema
from branchdesk.oauth import token_endpoint
from branchdesk.platform import metrics, outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import ping
from branchdesk.platform.errors import (
    BAD_USER_INPUT,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_SUPPORTED,
    DomainError,
    ErrorCode,
)
from branchdesk.platform.federation import Federation
from branchdesk.platform.languages import negotiate
from branchdesk.platform.settings import Settings, get_settings
from branchdesk.runtime import Runtime, runtime
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

log = structlog.get_logger(__name__)
ACCEPTED = UnsetType()  # strawberry's "acknowledge without a payload"


def refusal_error(
    code: ErrorCode, locale: str, request_id: str | None, *, field: str | None = None, **params: str
) -> GraphQLError:
    """An error of a request refused before it reached the schema, coded and translated like the rest."""
    extensions = {"code": code.code, "requestId": request_id, **({"field": field} if field else {})}
    return GraphQLError(code.render(locale, **params), extensions=extensions)


class GraphQLTransportWS(BaseGraphQLTransportWSHandler[Connection, None]):
    """graphql-transport-ws with Apollo's automatic persisted queries, as over HTTP: a ``subscribe``
    message whose ``extensions.persistedQuery`` names a hash, with its query (checked, kept once it
    validates) or without one (``query`` left out or empty: read from Redis). A refusal is an ``error``
    message for that operation; the socket and its other operations go on."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload: Any = message.get("payload")
        if self.connection_acknowledged and self.context.token is None and _subscribes(payload):
            # An anonymous socket serves public operations (sign-in); a subscription is never public.
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        if not self.connection_acknowledged or not isinstance(payload, dict) or message.get("id") in self.operations:
            await super().handle_subscribe(message)  # strawberry's own refusals close the socket
            return
        try:
            sha = persisted_queries.requested_hash(payload.get("extensions"))
            query = payload.get("query")
            if sha is not None and isinstance(query, str) and query:
                persisted_queries.check(sha, query)
        except persisted_queries.Unsupported:
            await self._refuse(message["id"], PERSISTED_QUERY_NOT_SUPPORTED)
            return
        except persisted_queries.Refused as exc:
            field = "extensions.persistedQuery"
            await self._refuse(
                message["id"], BAD_USER_INPUT, field=field, name=field, reason=str(exc), reason_zh=exc.zh
            )
            return
        if sha is None or not isinstance(query, str | None):
            await super().handle_subscribe(message)
            return
        if not query:  # the hash alone
            found = await persisted_queries.look_up(self.context.runtime.redis, sha)
            if found is None:
                await self._refuse(message["id"], PERSISTED_QUERY_NOT_FOUND)
                return
            payload["query"] = found
            await super().handle_subscribe(message)
            return
        kept = persisted_queries.TO_KEEP.set((sha, query))  # copied into the operation's task
        try:
            await super().handle_subscribe(message)
        finally:
            persisted_queries.TO_KEEP.reset(kept)

    async def _refuse(self, operation_id: str, code: ErrorCode, *, field: str | None = None, **params: str) -> None:
        locale = negotiate(self.context.header("accept-language"))
        error = refusal_error(code, locale, self.context.request_id(), field=field, **params)
        await self.send_message({"id": operation_id, "type": "error", "payload": [error.formatted]})


def _subscribes(payload: object) -> bool:
    """The subscribe message's document holds a subscription operation."""
    query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        return False
    try:
        document = parse(query, max_tokens=2_000)
    except GraphQLError:
        return False  # the operation itself reports the syntax error
    return any(
        isinstance(d, OperationDefinitionNode) and d.operation is OperationType.SUBSCRIPTION
        for d in document.definitions
    )


ENCODED_ANSWERS = 64


class BranchdeskGraphQL(GraphQL[Connection, None]):
    """Strawberry's ASGI app; each operation gets its own Context from the Connection (RequestLifecycle)."""

    graphql_transport_ws_handler_class = GraphQLTransportWS

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Connection:
        return connection_of(request, response if isinstance(response, Response) else None)

    async def on_ws_connect(self, context: Connection) -> UnsetType | dict[str, object] | None:
        """A WebSocket that presents a token must present a valid one, and the branch it names (X-Branch)
        must be one the caller may act in now; otherwise it is closed with 4403. It is closed with 4401
        when the token expires. Each operation on it is still authenticated and authorised on its own."""
        token = context.token
        if token is None:
            return ACCEPTED  # anonymous: public operations only (sign-in)
        try:
            identity = await identify_once(context, token)
        except DomainError as exc:
            raise ConnectionRejectionError() from exc
        try:
            await enter_once(context)  # a branch named in connection_init must be one the caller may act in
        except DomainError as exc:
            raise ConnectionRejectionError() from exc
        close_at_expiry(context, identity.claims.get("exp"))
        await close_when_sessions_end(context, identity)
        return ACCEPTED

    def __init__(self, schema: BaseSchema, *, max_json_depth: int, **options: Any) -> None:
        super().__init__(schema, **options)
        self.max_json_depth = max_json_depth
        self.warm_up: WarmUp | None = None  # a server's own process (create_app without a runtime)
        # The latest events' answers as JSON, by the answer object (kept with it, so its id is not reused).
        self._encoded_answers: OrderedDict[int, tuple[object, str]] = OrderedDict()

    def encode_json(self, data: object) -> str | bytes:
        """Answers as compact UTF-8 JSON (orjson: a tenth of the standard library's time on a 50-row page);
        a subscription event's answer shared by many subscribers (one object, see ``graphql.completion``)
        is encoded once, and each subscriber's message wraps the same text."""
        if isinstance(data, dict) and data.get("type") == "next" and isinstance(payload := data.get("payload"), dict):
            answer = payload.get("data")
            if payload.keys() == {"data"} and isinstance(answer, dict) and data.keys() == {"id", "type", "payload"}:
                kept = self._encoded_answers.get(id(answer))
                if kept is None or kept[0] is not answer:
                    kept = self._encoded_answers[id(answer)] = (answer, orjson.dumps(answer).decode())
                    if len(self._encoded_answers) > ENCODED_ANSWERS:
                        self._encoded_answers.popitem(last=False)
                return f'{{"id":{orjson.dumps(data["id"]).decode()},"type":"next","payload":{{"data":{kept[1]}}}}}'
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self._answer_json_post(request) or await self.run(request)
        except HTTPException as exc:  # strawberry answers these in plain text
            response = error_response(exc.status_code, exc.reason)
        await response(scope, receive, send)
        if self.warm_up is not None:
            self.warm_up.answered()

    async def _answer_json_post(self, request: Request) -> Response | None:
        """The usual request, one operation POSTed as JSON with no streamed answer asked for, answered the
        way strawberry's ``run`` answers it, without its general dispatch: content-type parsing, the checks
        for WebSockets, the IDE, batches, streaming transports and subscription results, a runtime check
        against a Protocol. Anything else (GET, a batch, a body strawberry refuses, an ``Accept`` a
        streaming transport takes) is None here and goes through ``run``, which reads the same body."""
        if request.method != "POST":
            return None
        content_type = accept = b""
        for name, value in request.scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"accept":
                accept = value
        if b"application/json" not in content_type:
            return None
        if any(transport.accepts(accept.decode("latin-1")) for transport in self._stream_transport_map.values()):
            return None
        data = self.decode_json(await request.body())  # its refusals are strawberry's (400)
        if not isinstance(data, dict):
            return None
        query, variables, extensions = data.get("query"), data.get("variables"), data.get("extensions")
        if not (
            isinstance(query, str | None) and isinstance(variables, dict | None) and isinstance(extensions, dict | None)
        ):
            return None
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, sub_response)
        request_data = GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
            protocol="http",
        )
        adapter = self.request_adapter_class(request)
        result = await self.execute_single(request, adapter, sub_response, context, None, request_data)
        answer = await self.process_result(request, result)
        return self.create_response(answer, sub_response)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Connection,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Strawberry's execution, behind Apollo's automatic persisted queries (a hash for a known query)."""
        run = functools.partial(
            super().execute_single, request, request_adapter, sub_response, context, root_value, request_data
        )
        try:
            sha = persisted_queries.requested_hash(request_data.extensions)
        except persisted_queries.Unsupported:
            return _refusal(PERSISTED_QUERY_NOT_SUPPORTED, request)
        except persisted_queries.Refused as exc:
            raise HTTPException(400, str(exc)) from exc
        if sha is None:
            return await run()
        if request_data.query is None:
            request_data.query = await persisted_queries.look_up(context.runtime.redis, sha)
            return await run() if request_data.query is not None else _refusal(PERSISTED_QUERY_NOT_FOUND, request)
        try:
            persisted_queries.check(sha, request_data.query)
        except persisted_queries.Refused as exc:
            raise HTTPException(400, str(exc)) from exc
        kept = persisted_queries.TO_KEEP.set((sha, request_data.query))  # once it validates
        try:
            return await run()
        finally:
            persisted_queries.TO_KEEP.reset(kept)

    def decode_json(self, data: str | bytes) -> object:
        """A body that is not a JSON object (``"x"``, ``5``, ``null``) or is nested too deeply is the
        caller's mistake (400), not a failure of ours."""
        try:
            return loads_bounded(data, self.max_json_depth)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc


def _refusal(code: ErrorCode, request: Request) -> ExecutionResult:
    """An answer given before execution, in the shape the client's link expects (HTTP 200)."""
    error = refusal_error(code, negotiate(request.headers.get("accept-language")), CURRENT_REQUEST_ID.get())
    return ExecutionResult(data=None, errors=[error])


async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        async with rt.db.session(None) as session:
            await ping(session)
        checks["postgres"] = "ok"
    except Exception as exc:  # readiness reports, it does not raise
        checks["postgres"] = f"error: {type(exc).__name__}"
    try:
        await rt.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


async def jobs_health(request: Request) -> JSONResponse:
    """The job queue's health, apart from the servers' (/readyz): stuck when the oldest pending outbox row
    waits longer than ``jobs_stuck_after_seconds`` (no worker, a relay that cannot send, a job that never
    finishes)."""
    rt: Runtime = request.app.state.runtime
    found = await outbox.observe_backlog(rt.db)
    age = found.oldest_pending_age(utcnow())
    limit = rt.settings.jobs_stuck_after_seconds
    body = {"stuck": age > limit, "pending": found.pending, "oldest_pending_seconds": round(age, 1), "limit": limit}
    return JSONResponse(body, status_code=503 if body["stuck"] else 200)


def metrics_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """``/metrics`` for whoever holds ``BRANCHDESK_METRICS_TOKEN`` (as a bearer token); without one
    configured, open in development and not served in production."""
    token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None

    async def prometheus(request: Request) -> Response:
        if token is None and settings.is_production:
            return error_response(404, "Not Found")
        if token is not None:
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token):
                return error_response(401, "A valid metrics token is required.", {"WWW-Authenticate": "Bearer"})
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    return prometheus


def root_field_names(schema: Schema) -> set[str]:
    """The names of the schema's root fields: the bounded set of operation names that metrics label."""
    graphql_schema = schema._schema  # strawberry's graphql-core schema; it offers no public accessor
    roots = (graphql_schema.query_type, graphql_schema.mutation_type, graphql_schema.subscription_type)
    return {name for root in roots if root is not None for name in root.fields}


# Measured in-process under bench/api.py's staff load (32 concurrent requests, 3 x 3,000), since a request
# leaves no reference cycles (tests/graphql/test_request_garbage.py): what a collection walks is the
# requests in flight, and most objects die by reference counting before a young generation fills.
# (1000, 5, 5): 619 collections, 974 ms of pauses in all (~4 % of the CPU), the longest 4.3 ms;
# (3000, 10, 10): 34 collections, 64 ms in all, the longest 6.8 ms. (While each request left ~50 objects in
# cycles, (3000, 10, 10) paused up to 50 ms a full collection, and (1000, 5, 5) was the compromise.)
# Everything alive after start-up is frozen out of collections, and again after the first FREEZE_AFTER
# answers: what they built to last (compiled statements, parsed and validated documents, statements
# prepared on the pooled connections, the plans of each operation) leaves the collected generations.
# Once is not enough: 2,000 answers are often one operation's, and what the next ones build stayed in the
# oldest generation, which every full collection walked (measured in bench/api.py on a slow machine: a full
# collection walked 6,913 such objects beside 10,391 young ones, 25.9 ms; the target is 20 ms). A few
# times only, further and further apart: whatever is frozen and later becomes cyclic garbage stays.
GC_THRESHOLDS = (3_000, 10, 10)
FREEZE_AFTER = (2_000, 20_000, 200_000)


def settle_garbage_collector() -> None:
    """After start-up: collect once, move what survived (modules, schema, caches) to the permanent
    generation so later collections do not walk it, and collect in short steps (GC_THRESHOLDS)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    if metrics.observe_gc not in gc.callbacks:
        gc.callbacks.append(metrics.observe_gc)  # pauses are measured under load (bench/api.py reads them)


class WarmUp:
    """Freezes once more after each of the first answer counts given (FREEZE_AFTER): what the requests so
    far built to last leaves the collected generations, so full collections walk only what is new."""

    def __init__(self, freeze_after: tuple[int, ...]) -> None:
        self.answers = 0
        self.freezes = iter(sorted(freeze_after))
        self.next_freeze: int | None = next(self.freezes, None)

    def answered(self) -> None:
        if self.next_freeze is None:
            return
        self.answers += 1
        if self.answers == self.next_freeze:
            gc.freeze()
            self.next_freeze = next(self.freezes, None)


def create_app(
    settings: Settings | None = None,
    rt: Runtime | None = None,
    *,
    seed_demo: bool = False,
    compiled_completion: bool = True,
) -> Starlette:
    """The ASGI app. Given a runtime (tests) it uses it; otherwise it builds one at startup.
    ``compiled_completion=False``: graphql-core completes every field (tests compare the two)."""
    settings = settings or get_settings()
    schema = build_schema(settings, compiled_completion=compiled_completion)
    metrics.OPERATIONS.allow_root_fields(root_field_names(schema))
    metrics.OPERATIONS.allow(settings.metrics_operations)
    graphql_app = BranchdeskGraphQL(
        schema,
        graphql_ide=None if settings.is_production else "graphiql",
        max_json_depth=settings.http_max_json_depth,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            current = (
                rt
                if rt is not None
                else await stack.enter_async_context(runtime(settings, run_migrations=not settings.is_production))
            )
            app.state.runtime = current
            if seed_demo:
                from branchdesk.demo import seed

                await seed(current)
            if rt is None:
                settle_garbage_collector()
                graphql_app.warm_up = WarmUp(FREEZE_AFTER)
            if rt is None and settings.run_worker_in_process:
                from branchdesk.jobs.worker import InProcessWorker

                worker = InProcessWorker(current)
                stack.push_async_callback(worker.stop)
            yield

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/.well-known/jwks.json", jwks),
            Route("/oauth/token", token_endpoint, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/healthz/jobs", jobs_health),
            Route("/metrics", metrics_endpoint(settings)),
            Route("/exports/access-reviews/{review_id}.csv", access_review_csv),
            Route("/care/feeds/{branch_id}/{staff_id}.ics", care_calendar_feed),
        ],
        middleware=[
            Middleware(RequestId),
            *cors(settings),
            Middleware(BodyLimit, max_bytes=settings.http_max_body_bytes),
        ],
        lifespan=lifespan,
        exception_handlers={StarletteHTTPException: http_exception, Exception: unexpected_exception},
    )
    # Which single sign-on issuers to trust is the app's configuration, like its schema limits.
    app.state.federation = Federation.from_settings(settings)
    if rt is not None:
        app.state.runtime = rt
    return app
