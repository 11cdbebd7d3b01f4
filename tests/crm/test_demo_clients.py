"""The demo's client books: valid, deterministic, set-based and idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import bulk
from branchdesk.crm.rules import IdDocumentType, parse_resident_id
from branchdesk.demo import CLIENTS_PER_BRANCH, demo_clients
from branchdesk.platform import lunar
from branchdesk.tenants import repository as tenants

pytestmark = pytest.mark.external


def test_a_book_is_valid_and_the_same_on_every_run():
    owners = [uuid.uuid4(), uuid.uuid4()]
    today = date(2026, 11, 30)
    book = demo_clients("0101", owners, today)
    assert book == demo_clients("0101", owners, today)
    assert len(book) == CLIENTS_PER_BRANCH == len({d.client_number for d in book})
    residents = [parse_resident_id(d.id_number or "") for d in book if d.id_type is IdDocumentType.RESIDENT_ID]
    assert len(residents) > 250
    week = {(today + timedelta(days=n)).strftime("%m%d") for n in range(7)}
    assert sum(1 for r in residents if r.birthday.strftime("%m%d") in week) >= 10
    assert len({d.name for d in book}) > 200
    # a fifth keep their lunar birthday on file, the lunar date they were born on; a few fall this week
    lunar_kept = [d for d in book if d.lunar_birthday is not None]
    assert len(lunar_kept) >= 50
    for draft in lunar_kept:
        born = lunar.lunar_day(parse_resident_id(draft.id_number or "").birthday)
        assert draft.lunar_birthday == lunar.LunarBirthday(born.month, born.day, born.leap)
    this_week = {b for n in range(7) for b in lunar.celebrated_on(today + timedelta(days=n))}
    assert sum(1 for d in lunar_kept if d.lunar_birthday in this_week) >= 5


async def test_a_book_is_recorded_in_a_fixed_number_of_statements_and_only_once(rt, crm_branch, sql_counter):
    async with rt.db.session(crm_branch.branch.id) as session:
        owners = [(await tenants.staff_by_employee_number(session, n)).id for n in (crm_branch.cm1, crm_branch.cm2)]
    system = Principal.system("tests", BranchRef(crm_branch.branch.id, crm_branch.code))
    book = demo_clients(f"D{crm_branch.code}", owners, date.today())

    sql_counter.count = 0
    with sql_counter:
        async with rt.db.session(crm_branch.branch.id) as session:
            assert await bulk.create_clients_in_bulk(session, system, book, "demo") == CLIENTS_PER_BRANCH
    # bind, owners, clients, teams, history, audit (lock, chain head, record): none per client
    assert sql_counter.count == 8
    async with rt.db.session(crm_branch.branch.id) as session:
        assert await bulk.create_clients_in_bulk(session, system, book, "demo") == 0


async def test_demo_timelines_are_deterministic_set_based_and_recorded_only_once(rt, crm_branch, sql_counter):
    from branchdesk.crm.interactions import service as interactions
    from branchdesk.demo import demo_interactions

    # given a book of the demo's clients
    async with rt.db.session(crm_branch.branch.id) as session:
        owner = (await tenants.staff_by_employee_number(session, crm_branch.cm1)).id
    system = Principal.system("tests", BranchRef(crm_branch.branch.id, crm_branch.code))
    async with rt.db.session(crm_branch.branch.id) as session:
        await bulk.create_clients_in_bulk(
            session, system, demo_clients(f"I{crm_branch.code}", [owner], date.today()), "demo"
        )
        book = await interactions.books_of(session, system, [owner])
    now = datetime.now(UTC)
    logged = demo_interactions(book, now)
    assert logged == demo_interactions(book, now) and len(logged) >= 2 * len(book)

    # when the timelines are recorded: a fixed number of statements, none per client
    sql_counter.count = 0
    with sql_counter:
        async with rt.db.session(crm_branch.branch.id) as session:
            assert await interactions.record_in_bulk(session, system, logged, "demo") == len(logged)
    # bind, clients with timelines, the inserts (1,000 a statement), last contact, audit (lock, chain head, record)
    assert sql_counter.count == 7 + (len(logged) - 1) // 1000

    # then every client has a last contact, and loading again records nothing
    async with rt.db.session(crm_branch.branch.id) as session:
        assert await interactions.record_in_bulk(session, system, logged, "demo") == 0
