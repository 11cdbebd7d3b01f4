"""Per-request state: who is calling, in which branch, and the request's one database transaction.

The unit of work starts once, before any resolver runs (:meth:`Context.start`): the token is verified
and, when the request names a branch (X-Branch, or a service account's own), the transaction is bound
to it and the caller's standing checked (:class:`~branchdesk.access.unit_of_work.Gate`). A failure
is kept and raised by the fields that need what failed, so public fields still answer.

Strawberry resolves sibling fields concurrently, so the session is used by one service call at a time
(:meth:`Context.run`); DataLoaders batch what resolvers ask for. A service call runs shielded: when
graphql-core cancels a resolver (a sibling failed), the statement it was running still completes, so
the connection stays usable and the request's commit decides what is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.websockets import WebSocket

from branchdesk.access.identity import Identity, identify
from branchdesk.access.principal import Principal, StaffCard
from branchdesk.platform.database import discard_after_commit, end_transaction, is_disconnect, run_after_commit
from branchdesk.platform.errors import DomainError, Forbidden, Unauthenticated
from branchdesk.platform.events import EndedSessions, EventBus
from branchdesk.platform.federation import Federation
from branchdesk.platform.languages import negotiate
from branchdesk.platform.logging import bind_request, request_id_of
from branchdesk.runtime import Runtime

T = TypeVar("T")
log = structlog.get_logger(__name__)


def _bearer(value: str | None) -> str | None:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class Connection:
    """What a client connected with: an HTTP request, or a WebSocket and the payload of its
    ``connection_init`` (the only place a browser can put a token: ``{"Authorization": "Bearer …",
    "X-Branch": "0101"}``; the upgrade request's headers are read too, for other clients). Every
    operation gets a :class:`Context` of its own from it, so each one is authenticated, enters the
    branch and decides permissions afresh."""

    transport: HTTPConnection
    runtime: Runtime
    federation: Federation = field(default_factory=Federation)
    connection_params: dict[str, Any] | None = None  # set by strawberry on connection_init
    # HTTP only: strawberry copies its status and headers onto the answer.
    response: Response | None = None
    # WebSocket: the token's identity as last verified, and until when it is kept (graphql.live).
    identified: tuple[str, float, Identity] | None = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        for key, value in (self.connection_params or {}).items():
            if key.lower() == name and isinstance(value, str):
                return value
        return self.transport.headers.get(name)

    @property
    def token(self) -> str | None:
        return _bearer(self.header("authorization"))

    def request_id(self) -> str:
        """HTTP: the id the edge gave the request (its X-Request-Id). WebSocket: each operation its own,
        unless the client names one (``X-Request-Id`` in the connection_init payload)."""
        if not self.is_websocket:
            given = self.transport.scope.get("state", {}).get("request_id")
            if isinstance(given, str):
                return given
        return request_id_of(self.header("x-request-id"))

    @property
    def is_websocket(self) -> bool:
        return isinstance(self.transport, WebSocket)

    @property
    def client_address(self) -> str | None:
        return self.transport.client.host if self.transport.client else None


# A subscriber's token is verified when it connects and again at most this often as its events are
# delivered (never past its expiry, when the socket is closed anyway); an ended sign-in closes the socket
# at once (OpenSockets).
REVERIFY_SECONDS = 60.0


async def identify_once(connection: Connection, token: str) -> Identity:
    """The token's identity, checked when a WebSocket connects (each operation checks it again); kept on
    the connection for the events its subscriptions deliver, until it is due again (``graphql.live``)."""
    runtime = connection.runtime
    identity = await identify(token, runtime.keys, connection.federation, lambda: runtime.db.session(None))
    expires = identity.claims.get("exp")
    until = time.time() + REVERIFY_SECONDS
    connection.identified = (token, min(until, expires) if isinstance(expires, int | float) else until, identity)
    return identity


async def enter_once(connection: Connection) -> None:
    """When ``connection_init`` names a branch, the caller must be able to act in it now (a member, the
    branch active): refused at connect time, not only by each operation (which checks it again)."""
    if not (connection.header("x-branch") or "").strip():
        return
    entered = Context(connection)
    try:
        await entered.start()
        entered.principal()
    finally:
        await entered.finish(commit=False)


_WATCHERS: set[asyncio.Task[None]] = set()
TOKEN_EXPIRED = 4401  # graphql-transport-ws: Unauthorized


def close_at_expiry(connection: Connection, expires: object) -> None:
    """Close the WebSocket when its token expires: a client must reconnect with a fresh token."""
    if not isinstance(expires, int | float) or not isinstance(connection.transport, WebSocket):
        return
    websocket = connection.transport

    async def close_when_expired() -> None:
        await asyncio.sleep(max(0.0, expires - time.time()))
        with contextlib.suppress(Exception):  # already closed by the client
            await websocket.close(code=TOKEN_EXPIRED, reason="Token expired")

    watcher = asyncio.create_task(close_when_expired())
    _WATCHERS.add(watcher)
    watcher.add_done_callback(_WATCHERS.discard)


SESSION_ENDED = 4401  # the same close code: the client must sign in again


class OpenSockets:
    """The process's open WebSockets by staff member and sign-in, closed at once when those sessions are
    ended (deactivation, a reset, ``endSession``) in whichever process: one Redis subscription per
    process, started on first use."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._sockets: dict[uuid.UUID, weakref.WeakKeyDictionary[WebSocket, uuid.UUID | None]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def watch(self, staff_id: uuid.UUID, session_id: uuid.UUID | None, websocket: WebSocket) -> None:
        self._sockets.setdefault(staff_id, weakref.WeakKeyDictionary())[websocket] = session_id
        if self._listener is None or self._listener.done():
            self._ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen())
        # Subscribed before the socket is acknowledged, so no end is missed; Redis down delays no one for
        # long (every operation on the socket is refused anyway once the staff member is disabled).
        with contextlib.suppress(TimeoutError):  # asyncio.timeout, not wait_for: 3.11's can lose a cancellation
            async with asyncio.timeout(5):
                await self._ready.wait()

    async def _close(self, ended: EndedSessions) -> None:
        sockets = self._sockets.get(ended.staff_id)
        if sockets is None:
            return
        for websocket, session_id in list(sockets.items()):
            if ended.includes(session_id):
                sockets.pop(websocket, None)
                with contextlib.suppress(Exception):  # already closed by the client
                    await websocket.close(code=SESSION_ENDED, reason="Session ended")
        for idle in [k for k, open_ in self._sockets.items() if not open_]:
            del self._sockets[idle]

    async def _listen(self) -> None:
        while True:
            try:
                async for ended in self.bus.ended_sessions(self._ready):
                    await self._close(ended)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("ended-sessions listener lost its connection; retrying", exc_info=True)
                await asyncio.sleep(0.5)


