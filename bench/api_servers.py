"""The two servers ``bench/api.py`` starts, each as ``uvicorn --factory --app-dir bench api_servers:<name>``.

``branchdesk_app`` is the service as ``branchdesk serve`` builds it in production (JSON logs, settings
from ``BRANCHDESK_*``). ``raw_app`` is the baseline: Starlette and asyncpg doing the work of
``staff(first: 50) { edges { node { id employeeNumber displayName email } } }`` by hand, as the same
database role, in one tenant-bound transaction, answering the same bytes.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

STAFF_SQL = """
    select s.id, s.employee_number, s.display_name, s.email
    from staff s join memberships m on m.staff_id = s.id
    where m.tenant_id = $1
    order by s.employee_number
    limit 50
"""


def branchdesk_app() -> Starlette:
    # Imported here so the baseline's process never loads the service (its RSS is the floor).
    from branchdesk.api import create_app
    from branchdesk.platform.logging import configure_logging
    from branchdesk.platform.settings import get_settings

    configure_logging(json=get_settings().is_production)
    return create_app()


def global_id(staff_id: object) -> str:
    """Strawberry's relay id: base64 of ``<type name>:<node id>``."""
    return base64.b64encode(f"StaffMember:{staff_id}".encode()).decode()


def staff_page(rows: list) -> bytes:
    edges = [
        {
            "node": {
                "id": global_id(r["id"]),
                "employeeNumber": r["employee_number"],
                "displayName": r["display_name"],
                "email": r["email"],
            }
        }
        for r in rows
    ]
    # The service's encoder: orjson, compact UTF-8.
    return orjson.dumps({"data": {"staff": {"edges": edges}}})


async def _keep_session(conn: object) -> None:
    """No session reset on release: the tenant setting is transaction-local, and SQLAlchemy's pool
    does not reset sessions either, so the baseline should not pay a round trip the service does not."""


def raw_app() -> Starlette:
    import asyncpg

    dsn, branch, tenant_id = os.environ["BENCH_RAW_DSN"], os.environ["BENCH_BRANCH"], os.environ["BENCH_TENANT_ID"]
    # The service's app engine holds up to 10 + 10 overflow connections; the baseline gets as many.
    pool_size = int(os.environ.get("BENCH_RAW_POOL", "20"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Kept like the service's fixed pool: asyncpg's defaults replace a connection after 50,000 queries
        # (a 5-round run reaches that: the last one reopened all 20 mid-run) or 300 s idle.
        app.state.pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=pool_size,
            reset=_keep_session,
            max_queries=float("inf"),
            max_inactive_connection_lifetime=0,
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    async def staff(request: Request) -> Response:
        await request.body()  # read like the service does, not parsed: the query is fixed
        if request.headers.get("x-branch") != branch:
            return PlainTextResponse("unknown branch", status_code=400)
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            await conn.execute("select set_config('app.tenant_id', $1, true)", tenant_id)
            rows = await conn.fetch(STAFF_SQL, tenant_id)
        return Response(staff_page(rows), media_type="application/json")

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/staff", staff, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan)
