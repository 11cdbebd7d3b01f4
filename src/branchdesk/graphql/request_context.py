"""The per-request Context of every route, GraphQL or download: one construction, so each accepts the
same tokens (ours, and those of the single sign-on issuers the app trusts)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from branchdesk.graphql.context import Context


def request_context(connection: HTTPConnection) -> Context:
    state = connection.app.state
    return Context(connection, state.runtime, state.federation)
