"""``database.end_transaction``: a request's (or a job's) transaction ends as SQLAlchemy's ``commit()`` (or
``rollback()``) and ``close()`` end it — the same data committed, the same errors, the connection back in
the pool — with one greenlet at most, and none for the usual request (each costs a mapped and unmapped
frame stack on Python 3.11). Greenlets are counted with greenlet's own trace hook, not by replacing code."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import greenlet
import pytest
from sqlalchemy import String, bindparam, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

from branchdesk.platform.database import Database, end_transaction, held_connection, is_disconnect, read
from branchdesk.tenants.models import Staff
from tests.conftest import _admin_execute, unique_employee_number

pytestmark = pytest.mark.external

NAME_OF = select(Staff.display_name).where(Staff.employee_number == bindparam("number"))


class Started:
    count = 0


@contextmanager
def greenlets_started() -> Iterator[Started]:
    """Counts the greenlets started in this thread meanwhile: switched into for the first time (the thread's
    main greenlet, which has no parent, is none of them)."""
    started = Started()
    seen: weakref.WeakSet[greenlet.greenlet] = weakref.WeakSet()

    def trace(event: str, args: Any) -> None:
        target = args[1]
        if event == "switch" and target.parent is not None and target not in seen:
            seen.add(target)
            started.count += 1

    previous = greenlet.settrace(trace)
    try:
        yield started
    finally:
        greenlet.settrace(previous)


@pytest.fixture(params=["pool", "request"])
def opened(request: pytest.FixtureRequest, db: Database) -> Callable[[], Awaitable[AsyncSession]]:
    """Both kinds of session end alike: a job's (``new_session``: the pool's connection taken with its
    first statement) and a request's (``request_session``: on a connection checked out for it, whose
    transaction the session joins only once the ORM is used)."""

    async def open_session() -> AsyncSession:
        return db.new_session() if request.param == "pool" else await db.request_session()

    return open_session


def server_pid(connection: AsyncConnection) -> int:
    assert connection.sync_connection is not None
    return int(connection.sync_connection.connection.driver_connection.get_server_pid())


def checked_out(db: Database) -> int:
    return db.app_engine.pool.checkedout()  # type: ignore[attr-defined]


async def name_of(db: Database, number: str) -> str | None:
    async with db.session(None) as session:
        found = await read(session, NAME_OF, {"number": number})
    return found[0][0] if found else None


async def test_a_read_only_transaction_ends_without_a_greenlet_and_gives_its_connection_back(db, opened):
    session = await opened()
    await read(session, NAME_OF, {"number": "nobody"})  # BEGIN and the read
    assert checked_out(db) == 1
    with greenlets_started() as started:
        await end_transaction(session, commit=True)
    assert started.count == 0
    assert checked_out(db) == 0
    assert not session.in_transaction()


async def test_flushed_writes_commit_without_a_greenlet(db, opened):
    number = unique_employee_number()
    session = await opened()
    session.add(Staff(employee_number=number, display_name="Committed Directly"))
    await session.flush()  # what a service's write has done by the time its request ends
    with greenlets_started() as started:
        await end_transaction(session, commit=True)
    assert started.count == 0
    assert await name_of(db, number) == "Committed Directly"  # seen from another transaction: committed
    assert checked_out(db) == 0


async def test_pending_changes_take_sqlalchemys_own_commit_in_one_greenlet(db, opened):
    number = unique_employee_number()
    session = await opened()
    session.add(Staff(employee_number=number, display_name="Flushed At Commit"))
    with greenlets_started() as started:
        await end_transaction(session, commit=True)
    assert started.count == 1  # commit (with its flush) and close share one
    assert await name_of(db, number) == "Flushed At Commit"
    assert checked_out(db) == 0


async def test_rolling_back_discards_flushed_writes(db, opened):
    number = unique_employee_number()
    session = await opened()
    session.add(Staff(employee_number=number, display_name="Rolled Back"))
    await session.flush()
    await end_transaction(session, commit=False)
    assert await name_of(db, number) is None
    assert checked_out(db) == 0


async def test_a_commit_on_a_dropped_connection_fails_as_sqlalchemy_reports_it(db, opened, rt):
    session = await opened()
    await read(session, NAME_OF, {"number": "nobody"})
    connection = held_connection(session)  # a request's, without starting its session's unit of work
    assert connection is not None
    await _admin_execute(rt.endpoints.admin_url, f"select pg_terminate_backend({server_pid(connection)})")

    with pytest.raises(DBAPIError) as raised:
        await end_transaction(session, commit=True)
    assert is_disconnect(raised.value)  # what Context.start and the error handling recognise
    assert checked_out(db) == 0  # the session is closed, its connection invalidated, not kept
    async with db.session(None) as fresh:  # and the pool hands out a live connection next
        assert (await read(fresh, select(Staff.id).limit(1))) is not None


async def test_a_signed_in_read_starts_no_greenlet_and_no_session_transaction(api, world, rt):
    """Not even the pool's checkout as the branch is entered: an idle connection is taken without I/O."""
    query = "{ staff(first: 5) { edges { node { id employeeNumber } } } }"
    token = await api.token(world.head_a)
    # A pool of fresh connections (earlier tests may have left some invalidated, which the pool replaces in
    # a greenlet), then one request to warm it: the branch's policy and code cached, a connection idle.
    await rt.db.app_engine.dispose()
    await api.post(query, token=token, branch=world.branch_a.code)
    begun: list[Session] = []

    def session_began(session: Session, transaction: Any, connection: Any) -> None:
        begun.append(session)

    event.listen(Session, "after_begin", session_began)
    try:
        with greenlets_started() as started:
            body = await api.post(query, token=token, branch=world.branch_a.code)
    finally:
        event.remove(Session, "after_begin", session_began)
    assert body["data"]["staff"]["edges"], body
    assert started.count == 0
    assert begun == []  # reads on the request's connection: SQLAlchemy's unit of work never started


