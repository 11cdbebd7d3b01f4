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
from branchdesk.platform.federation import Federation
from branchdesk.platform.logging import bind_request
from branchdesk.platform.runtime import Runtime
from branchdesk.rbac.access import Principal
from branchdesk.rbac.accounts import enter_as_service
from branchdesk.tenants.access import enter_branch
from branchdesk.tenants.identity import Caller, identify


def _locale(accept_language: str | None) -> str:
    return "zh-CN" if accept_language and accept_language.strip().lower().startswith("zh") else "en"


def _bearer(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Context:
    def __init__(
        self, connection: HTTPConnection, runtime: Runtime, response: Any = None, federation: Federation | None = None
    ) -> None:
        self.request = connection
        self.response = response
        self.runtime = runtime
        self.settings = runtime.settings
        # The external issuers (single sign-on) whose tokens the app accepts besides its own.
        self.federation = federation or Federation()
        self.locale = _locale(connection.headers.get("accept-language"))
        self.request_id = connection.headers.get("x-request-id") or uuid.uuid4().hex
        self.token = _bearer(connection)
        self.branch_code = (connection.headers.get("x-branch") or "").strip() or None
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._identity_lock = asyncio.Lock()
        self._branch_lock = asyncio.Lock()
        # Seconds to hold the answer back once the transaction has ended (slowing down guessing).
        self.response_delay = 0.0
        self._principal: Principal | DomainError | None = None
        self._caller: Caller | DomainError | None = None
        bind_request(request_id=self.request_id, branch=self.branch_code)

    # --- identity -------------------------------------------------------------------------------

    async def caller(self) -> Caller:
        """Who presented the token (staff, ours or single sign-on, or a service account); resolved once
        per request, failures included; Unauthenticated when absent or invalid."""
        async with self._identity_lock:  # concurrent resolvers wait for the one lookup, not repeat it
            if self._caller is None:
                try:
                    self._caller = await identify(self.token, self.runtime.keys, self.federation, self.session)
                    if self._caller.staff_id is not None:
                        bind_request(staff_id=str(self._caller.staff_id))
                except DomainError as exc:
                    self._caller = exc
        if isinstance(self._caller, DomainError):
            raise self._caller
        return self._caller

    def claims(self) -> dict[str, Any]:
        """The verified token's claims, once :meth:`caller` has run (every declared field awaits it)."""
        return self._known_caller().claims

    @property
    def staff_id(self) -> uuid.UUID:
        """The signed-in staff member, once :meth:`caller` has run; Unauthenticated for a service account."""
        caller = self._known_caller()
        if caller.staff_id is None:
            raise Unauthenticated()
        return caller.staff_id

    def _known_caller(self) -> Caller:
        if self._caller is None:
            raise RuntimeError("await Context.caller() before reading the caller")
        if isinstance(self._caller, DomainError):
            raise self._caller
        return self._caller

    async def principal(self) -> Principal:
        """The caller acting in the X-Branch branch; resolved once per request, failures included."""
        caller = await self.caller() if self._principal is None else None
        async with self._branch_lock:
            if self._principal is None and caller is not None:
                try:
                    async with self.session() as session:
                        if caller.service_account_id is not None:
                            self._principal = await enter_as_service(
                                session, self.runtime.policies, caller.service_account_id,
                                caller.service_branch or "", self.branch_code, caller.scope or frozenset(),
                            )
                        else:
                            self._principal = await enter_branch(
                                session, self.runtime.policies, self.staff_id, self.branch_code
                            )
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
