"""The demo's client books: valid, deterministic, set-based and idempotent."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import bulk
from branchdesk.crm.rules import IdDocumentType, parse_resident_id
from branchdesk.demo import CLIENTS_PER_BRANCH, demo_clients
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
