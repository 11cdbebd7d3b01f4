"""``database.read``: a statement's first read goes through SQLAlchemy, later ones straight to asyncpg, and
either way the caller gets the same rows, the same statement counts and the same errors."""

from __future__ import annotations

import asyncio
import weakref

import pytest
from sqlalchemy import Integer, String, bindparam, column, insert, select, text
from sqlalchemy.exc import DBAPIError

from branchdesk.access.repository import _ENTER
from branchdesk.platform.database import _DIRECT_READS, is_disconnect, read
from branchdesk.tenants.models import Membership, MembershipKind, Staff
from tests.conftest import _admin_execute, new_uuid, unique_employee_number

pytestmark = pytest.mark.external


MEMBERS_OF_BRANCH = (
    select(Staff.id, Staff.employee_number, Staff.email, Membership.kind)
    .join(Membership, Membership.staff_id == Staff.id)
    .where(Membership.tenant_id == bindparam("branch_id"))
    .order_by(Staff.employee_number)
    .limit(5)
)


def planned(stmt: object) -> bool:
    """Whether the next read of ``stmt`` is sent directly."""
    return any(key[0] == id(stmt) and known.plan is not None for key, known in _DIRECT_READS.plans.values.items())


async def test_a_repeated_read_is_sent_directly_and_answers_the_same_rows(rt, world):
    async with rt.db.session(world.branch_a.id) as session:
        first = await read(session, MEMBERS_OF_BRANCH, {"branch_id": world.branch_a.id})
        direct_before = _DIRECT_READS.direct
        again = await read(session, MEMBERS_OF_BRANCH, {"branch_id": world.branch_a.id})

    assert _DIRECT_READS.direct == direct_before + 1
    assert again == first and first
    row = again[0]
    # rows as SQLAlchemy builds them: by name, by column, with the enum's result processing
    assert row.employee_number == row._mapping[Staff.employee_number.expression] == first[0].employee_number
    assert isinstance(row.kind, MembershipKind)


async def test_the_statement_counters_see_a_direct_read(rt, world, sql_counter):
    stmt = select(Staff.display_name).where(Staff.id == bindparam("id"))
    async with rt.db.session(None) as session:
        await read(session, stmt, {"id": new_uuid()})
        assert planned(stmt)
        with sql_counter:
            assert await read(session, stmt, {"id": new_uuid()}) == []
    assert sql_counter.count == 1


async def test_a_statement_read_directly_keeps_its_literal_values(rt, world):
    stmt = select(Staff.employee_number).limit(2)
    async with rt.db.session(world.branch_a.id) as session:
        first = await read(session, stmt)
        direct_before = _DIRECT_READS.direct
        assert await read(session, stmt) == first and len(first) == 2
    assert _DIRECT_READS.direct == direct_before + 1


async def test_direct_reads_take_each_given_value_and_keep_the_statements_own(rt):
    stmt = select(
        bindparam("given", type_=String).label("given"), (column("n", Integer) + 7).label("kept")
    ).select_from(text("(values (1)) as t(n)"))
    async with rt.db.session(None) as session:
        answers = [(await read(session, stmt, {"given": value}))[0] for value in ("a", "b", "c", "d")]
    assert planned(stmt)
    assert [tuple(row) for row in answers] == [("a", 8), ("b", 8), ("c", 8), ("d", 8)]


async def test_what_sqlalchemy_keys_by_the_cursor_or_writes_is_never_read_directly(rt):
    """``text()`` without its columns in order (SQLAlchemy keys its rows by whatever the server returns: a
    ``select *`` may change) and a statement that writes (its Python-side defaults are computed per call)."""
    untyped = text("select 1 as one")
    writes = insert(Staff).returning(Staff.id)
    direct_before = _DIRECT_READS.direct
    session = rt.db.new_session()
    try:
        for _ in range(2):
            assert await read(session, untyped) == [(1,)]
        ids = [
            (await read(session, writes, {"employee_number": unique_employee_number(), "display_name": "W"}))[0][0]
            for _ in range(2)
        ]
        assert ids[0] != ids[1]  # each insert had its own new id
    finally:
        await session.rollback()
        await session.close()
    assert _DIRECT_READS.direct == direct_before
    assert not planned(untyped) and not planned(writes)


async def test_a_direct_read_that_fails_raises_the_error_sqlalchemy_raises(rt):
    async def failure(stmt: object, known: bool) -> DBAPIError:
        session = rt.db.new_session()
        try:
            if known:  # read once, so the failing read is sent directly
                assert await read(session, stmt, {"d": 1}) == [(1,)]
                assert planned(stmt)
            with pytest.raises(DBAPIError, match="division by zero") as raised:
                await read(session, stmt, {"d": 0})
            return raised.value
        finally:
            await session.close()

    through_sqlalchemy = await failure(
        text("select 1 / :d as through_sqlalchemy").columns(column("through_sqlalchemy", Integer)), known=False
    )
    direct = await failure(text("select 1 / :d as direct").columns(column("direct", Integer)), known=True)

    assert type(direct) is type(through_sqlalchemy)
    assert type(direct.orig) is type(through_sqlalchemy.orig)
    assert str(direct.orig) == str(through_sqlalchemy.orig)
    assert not is_disconnect(direct)
    assert "select 1 / $1 as direct" in str(direct)  # the statement is named, as SQLAlchemy names it


