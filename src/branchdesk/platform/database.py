"""Engines and sessions.

Three PostgreSQL roles of the deployment's own (:class:`DatabaseRoles`, created by
:func:`branchdesk.platform.roles.bootstrap_roles`):

* the owner runs migrations and owns every table;
* the application role serves requests and jobs; row-level security confines it to the branch set
  with ``app.tenant_id`` in the current transaction;
* the platform role reads across branches (head-office views, the outbox relay); it has BYPASSRLS and
  is never used on a request's tenant-bound path.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, NoReturn, TypeVar

import structlog
from sqlalchemy import CursorResult, DateTime, Executable, MetaData, Row, Select, Table, Uuid, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, MissingGreenlet
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, Session, mapped_column
from sqlalchemy.orm.util import AliasedInsp
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, QueuePool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_, greenlet_spawn, is_exit_exception
from sqlalchemy.util.queue import Empty, Full, QueueCommon

from branchdesk.platform.clock import utcnow
from branchdesk.platform.ids import new_id
from branchdesk.platform.kept import KeptWhileAlive

log = structlog.get_logger(__name__)
T = TypeVar("T")

_ROLE_PREFIX_CHARS = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class DatabaseRoles:
    """The deployment's own roles. Roles belong to the whole PostgreSQL server, not to a database, so
    their names come from a prefix (by default the database's name) and each carries a comment naming
    the deployment's database: two deployments on one server never share, or reset, each other's."""

    owner: str
    app: str
    platform: str
    database: str

    @classmethod
    def of(cls, admin_url: str, prefix: str | None = None) -> DatabaseRoles:
        database = make_url(admin_url).database or "postgres"
        base = prefix or role_prefix(database)
        return cls(owner=f"{base}_owner", app=f"{base}_app", platform=f"{base}_platform", database=database)

    @property
    def names(self) -> tuple[str, str, str]:
        return (self.owner, self.app, self.platform)

    @property
    def marker(self) -> str:
        """The comment on each role: whose roles they are."""
        return f"branchdesk deployment of database {self.database}"


def role_prefix(database: str) -> str:
    """A role-name prefix from a database name: ``branchdesk`` keeps the names roles had before."""
    cleaned = _ROLE_PREFIX_CHARS.sub("_", database.lower()).strip("_") or "branchdesk"
    if not cleaned[0].isalpha():
        cleaned = "bd_" + cleaned
    if len(cleaned) > 40:  # room for the suffix within PostgreSQL's 63 characters, and still unique
        cleaned = cleaned[:31] + "_" + hashlib.sha256(database.encode()).hexdigest()[:8]
    return cleaned


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True), uuid.UUID: Uuid}


class TenantOwned:
    """Mixin for a table that belongs to one branch.

    ``tenant_id`` leads the composite primary key; the migration helper gives the table row-level
    security and the isolation tests pick it up from ``info['tenant_owned']``.
    """

    __table_args__: Any = ({"info": {"tenant_owned": True}},)  # typed as DeclarativeBase types it

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


def tenant_table_args(*constraints: object) -> tuple[Any, ...]:
    """``__table_args__`` for a tenant-owned model that adds its own constraints."""
    return (*constraints, {"info": {"tenant_owned": True}})


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


def tenant_tables(metadata: MetaData = Base.metadata) -> list[Table]:
    return [t for t in metadata.sorted_tables if t.info.get("tenant_owned")]


async def ping(session: AsyncSession) -> None:
    """A round trip to the server (readiness)."""
    await session.execute(text("select 1"))


def to_async_url(url: str) -> URL:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg")


def role_url(admin_url: str, role: str, password: str) -> str:
    return to_async_url(admin_url).set(username=role, password=password).render_as_string(hide_password=False)


POOL_RECYCLE_SECONDS = 1800


def is_disconnect(exc: BaseException) -> bool:
    """A statement failed because its connection was gone (the pool has already discarded it)."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class FairQueue(QueueCommon[T]):
    """The pool's queue of idle connections, handed out first come, first served.

    SQLAlchemy's asyncio queue (an ``asyncio.Queue``) wakes the first waiter when a connection comes back,
    but a request arriving before that waiter runs takes the connection without waiting, and the waiter,
    finding the queue empty again, queues up anew at the back. Under steady load a request could wait
    seconds behind later ones (measured in-process at 32 concurrent requests on a pool of 20: 8 s at the
    longest for a list whose median is 40 ms; most of bench/api.py's p99). Here a returned connection goes
    straight to the longest waiter, and nobody takes one while anybody waits. A waiter cancelled or timed
    out after it was handed one passes it on.

    A request may also wait for its turn in async code (:meth:`wait_for_turn`, see
    :func:`checked_out`): the connection it is handed is kept for it, and its next ``get`` takes it."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        self.maxsize = maxsize
        self.use_lifo = use_lifo
        self._idle: deque[T] = deque()  # never holds a connection while anyone waits
        self._waiters: deque[asyncio.Future[T]] = deque()
        self._handed: dict[asyncio.Task[Any] | None, T] = {}  # by the task that waited for its turn
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop it last served (see _task)

    def empty(self) -> bool:
        return not self._idle

    def ready(self) -> bool:
        """A connection is idle and nobody waits: the next get takes it at once."""
        return bool(self._idle) and not self._waiters

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._idle)

    def qsize(self) -> int:
        return len(self._idle)

    def put_nowait(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done() and not waiter.get_loop().is_closed():  # one that gave up is passed over
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._idle.append(item)

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)  # the pool gives back without blocking; a full queue refuses alike

    def get_nowait(self) -> T:
        if not self._idle:
            raise Empty()
        return self._idle.pop() if self.use_lifo else self._idle.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        if self._handed:
            handed = self._handed.pop(self._task(), None)
            if handed is not None:
                return handed
        if not block or self._idle:
            return self.get_nowait()
        return await_(self._wait(asyncio.get_running_loop(), seconds=timeout))

    async def wait_for_turn(self, seconds: float | None) -> None:
        """Wait in line, as ``get`` would, for a connection that this task's next ``get`` then takes;
        Empty when ``seconds`` pass first."""
        task = self._task()
        assert task is not None  # a pool is used from tasks only
        self._handed[task] = await self._wait(task.get_loop(), seconds=seconds)

    def next_connection(self) -> T | None:
        """What this task's next ``get`` would take without waiting (None: it would wait)."""
        handed = self._handed.get(self._task()) if self._handed else None
        if handed is not None:
            return handed
        if not self._idle or self._waiters:
            return None
        return self._idle[-1] if self.use_lifo else self._idle[0]

    def give_back_unused(self) -> None:
        """What :meth:`wait_for_turn` handed this task and no ``get`` took goes to the next in line."""
        if not self._handed:
            return  # the usual case, decided without asking asyncio for the task (see Runtime.loop)
        handed = self._handed.pop(self._task(), None)
        if handed is not None:
            self.put_nowait(handed)

    def _task(self) -> asyncio.Task[Any] | None:
        """The running task, asked of the loop the queue last served: ``current_task()`` without a loop asks
        asyncio for the running one, a getpid system call on Python 3.11 (see ``Runtime.loop``), and a
        request asks up to four times. asyncio's own answer when that loop runs no task here (the queue
        serves another loop now, as tests may start one)."""
        task = asyncio.current_task(self._loop) if self._loop is not None else None
        if task is None:
            task = asyncio.current_task()
            self._loop = task.get_loop() if task is not None else None
        return task

    async def _wait(self, loop: asyncio.AbstractEventLoop, *, seconds: float | None) -> T:
        waiter: asyncio.Future[T] = loop.create_future()
        self._waiters.append(waiter)
        # A timer rather than asyncio.timeout(): its Timeout object, rescheduling and task bookkeeping cost
        # more than the wait itself, and under load many requests wait.
        timer = loop.call_later(seconds, _time_out, waiter) if seconds is not None else None
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.put_nowait(waiter.result())  # handed over as the wait ended: to the next in line
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()


def _time_out(waiter: asyncio.Future[Any]) -> None:
    """The wait is over: Empty, as the pool's own queue says (a waiter already handed a connection keeps it)."""
    if not waiter.done():
        waiter.set_exception(Empty())


class FairPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool with :class:`FairQueue`: connections handed out in the order asked for."""

    _queue_class = FairQueue[ConnectionPoolEntry]


class Database:
    """The application's connections: tenant-bound sessions for requests and jobs, plus platform scope."""

    def __init__(
        self,
        app_url: str,
        platform_url: str,
        *,
        pool_size: int = 10,
        info: dict[str, Any] | None = None,
        server_settings: dict[str, str] | None = None,
    ) -> None:
        # server_settings: per-connection limits (lock, statement, idle-in-transaction timeouts), so a
        # stuck request fails instead of holding locks that every other request then waits on.
        connect_args = {"server_settings": server_settings or {}}
        # No pre-ping (a round trip on every checkout): connections are recycled before servers or proxies
        # drop idle ones, and a request whose first statement finds its connection dropped starts again on
        # a new one (graphql.context.Context.start); SQLAlchemy invalidates the dropped connection.
        pool = {
            "poolclass": FairPool,
            "pool_pre_ping": False,
            "pool_recycle": POOL_RECYCLE_SECONDS,
            "connect_args": connect_args,
        }
        # A fixed pool: an overflow connection would be opened under load and closed as soon as it is
        # returned (connect, authenticate, prepare every statement again: measured 34 new connections
        # in 15 s of bench/api.py load, with their latency in the p99).
        self.app_engine: AsyncEngine = create_async_engine(
            to_async_url(app_url), pool_size=pool_size, max_overflow=0, **pool
        )
        self.platform_engine: AsyncEngine = create_async_engine(
            to_async_url(platform_url), pool_size=2, max_overflow=4, **pool
        )
        # ``info`` is copied into every session: process-wide services that domain code reaches through it.
        self._app_sessions = async_sessionmaker(self.app_engine, expire_on_commit=False, info=info or {})
        self._platform_sessions = async_sessionmaker(self.platform_engine, expire_on_commit=False, info=info or {})
        # A request's session is bound to the connection its request checked out, and takes that
        # connection's transaction as its own once the ORM is used (commit and rollback go to it).
        self._request_sessions = async_sessionmaker(
            expire_on_commit=False, info=info or {}, join_transaction_mode="control_fully"
        )

    def new_session(self) -> AsyncSession:
        return self._app_sessions()

    async def request_session(self) -> AsyncSession:
        """A session on a connection of the app pool checked out for it, in a transaction begun on it.

        What a request works in (:class:`~branchdesk.graphql.context.Context`): the same transaction as
        :meth:`new_session`'s, with less of SQLAlchemy's bookkeeping on the way. Most requests only read
        through :func:`read`, which takes the connection itself, so the session's own unit of work never
        starts (its transaction, connection registry, state changes and close: ~90 µs of CPU a request
        without I/O, by timeit, against ~20 µs for the connection's own begin, commit and close), and
        :func:`end_transaction` ends the connection's transaction directly. The ORM (entities, writes,
        ``session.connection()``) joins that transaction and ends it as usual."""
        connection = await connected(self.app_engine)
        assert connection.sync_connection is not None  # started: checked out
        connection.sync_connection.begin()  # no I/O: the driver's BEGIN goes with the first statement
        return self._request_sessions(bind=connection)

    @asynccontextmanager
    async def session(self, branch_id: uuid.UUID | None) -> AsyncIterator[AsyncSession]:
        """One transaction, bound to ``branch_id`` (or to no branch: platform tables only); commits on success."""
        async with self._app_sessions() as session:
            async with session.begin():
                if branch_id is not None:
                    await bind_branch(session, branch_id)
                yield session
            await run_after_commit(session)

    @asynccontextmanager
    async def platform_session(self) -> AsyncIterator[AsyncSession]:
        """Cross-branch scope (head office, relay). Callers audit what they read on behalf of a person."""
        async with self._platform_sessions() as session:
            async with session.begin():
                yield session
            await run_after_commit(session)

    async def dispose(self) -> None:
        await self.app_engine.dispose()
        await self.platform_engine.dispose()


_BIND = text("select set_config('app.tenant_id', :branch, true)")


async def bind_branch(session: AsyncSession, branch_id: uuid.UUID | None) -> None:
    """Bind the current transaction to a branch; local to the transaction, so pooled connections stay clean."""
    await session.execute(_BIND, {"branch": str(branch_id) if branch_id else ""})
    bound(session, branch_id)


def bound(session: AsyncSession, branch_id: uuid.UUID | None) -> None:
    """Record the branch the transaction was bound to (by :func:`bind_branch`, or by SQL that binds it)."""
    session.info["branch_id"] = branch_id


def bound_branch(session: AsyncSession) -> uuid.UUID | None:
    return session.info.get("branch_id")


async def read(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[Row[Any]]:
    """The rows of a read of columns (not entities), on the session's connection and transaction. Pending
    changes are flushed first, as the ORM's autoflush would.

    Every signed-in request makes such reads (entering the branch, a list's page, nodes by id), and
    SQLAlchemy's way to each costs ~0.3 ms of CPU more than the driver's own (bench/api.py): the ORM's
    compile state and loading, then Core's execution context, parameter processing, DB-API cursor and
    result. A statement's first read goes that way (:class:`_DirectReads` keeps what it compiled); later
    reads of the same statement send the compiled SQL straight to asyncpg and build the same rows."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = held_connection(session) or await checked_out(session)
    return await _DIRECT_READS.rows(connection, statement, params or {})


def held_connection(session: AsyncSession) -> AsyncConnection | None:
    """``session.connection()`` when its transaction holds the connection already (None otherwise).

    Taken without SQLAlchemy's ``greenlet_spawn``: each spawn is a new greenlet, and on Python 3.11 a new
    greenlet's first call maps a fresh 16 KiB frame stack that it unmaps when it ends (an ``mmap``, a page
    fault and a ``munmap``: 20 to 60 µs of CPU a spawn under load, more than the read's own driver call;
    bench/api.py). Getting a held connection needs no I/O, so no greenlet."""
    if isinstance(session.bind, AsyncConnection):
        return session.bind  # a request's session (:meth:`Database.request_session`): its own connection
    sync = session.sync_session
    transaction = sync.get_transaction()
    if transaction is None or sync.get_bind() not in transaction._connections:
        return None
    return AsyncConnection._retrieve_proxy_for_target(sync.connection())


async def checked_out(session: AsyncSession) -> AsyncConnection:
    """``session.connection()`` for a session that holds none yet, checked out of the pool without a
    greenlet when that needs no I/O (see :func:`connected`)."""
    sync = session.sync_session
    bind = sync.get_bind()
    transaction = sync.get_transaction()
    if (transaction is not None and transaction._connections) or not isinstance(bind, Engine):
        return await session.connection()
    taken = await _without_io(bind, sync.connection)
    return AsyncConnection._retrieve_proxy_for_target(taken) if taken is not None else await session.connection()


async def connected(engine: AsyncEngine) -> AsyncConnection:
    """``engine.connect()``, checked out of the pool without a greenlet when that needs no I/O (see
    :func:`held_connection` for what a greenlet costs)."""
    taken = await _without_io(engine.sync_engine, engine.sync_engine.connect)
    return AsyncConnection(engine, taken) if taken is not None else await engine.connect()


async def _without_io(engine: Engine, take: Callable[[], Connection]) -> Connection | None:
    """``take()`` (a checkout of ``engine``'s pool) run as a plain call when it needs no I/O: a connection
    is idle and nobody waits, or, with every connection in use, once this task's turn in line has come
    (waited for here, in async code, first come first served as :class:`FairQueue` serves everyone).

    None when the checkout needs I/O after all (its connection is due for recycling or was invalidated, a
    pool listener does I/O: SQLAlchemy's ``await_`` refuses at once with MissingGreenlet, and the pool puts
    the connection back as after any failed checkout), for a pool still opening connections, or another
    kind of pool: the caller then checks out SQLAlchemy's own way, in a greenlet, with its I/O."""
    pool = engine.pool
    queue = getattr(pool, "_pool", None)
    if not isinstance(pool, QueuePool) or not isinstance(queue, FairQueue):
        return None
    if queue.ready():
        return _take_without_io(pool, queue, take)
    if pool._max_overflow < 0 or pool.checkedout() < pool.size() + pool._max_overflow:
        return None  # the pool opens a connection: I/O
    try:
        await queue.wait_for_turn(pool.timeout())
    except Empty:
        raise PoolTimeoutError(
            f"QueuePool limit of size {pool.size()} overflow {pool.overflow()} reached, "
            f"connection timed out, timeout {pool.timeout():0.2f}",
            code="3o7r",
        ) from None
    try:
        return _take_without_io(pool, queue, take)
    finally:
        queue.give_back_unused()  # handed over but not taken: the checkout failed before its get


def _take_without_io(pool: QueuePool, queue: FairQueue[Any], take: Callable[[], Connection]) -> Connection | None:
    """The checks of SQLAlchemy's ``_ConnectionRecord.get_connection`` first: a connection it would open,
    recycle or replace is left to it (MissingGreenlet would catch it too, after a wasted attempt)."""
    record: Any = queue.next_connection()
    if record is None or record.dbapi_connection is None:
        return None  # closed or invalidated: the pool connects anew
    started = record.starttime
    if pool._recycle > -1 and time.time() - started > pool._recycle:
        return None  # due for recycling
    if pool._invalidate_time > started or record._soft_invalidate_time > started:
        return None  # the whole pool, or this connection, invalidated since it connected
    try:
        return take()
    except MissingGreenlet:
        return None


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement as SQLAlchemy compiled and executed it once: its SQL, how its parameters are ordered and
    converted, and how its rows are built (the result processors, the column keys rows answer to)."""

    compiled: SQLCompiler
    sql: str
    order: tuple[str, ...]
    binds: Mapping[str, Callable[[Any], Any]]
    rows: Callable[[Sequence[Any]], list[Row[Any]]]

    @classmethod
    def of(cls, result: CursorResult[Any]) -> _Plan | None:
        """None for what the direct way does not do, which keeps going through SQLAlchemy: a statement that
        writes (its Python-side defaults are computed per execution), is expanded per execution (``IN``
        lists, literal-rendered values), has no cache key or a schema map, runs with execution options, or
        whose rows SQLAlchemy keys by the cursor's columns (``text()`` without its columns in order:
        ``select *`` may change them)."""
        context = result.context
        compiled = context.compiled
        if (
            not isinstance(compiled, SQLCompiler)
            or not compiled.positional
            or compiled.cache_key is None
            or compiled.isinsert
            or compiled.isupdate
            or compiled.isdelete
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or compiled.schema_translate_map
            or context.execution_options
            or not getattr(result._metadata, "_safe_for_cache", False)  # no rows: nothing to plan
        ):
            return None
        binds = {name: p for name, p in compiled._bind_processors.items() if callable(p)}
        make_rows: Any = result._row_getter[1]  # what built this result's rows, for the same metadata
        if make_rows is None or len(binds) != len(compiled._bind_processors):  # tuples: expanded per execution
            return None
        return cls(compiled, compiled.string, tuple(compiled.positiontup or ()), binds, make_rows)


@dataclass(slots=True)
class _Known:
    """What :class:`_DirectReads` knows of a statement: its plan (None: it is read through SQLAlchemy), and
    the values of the plan's parameters the caller does not give (its own literals) as SQLAlchemy's
    ``construct_params`` resolved them on the first direct read: the same every time for one statement
    object, and resolving them again was ~6 µs a read. ``fixed`` stays None for a plan whose values can
    change (a callable bind), which keeps asking SQLAlchemy without checking again (``_fixed_values``)."""

    plan: _Plan | None
    fixed: dict[str, Any] | None = None
    asked: bool = False


class _DirectReads:
    """Reads sent to asyncpg directly, once SQLAlchemy has compiled and executed the same statement.

    A statement is known by the object itself (statements on hot paths are built once) with the names of the
    parameters given and the dialect, while it lives (:class:`KeptWhileAlive`): its rows then answer to exactly
    its own columns, as SQLAlchemy's would.
    What SQLAlchemy does around the driver is done the same way here: the adapter's lock, its type-cache
    check and its lazily begun transaction, the ``before_cursor_execute`` event (statement counts), a failure
    turned into SQLAlchemy's error with the connection invalidated when it was dropped (``Context.start``
    retries on that), and a connection let go when a read is cancelled mid-statement."""

    KEPT = 1024

    def __init__(self) -> None:
        self.plans: KeptWhileAlive[_Known] = KeptWhileAlive(self.KEPT)
        self.direct = 0  # reads sent directly (tests read it)

    async def rows(
        self, connection: AsyncConnection, statement: Executable, params: Mapping[str, Any]
    ) -> Sequence[Row[Any]]:
        sync = connection._proxied  # the started Connection a session's connection always has
        key = (id(statement), id(sync.dialect), *sorted(params))
        known = self.plans.get(key)
        if known is None or known.plan is None or sync._echo or sync._execution_options:
            result = await connection.execute(statement, params)
            rows = result.all()
            if known is None:
                self.plans.put(statement, key, _Known(_Plan.of(result)))
            return rows
        plan = known.plan
        try:
            fixed = known.fixed
            if fixed is None:
                cache_key = statement._generate_cache_key()  # type: ignore[attr-defined]  # memoised per statement
                values = plan.compiled.construct_params(
                    params, extracted_parameters=cache_key[1], escape_names=False, _collected_params=cache_key[2]
                )
                if not known.asked:  # asked once: a plan whose values can change keeps asking SQLAlchemy
                    known.fixed, known.asked = _fixed_values(plan, params, values), True
            else:
                values = {**fixed, **params}
            binds = plan.binds
            args = [binds[name](values[name]) if name in binds else values[name] for name in plan.order]
        except Exception as error:  # a value a bind processor refuses: SQLAlchemy's StatementError
            await _raise_as_sqlalchemy(sync, error, plan.sql, params)
        if sync._has_events or sync.engine._has_events:
            sync.dispatch.before_cursor_execute(sync, None, plan.sql, args, None, False)
        adapted: Any = sync.connection.dbapi_connection
        try:
            async with adapted._execute_mutex:
                await adapted._check_type_cache_invalidation(sync.dialect._invalidate_schema_cache_asof)  # type: ignore[attr-defined]
                if adapted._transaction is None:
                    await adapted._start_transaction()
                try:
                    records = await adapted._connection.fetch(plan.sql, *args)
                except Exception as error:
                    adapted._handle_exception(error)  # raises the DB-API error SQLAlchemy's adapter raises
        except sync.dialect.loaded_dbapi.Error as error:
            await _raise_as_sqlalchemy(sync, error, plan.sql, args)
        except BaseException as error:
            if is_exit_exception(error) and not sync.closed:  # cancelled mid-statement: its state is unknown
                sync.invalidate(error)
            raise
        self.direct += 1
        return plan.rows(records)


async def _raise_as_sqlalchemy(sync: Connection, error: Exception, sql: str | None, params: Any) -> NoReturn:
    """Raise what SQLAlchemy raises for ``error`` in a statement it sent (its own error class, the statement
    named, a dropped connection invalidated with its pool), in the greenlet its handling expects."""
    await greenlet_spawn(sync._handle_dbapi_exception, error, sql, params, None, None)
    raise error  # not reached: SQLAlchemy's handling always raises


def _fixed_values(plan: _Plan, params: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any] | None:
    """What ``values`` (``construct_params``' answer) holds besides ``params``, when every later read of the
    plan gets the same: no bind computes its value when executed, and each given parameter went to the
    name it is given by. None otherwise."""
    if any(bind.callable is not None for bind in plan.compiled.bind_names):
        return None
    if any(name in params and values[name] is not params[name] for name in plan.order):
        return None
    return {name: values[name] for name in plan.order if name not in params}


_DIRECT_READS = _DirectReads()


def selects_entities(statement: Select[Any]) -> bool:
    """Whether ``statement`` loads ORM entities (which only the session's own execution builds)."""
    return any(
        isinstance(inspect(column["expr"], raiseerr=False), Mapper | AliasedInsp)
        for column in statement.column_descriptions
    )


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run ``callback`` once the session's transaction has committed (never if it rolls back)."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    """The work committed whatever happens here: a failing callback is logged, the others still run."""
    for callback in session.info.pop("after_commit", []):
        try:
            await callback()
        except Exception:
            log.exception("after-commit callback failed")


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop("after_commit", None)


async def end_transaction(session: AsyncSession, *, commit: bool) -> None:
    """Commit (or roll back), then close: what ``session.commit()`` (or ``rollback()``) and ``close()`` do.

    Each of those spawns a greenlet (see :func:`held_connection` for what one costs); here both share one,
    or, for the usual request (a plain transaction on one connection, nothing left to flush, no session
    listener), none: its COMMIT is sent on the driver's connection first, as SQLAlchemy's adapter sends it
    (a failure raised as SQLAlchemy raises it, a dropped connection invalidated), and SQLAlchemy's own
    commit and close then have no I/O left to do (the adapter has no transaction to commit, the pool takes
    the connection back without a reset, since its transaction ended): they run as plain calls.

    A request's session (:meth:`Database.request_session`) whose unit of work never started (it only
    read) has nothing of its own to end: its connection's transaction is ended the same way, and the
    connection goes back to the pool."""
    bind = session.bind
    if not isinstance(bind, AsyncConnection):
        await _end_session(session, commit=commit)
        return
    sync = session.sync_session
    try:
        if sync._transaction is not None or sync.new or sync.dirty or sync.deleted:
            await _end_session(session, commit=commit)  # the ORM joined the connection's transaction
        else:
            await _end_connection(bind, commit=commit)
    finally:
        await _give_back(bind)


async def _end_session(session: AsyncSession, *, commit: bool) -> None:
    sync = session.sync_session
    found = _committable(session) if commit else None
    if found is None:
        await greenlet_spawn(_end, sync, commit)
        return
    connection, adapted = found
    try:
        await _commit_on_driver(connection, adapted)
    except BaseException:
        await session.close()  # the driver's transaction is over: SQLAlchemy's ends with no I/O
        raise
    _end(sync, commit=True)


async def _end_connection(bind: AsyncConnection, *, commit: bool) -> None:
    connection = bind.sync_connection
    assert connection is not None
    if connection.invalidated or not connection.in_transaction():
        return  # nothing to end: closing the connection ends what is left
    adapted: Any = connection.connection.dbapi_connection
    if commit and adapted._transaction is not None:
        await _commit_on_driver(connection, adapted)
    if adapted._transaction is None:  # no I/O left to do
        connection.commit() if commit else connection.rollback()
    else:
        await (bind.commit() if commit else bind.rollback())


async def _commit_on_driver(connection: Connection, adapted: Any) -> None:
    """COMMIT on the driver's connection as SQLAlchemy's adapter sends it: a failure raised as SQLAlchemy
    raises it (a dropped connection invalidated); cancelled mid-COMMIT, the connection is invalidated (its
    outcome is unknown)."""
    try:
        try:
            await adapted._call_and_discard(adapted._transaction.commit)
        except Exception as error:
            adapted._handle_exception(error)  # raises the DB-API error SQLAlchemy's adapter raises
    except connection.dialect.loaded_dbapi.Error as error:
        await _raise_as_sqlalchemy(connection, error, None, None)
    except BaseException as error:
        if is_exit_exception(error) and not connection.closed:
            connection.invalidate(error)
        raise


async def _give_back(bind: AsyncConnection) -> None:
    """Close a request's connection: a plain call when its driver has no transaction left (the pool's reset
    then has nothing to roll back), else SQLAlchemy's close in a greenlet."""
    connection = bind.sync_connection
    if connection is None or connection.closed:
        return
    fairy = connection._dbapi_connection
    adapted: Any = fairy.dbapi_connection if fairy is not None else None
    if adapted is None or adapted._transaction is None:
        connection.close()
    else:
        await bind.close()


def _committable(session: AsyncSession) -> tuple[Connection, Any] | None:
    """The connection, and its driver connection, whose transaction :func:`end_transaction` may commit
    itself; None when SQLAlchemy's commit could have I/O of its own to do."""
    sync = session.sync_session
    transaction = sync._transaction
    if (
        transaction is None
        or transaction._parent is not None  # a savepoint
        or len({entry[0] for entry in transaction._connections.values()}) != 1  # keyed by engine and by connection
        or sync.new
        or sync.dirty
        or sync.deleted
        or sync.dispatch.before_commit
        or sync.dispatch.after_commit
        or sync.dispatch.after_transaction_end
    ):
        return None
    held = held_connection(session)
    if held is None:
        return None
    connection = held.sync_connection
    assert connection is not None
    adapted: Any = connection.connection.dbapi_connection
    return (connection, adapted) if adapted._transaction is not None else None


def _end(sync: Session, commit: bool) -> None:
    try:
        if commit:
            sync.commit()
        else:
            sync.rollback()
    finally:
        sync.close()
