"""The per-request Context of every route, GraphQL or download: one construction, so each accepts the
same tokens (ours, and those of the single sign-on issuers the app trusts)."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from branchdesk.graphql.context import Connection, Context


def connection_of(transport: HTTPConnection, response: Response | None = None) -> Connection:
    state = transport.app.state
    return Connection(transport, state.runtime, state.federation, response=response)


def request_context(transport: HTTPConnection) -> Context:
    return Context(connection_of(transport))