async def test_pending_changes_are_flushed_before_a_direct_read(rt, world):
    stmt = select(Staff.display_name).where(Staff.employee_number == bindparam("number"))
    session = rt.db.new_session()
    try:
        await read(session, stmt, {"number": "nobody"})
        session.add(Staff(employee_number="T-DIRECT-READ", display_name="Read Directly"))
        assert await read(session, stmt, {"number": "T-DIRECT-READ"}) == [("Read Directly",)]
    finally:
        await session.rollback()
        await session.close()


async def test_a_connection_dropped_before_a_direct_read_is_discarded_and_reported_as_a_disconnect(rt, db):
    stmt = text("select pg_backend_pid() as pid").columns(column("pid", Integer))
    async with db.session(None) as session:
        await read(session, stmt)  # known from now on: the next read of it is direct

    assert planned(stmt)

    # given a checked-out connection that PostgreSQL ends before the transaction's first statement
    session = db.new_session()
    try:
        connection = await session.connection()
        pid = connection.sync_connection.connection.driver_connection.get_server_pid()
        await _admin_execute(rt.endpoints.admin_url, f"select pg_terminate_backend({pid})")
        # then the read fails as SQLAlchemy reports a dropped connection (Context.start starts again on that)
        with pytest.raises(DBAPIError) as raised:
            await read(session, stmt)
        assert is_disconnect(raised.value)
    finally:
        await session.close()

    # and the pool hands out a live connection next, not the dropped one
    async with db.session(None) as session:
        assert (await read(session, stmt))[0][0] != pid


async def test_a_direct_read_cancelled_mid_statement_leaves_no_busy_connection_in_the_pool(db):
    stmt = text("select pg_sleep(:s)::text as slept").columns(column("slept", String))
    async with db.session(None) as session:
        await read(session, stmt, {"s": 0})

    assert planned(stmt)

    # given a direct read cancelled while PostgreSQL is still running it
    session = db.new_session()
    try:
        connection = await session.connection()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await read(session, stmt, {"s": 30})
        # then its connection is let go, as SQLAlchemy does with a statement it was cancelled in
        assert connection.invalidated
    finally:
        await session.close()

    # and the next read is answered at once, on a connection that is not busy
    async with asyncio.timeout(10), db.session(None) as session:
        assert (await read(session, stmt, {"s": 0}))[0][0] == ""


async def test_a_signed_in_request_enters_the_branch_and_reads_its_page_directly(api, world):
    token = await api.token(world.head_a)
    query = "{ staff(first: 5) { edges { node { employeeNumber } } } }"
    assert "errors" not in await api.post(query, token=token, branch=world.branch_a.code)

    direct_before = _DIRECT_READS.direct
    assert "errors" not in await api.post(query, token=token, branch=world.branch_a.code)

    assert planned(_ENTER)
    assert _DIRECT_READS.direct == direct_before + 2  # entering the branch, and the page


async def test_a_value_the_driver_refuses_raises_the_error_sqlalchemy_raises(rt):
    """asyncpg refuses a parameter before sending it (not a uuid): the error SQLAlchemy's path raises."""

    async def refusal(stmt: object, known: bool) -> DBAPIError:
        session = rt.db.new_session()
        try:
            if known:  # read once with an id, so the refused value is read directly
                await read(session, stmt, {"id": new_uuid()})
                assert planned(stmt)
            with pytest.raises(DBAPIError) as raised:
                await read(session, stmt, {"id": "not-an-id"})
            return raised.value
        finally:
            await session.close()

    through_sqlalchemy = await refusal(select(Staff.id).where(Staff.id == bindparam("id")), known=False)
    direct = await refusal(select(Staff.id).where(Staff.id == bindparam("id")), known=True)

    assert type(direct) is type(through_sqlalchemy)
    assert type(direct.orig) is type(through_sqlalchemy.orig)
    assert "not-an-id" in str(direct.orig) and str(direct.orig) == str(through_sqlalchemy.orig)


async def test_what_a_statement_built_per_read_leaves_goes_with_it(rt, world):
    """A list filtered per request builds its statement per request: what the direct way keeps of one
    (its plan, its compiled form) must not outlive it, or the process fills with them."""
    params = {"branch_id": world.branch_a.id}
    gone = []
    async with rt.db.session(world.branch_a.id) as session:
        kept_before = len(_DIRECT_READS.plans)
        for _ in range(6):
            stmt = MEMBERS_OF_BRANCH.where(Staff.display_name.is_not(None))  # a new statement each time
            first = await read(session, stmt, params)
            assert await read(session, stmt, params) == first
            assert planned(stmt)
            gone.append(weakref.ref(stmt))
        del stmt

    # SQLAlchemy's compiled cache holds the statement it first compiled the SQL from, and so its plan
    alive = [ref for ref in gone if ref() is not None]
    assert len(alive) <= 1
    assert len(_DIRECT_READS.plans) <= kept_before + len(alive)
