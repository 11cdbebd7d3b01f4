"""The two servers ``bench/api.py`` starts, each as ``uvicorn --factory --app-dir bench api_servers:<name>``.

``branchdesk_app`` is the service as ``branchdesk serve`` builds it in production (JSON logs, settings
from ``BRANCHDESK_*``). ``raw_app`` is the baseline: Starlette and asyncpg doing by hand, as the same
database role, in one tenant-bound transaction, the work of two queries and answering the same bytes:
``/staff`` that of ``STAFF_QUERY`` and ``/clients`` that of ``CLIENTS_QUERY`` (the customer manager's own
book: the data scope of their ``client:read``; the owner's name only while they are a member, as the
service answers it).
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

STAFF_QUERY = "{ staff(first: 50) { edges { node { id employeeNumber displayName email } } } }"
CLIENTS_QUERY = (
    "{ clients(first: 50) { edges { node { id clientNumber name lifecycle kycStatus tags lastContactAt "
    "owner { displayName } } } } }"
)

STAFF_SQL = """
    select s.id, s.employee_number, s.display_name, s.email
    from staff s join memberships m on m.staff_id = s.id
    where m.tenant_id = $1
    order by s.employee_number
    limit 50
"""
CLIENTS_SQL = """
    select c.id, c.client_number, c.name, c.lifecycle, c.kyc_status, c.tags, c.last_contact_at,
           s.display_name as owner_name
    from clients c
    left join memberships m
      on m.tenant_id = c.tenant_id and m.staff_id = c.owner_id and (m.ends_at is null or m.ends_at > now())
    left join staff s on s.id = m.staff_id
    where c.tenant_id = $1
      and (c.owner_id = $2 or exists (
        select 1 from client_co_owners o where o.tenant_id = c.tenant_id and o.client_id = c.id and o.staff_id = $2))
    order by c.name, c.id
    limit 50
"""


def branchdesk_app() -> Starlette:
    # Imported here so the baseline's process never loads the service (its RSS is the floor).
    from branchdesk.api import create_app
    from branchdesk.platform.logging import configure_logging
    from branchdesk.platform.settings import get_settings

    configure_logging(json=get_settings().is_production)
    return create_app()


def global_id(type_name: str, node_id: object) -> str:
    """Strawberry's relay id: base64 of ``<type name>:<node id>``."""
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def staff_page(rows: list) -> bytes:
    edges = [
        {
            "node": {
                "id": global_id("StaffMember", r["id"]),
                "employeeNumber": r["employee_number"],
                "displayName": r["display_name"],
                "email": r["email"],
            }
        }
        for r in rows
    ]
    # The service's encoder: orjson, compact UTF-8.
    return orjson.dumps({"data": {"staff": {"edges": edges}}})


def client_page(rows: list) -> bytes:
    edges = [
        {
            "node": {
                "id": global_id("Client", r["id"]),
                "clientNumber": r["client_number"],
                "name": r["name"],
                "lifecycle": r["lifecycle"].upper(),  # GraphQL enum values: the stored value in capitals
                "kycStatus": r["kyc_status"].upper(),
                "tags": r["tags"],
                "lastContactAt": r["last_contact_at"],  # orjson writes it as the service does (isoformat)
                "owner": None if r["owner_name"] is None else {"displayName": r["owner_name"]},
            }
        }
        for r in rows
    ]
    return orjson.dumps({"data": {"clients": {"edges": edges}}})


async def _keep_session(conn: object) -> None:
    """No session reset on release: the tenant setting is transaction-local, and SQLAlchemy's pool
    does not reset sessions either, so the baseline should not pay a round trip the service does not."""


def raw_app() -> Starlette:
    import asyncpg

    dsn, branch, tenant_id = os.environ["BENCH_RAW_DSN"], os.environ["BENCH_BRANCH"], os.environ["BENCH_TENANT_ID"]
    reader = os.environ["BENCH_CLIENTS_READER"]  # the signed-in customer manager (their own book)
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

    async def in_branch(request: Request, sql: str, *args: object) -> list | None:
        """The rows of ``sql`` in one tenant-bound transaction; None for another branch."""
        await request.body()  # read like the service does, not parsed: the query is fixed
        if request.headers.get("x-branch") != branch:
            return None
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            await conn.execute("select set_config('app.tenant_id', $1, true)", tenant_id)
            return await conn.fetch(sql, tenant_id, *args)

    async def staff(request: Request) -> Response:
        rows = await in_branch(request, STAFF_SQL)
        if rows is None:
            return PlainTextResponse("unknown branch", status_code=400)
        return Response(staff_page(rows), media_type="application/json")

    async def clients(request: Request) -> Response:
        rows = await in_branch(request, CLIENTS_SQL, reader)
        if rows is None:
            return PlainTextResponse("unknown branch", status_code=400)
        return Response(client_page(rows), media_type="application/json")

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    routes = [
        Route("/staff", staff, methods=["POST"]),
        Route("/clients", clients, methods=["POST"]),
        Route("/healthz", healthz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
