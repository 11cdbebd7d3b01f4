"""The HTTP service: GraphQL, token keys, health, readiness and metrics."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from branchdesk.graphql.access_reviews.exports import access_review_csv
from branchdesk.graphql.context import Connection, close_at_expiry, identify_once
from branchdesk.graphql.request_context import connection_of
from branchdesk.graphql.schema import build_schema
from branchdesk.oauth import token_endpoint
from branchdesk.platform import metrics, outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import ping
from branchdesk.platform.errors import DomainError
from branchdesk.platform.federation import Federation
from branchdesk.platform.settings import Settings, get_settings
from branchdesk.runtime import Runtime, runtime

log = structlog.get_logger(__name__)
ACCEPTED = UnsetType()  # strawberry's "acknowledge without a payload"


class BranchdeskGraphQL(GraphQL[Connection, None]):
    """Strawberry's ASGI app; each operation gets its own Context from the Connection (RequestLifecycle)."""

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Connection:
        return connection_of(request)

    async def on_ws_connect(self, context: Connection) -> UnsetType | dict[str, object] | None:
        """A WebSocket that presents a token must present a valid one; it is closed when the token
        expires. Each operation on it is still authenticated and authorised on its own."""
        token = context.token
        if token is None:
            return ACCEPTED  # anonymous: public operations only (sign-in)
        try:
            identity = await identify_once(context, token)
        except DomainError as exc:
            raise ConnectionRejectionError() from exc
        close_at_expiry(context, identity.claims.get("exp"))
        return ACCEPTED


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


async def prometheus(request: Request) -> Response:
    return Response(metrics.render(), media_type="text/plain; version=0.0.4")


# A request allocates a few thousand objects; the default first-generation threshold (700) would
# collect several times per request. Everything alive after start-up is frozen out of collections.
GC_THRESHOLDS = (20_000, 20, 20)


def settle_garbage_collector() -> None:
    """After start-up: collect once, move what survived (modules, schema, caches) to the permanent
    generation so later collections do not walk it, and collect less often than the default."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(settings: Settings | None = None, rt: Runtime | None = None, *, seed_demo: bool = False) -> Starlette:
    """The ASGI app. Given a runtime (tests) it uses it; otherwise it builds one at startup."""
    settings = settings or get_settings()
    graphql_app = BranchdeskGraphQL(build_schema(settings), graphql_ide=None if settings.is_production else "graphiql")

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
            Route("/metrics", prometheus),
            Route("/exports/access-reviews/{review_id}.csv", access_review_csv),
        ],
        lifespan=lifespan,
    )
    # Which single sign-on issuers to trust is the app's configuration, like its schema limits.
    app.state.federation = Federation.from_settings(settings)
    if rt is not None:
        app.state.runtime = rt
    return app