_OPEN_SOCKETS: weakref.WeakKeyDictionary[EventBus, OpenSockets] = weakref.WeakKeyDictionary()


async def close_when_sessions_end(connection: Connection, identity: Identity) -> None:
    """Close this WebSocket when its session is ended (the person left, was reset, or ended it)."""
    if identity.staff_id is None or not isinstance(connection.transport, WebSocket):
        return
    bus = connection.runtime.events
    sockets = _OPEN_SOCKETS.get(bus)
    if sockets is None:
        sockets = _OPEN_SOCKETS[bus] = OpenSockets(bus)
    await sockets.watch(identity.staff_id, identity.session_id, connection.transport)


class Context:
    """One operation's state: its caller, its branch, its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.runtime = connection.runtime
        self.settings = connection.runtime.settings
        # The external issuers (single sign-on) whose tokens the app accepts besides its own.
        self.federation = connection.federation
        self.locale = negotiate(connection.header("accept-language"))
        self.request_id = connection.request_id()
        self.token = connection.token
        self.branch_code = (connection.header("x-branch") or "").strip() or None
        self._session: AsyncSession | None = None
        self._loaders: Any = None
        self._lock = asyncio.Lock()
        self._calls: set[asyncio.Future[Any]] = set()
        # Seconds to hold the answer back once the transaction has ended (slowing down guessing).
        self.response_delay = 0.0
        not_yet = Unauthenticated()  # one refusal for both until the token is verified (an exception costs)
        self._identity: Identity | DomainError = not_yet
        self._principal: Principal | DomainError = not_yet
        self._started = False
        bind_request(request_id=self.request_id, branch=self.branch_code)

    # --- the unit of work -----------------------------------------------------------------------

    async def start(self) -> None:
        """Authenticate and enter the branch, once per request (twice is a no-op)."""
        if self._started:
            return
        self._started = True
        if self.token is None:
            return
        try:
            self._identity = await identify(self.token, self.runtime.keys, self.federation, self._platform_scope)
        except DomainError as exc:
            self._identity = self._principal = exc
            return
        if self._identity.staff_id is not None:
            bind_request(staff_id=str(self._identity.staff_id))
        try:
            try:
                self._principal = await self.runtime.gate.enter(await self._open(), self._identity, self.branch_code)
            except DBAPIError as exc:
                if not is_disconnect(exc):
                    raise
                # The pooled connection was dropped (server restart, idle kill): nothing has run yet.
                await self._discard()
                self._principal = await self.runtime.gate.enter(await self._open(), self._identity, self.branch_code)
        except DomainError as exc:
            self._principal = exc

    @property
    def caller_key(self) -> str:
        """Whom a per-caller limit counts: the staff member or service account, else the address."""
        identity = self._identity
        if isinstance(identity, Identity):
            return f"staff:{identity.staff_id}" if identity.staff_id else f"service:{identity.service_account_id}"
        return f"address:{self.connection.client_address}"

    def identity(self) -> Identity:
        """Who presented the token; Unauthenticated when absent or invalid."""
        if isinstance(self._identity, DomainError):
            raise self._identity
        return self._identity

    @property
    def staff_id(self) -> uuid.UUID:
        """The signed-in staff member; Forbidden for a service account (it is not a member of staff)."""
        staff_id = self.identity().staff_id
        if staff_id is None:
            raise Forbidden("signed-in")
        return staff_id

    def principal(self) -> Principal:
        """Who acts in the request's branch; the reason they cannot, when they cannot."""
        if isinstance(self._principal, DomainError):
            raise self._principal
        return self._principal

    def entered_card(self) -> StaffCard | None:
        """The caller's own name and number as entering the branch read them; None when none was entered."""
        principal = self._principal
        return principal.card if isinstance(principal, Principal) else None

    def refuse_for(self, retry_after: int) -> None:
        """Over HTTP, answer 429 with Retry-After (the payload still says why, for every transport)."""
        response = self.connection.response
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)

    async def call(self, service: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``service(session, principal, *args)``: a service call in the request's branch, as its caller."""
        principal = self.principal()
        return await self.run(lambda session: service(session, principal, *args))

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``work(session)`` on the request's transaction, one at a time, shielded from cancellation."""

        async def exclusive() -> T:
            async with self._lock:
                return await work(await self._open())

        call = self.runtime.loop.create_task(exclusive(), name="branchdesk.call")  # unnamed, it formats one
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)
        return await asyncio.shield(call)

    async def _open(self) -> AsyncSession:
        if self._session is None:
            self._session = await self.runtime.db.request_session()
        return self._session

    @asynccontextmanager
    async def _platform_scope(self) -> AsyncIterator[AsyncSession]:
        yield await self._open()  # identities (staff) are platform tables: readable before a branch is bound

    async def _discard(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await end_transaction(session, commit=False)

    async def finish(self, *, commit: bool) -> None:
        """End the transaction once every service call has returned (cancelled resolvers included)."""
        if self._calls:
            await asyncio.gather(*self._calls, return_exceptions=True)
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await end_transaction(session, commit=commit)
            if commit:
                await run_after_commit(session)
        finally:
            discard_after_commit(session)

    @property
    def loaders(self) -> Any:
        """The request's DataLoaders, made when first used (not ``cached_property``, which on Python 3.11
        takes a lock to do it: measurable in ``node(id:)``'s instructions)."""
        loaders = self._loaders
        if loaders is None:
            from branchdesk.graphql.loaders import Loaders

            loaders = self._loaders = Loaders(self)
        return loaders
