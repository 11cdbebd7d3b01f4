"""Per-request state: who is calling, in which branch, and the request's one database transaction.

Strawberry resolves sibling fields concurrently, so the session is handed out under a lock: one
resolver at a time uses it, and DataLoaders batch what the resolvers ask for.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from branchdesk.platform.database import discard_after_commit, run_after_commit
from branchdesk.platform.errors import DomainError, Unauthenticated
from branchdesk.platform.logging import bind_request
from branchdesk.platform.runtime import Runtime
from branchdesk.rbac.access import Principal
from branchdesk.tenants.access import enter_branch


def _locale(accept_language: str | None) -> str:
    return "zh-CN" if accept_language and accept_language.strip().lower().startswith("zh") else "en"


def _bearer(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Context:
    def __init__(self, connection: HTTPConnection, runtime: Runtime, response: Any = None) -> None:
        self.request = connection
        self.response = response
        self.runtime = runtime
        self.settings = runtime.settings
        self.locale = _locale(connection.headers.get("accept-language"))
        self.request_id = connection.headers.get("x-request-id") or uuid.uuid4().hex
        self.token = _bearer(connection)
        self.branch_code = (connection.headers.get("x-branch") or "").strip() or None
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._principal: Principal | DomainError | None = None
        self._claims: dict[str, Any] | DomainError | None = None
        bind_request(request_id=self.request_id, branch=self.branch_code)

    # --- identity -------------------------------------------------------------------------------

    def claims(self) -> dict[str, Any]:
        """The verified access token's claims (no SQL); Unauthenticated when absent or invalid."""
        if self._claims is None:
            try:
                if self.token is None:
                    raise Unauthenticated()
                self._claims = self.runtime.keys.verify_access_token(self.token)
                bind_request(staff_id=self._claims["sub"])
            except DomainError as exc:
                self._claims = exc
        if isinstance(self._claims, DomainError):
            raise self._claims
        return self._claims

    @property
    def staff_id(self) -> uuid.UUID:
        return uuid.UUID(self.claims()["sub"])

    async def principal(self) -> Principal:
        """The caller acting in the X-Branch branch; resolved once per request, failures included."""
        if self._principal is None:
            try:
                staff_id = self.staff_id
                async with self.session() as session:
                    self._principal = await enter_branch(session, self.runtime.policies, staff_id, self.branch_code)
            except DomainError as exc:
                self._principal = exc
        if isinstance(self._principal, DomainError):
            raise self._principal
        return self._principal

    # --- the request's transaction --------------------------------------------------------------

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            if self._session is None:
                self._session = self.runtime.db.new_session()
                await self._session.begin()
            yield self._session

    async def finish(self, *, commit: bool) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if commit:
                await session.commit()
                await run_after_commit(session)
            else:
                await session.rollback()
        finally:
            discard_after_commit(session)
            await session.close()

    @cached_property
    def loaders(self) -> Any:
        from branchdesk.graphql.loaders import Loaders

        return Loaders(self)
