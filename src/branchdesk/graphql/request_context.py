"""The per-request Context of every route, GraphQL or download: one construction, so each accepts the
same tokens (ours, and those of the single sign-on issuers the app trusts)."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from branchdesk.graphql.context import Context


def request_context(connection: HTTPConnection, response: Any = None) -> Context:
    state = connection.app.state
    return Context(connection, state.runtime, response, state.federation)