@pytest.mark.parametrize("kind", ["pool", "request"])
async def test_a_read_waiting_for_a_busy_pool_checks_out_in_its_turn_without_a_greenlet(rt, kind):
    db = Database(rt.endpoints.app_url, rt.endpoints.platform_url, pool_size=1)

    async def open_session() -> AsyncSession:
        return db.new_session() if kind == "pool" else await db.request_session()

    try:
        first = await open_session()
        await read(first, NAME_OF, {"number": "nobody"})  # the pool's only connection, in use

        async def second_read() -> int:
            with greenlets_started() as started:
                session = await open_session()
                await read(session, NAME_OF, {"number": "nobody"})
                await end_transaction(session, commit=True)
            return started.count

        waiting = asyncio.create_task(second_read())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # in line for the connection
        await end_transaction(first, commit=True)
        assert await asyncio.wait_for(waiting, 10) == 0
        assert checked_out(db) == 0
    finally:
        await db.dispose()


async def test_an_invalidated_idle_connection_is_replaced_the_way_sqlalchemy_does_it(db):
    session = db.new_session()
    await read(session, NAME_OF, {"number": "nobody"})
    connection = await session.connection()
    dropped = connection.sync_connection.connection.driver_connection.get_server_pid()
    await connection.invalidate()
    await session.close()

    session = db.new_session()
    with greenlets_started() as started:
        await read(session, NAME_OF, {"number": "nobody"})  # connects anew: I/O, in a greenlet
    connection = await session.connection()
    assert connection.sync_connection.connection.driver_connection.get_server_pid() != dropped
    assert started.count == 1
    await end_transaction(session, commit=True)
    assert checked_out(db) == 0


async def test_a_request_on_an_invalidated_idle_connection_connects_anew_in_a_greenlet(db):
    session = await db.request_session()
    dropped = server_pid(session.bind)
    await session.bind.invalidate()
    await end_transaction(session, commit=False)
    assert checked_out(db) == 0

    with greenlets_started() as started:
        session = await db.request_session()  # the pool connects anew: I/O, in a greenlet
    assert server_pid(session.bind) != dropped
    assert started.count == 1
    assert await read(session, NAME_OF, {"number": "nobody"}) == []
    await end_transaction(session, commit=True)
    assert checked_out(db) == 0


async def test_a_requests_reads_and_orm_work_share_its_transaction(db):
    """What the request's reads bound (the transaction-local branch setting) holds for its ORM work too, and
    the ORM's writes are committed, or rolled back, with the transaction."""
    bind = text("select set_config('app.tenant_id', 'request-bound', true)")
    for commit in (True, False):
        number = unique_employee_number()
        session = await db.request_session()
        await read(session, bind.columns(value=String()))  # a read on the connection, as entering a branch is
        assert await session.scalar(text("select current_setting('app.tenant_id')")) == "request-bound"
        session.add(Staff(employee_number=number, display_name="Kept With The Request"))
        await session.flush()
        assert (await read(session, NAME_OF, {"number": number}))[0][0] == "Kept With The Request"
        await end_transaction(session, commit=commit)
        assert await name_of(db, number) == ("Kept With The Request" if commit else None)
        assert checked_out(db) == 0


async def test_a_commit_cancelled_mid_statement_gives_its_connection_back_invalidated(db, opened):
    session = await opened()
    await read(session, NAME_OF, {"number": "nobody"})
    ending = asyncio.create_task(end_transaction(session, commit=True))
    await asyncio.sleep(0)  # the COMMIT is on its way
    ending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await ending
    assert checked_out(db) == 0  # closed, not left to the garbage collector
    async with db.session(None) as fresh:  # and the pool still serves
        assert await read(fresh, NAME_OF, {"number": "nobody"}) == []
