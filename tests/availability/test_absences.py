"""Absences and covers: who records them, the typed refusals, and who stands in for whom at a moment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchdesk.availability import service as availability
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput, NotFound
from branchdesk.tenants import repository as tenants
from tests.conftest import add_member, enter

pytestmark = pytest.mark.external


async def as_member(rt, session, number, branch):
    staff = await tenants.staff_by_employee_number(session, number)
    return await enter(rt, session, staff.id, branch.code)


async def test_a_manager_away_is_stood_in_for_by_the_cover_named(rt, world):
    manager = await add_member(rt, world.branch_a, ["customer_manager"])
    colleague = await add_member(rt, world.branch_a, ["customer_manager"])
    start = utcnow() + timedelta(hours=1)
    async with rt.db.session(world.branch_a.id) as session:
        me = await as_member(rt, session, manager, world.branch_a)
        other = await as_member(rt, session, colleague, world.branch_a)
        absence = await availability.record_absence(
            session, me, me.staff_id, start, start + timedelta(days=3), "Annual leave", cover_id=other.staff_id
        )
        during = await availability.stand_ins(session, world.branch_a.id, [me.staff_id, other.staff_id], start)
        before = await availability.stand_ins(session, world.branch_a.id, [me.staff_id], start - timedelta(minutes=1))
    assert during == {me.staff_id: other.staff_id}
    assert before == {}
    assert absence.reason == "Annual leave"


async def test_refusals_name_the_field_and_write_nothing(rt, world):
    manager = await add_member(rt, world.branch_a, ["customer_manager"])
    start = utcnow() + timedelta(days=1)
    async with rt.db.session(world.branch_a.id) as session:
        me = await as_member(rt, session, manager, world.branch_a)
        with pytest.raises(InvalidInput) as bad:
            await availability.record_absence(session, me, me.staff_id, start, start, " ")
        assert {e.field for e in bad.value.errors} == {"endsAt", "reason"}
        with pytest.raises(DomainError) as not_a_member:
            await availability.record_absence(
                session, me, me.staff_id, start, start + timedelta(days=1), "Training", cover_id=me.staff_id
            )
        assert not_a_member.value.field == "coverId"
        await availability.record_absence(session, me, me.staff_id, start, start + timedelta(days=2), "Training")
        with pytest.raises(DomainError) as overlap:
            await availability.record_absence(
                session, me, me.staff_id, start + timedelta(days=1), start + timedelta(days=4), "Leave"
            )
        assert overlap.value.code == "ABSENCE_OVERLAP"
        listed = await availability.absences(session, me, start - timedelta(days=1), start + timedelta(days=9))
    assert [(a.reason, a.staff_id) for a in listed if a.staff_id == me.staff_id] == [("Training", me.staff_id)]


async def test_a_teller_records_only_their_own_absence(rt, world):
    teller = await add_member(rt, world.branch_a, ["teller"])
    colleague = await add_member(rt, world.branch_a, ["teller"])
    start = utcnow() + timedelta(days=1)
    async with rt.db.session(world.branch_a.id) as session:
        me = await as_member(rt, session, teller, world.branch_a)
        other = await as_member(rt, session, colleague, world.branch_a)
        with pytest.raises(Forbidden):
            await availability.record_absence(session, me, other.staff_id, start, start + timedelta(days=1), "Leave")


async def test_another_branchs_staff_and_absences_are_not_found(rt, world):
    stranger = await add_member(rt, world.branch_b, ["teller"])
    start = utcnow() + timedelta(days=1)
    async with rt.db.session(world.branch_b.id) as session:
        them = await as_member(rt, session, stranger, world.branch_b)
        theirs = await availability.record_absence(
            session, them, them.staff_id, start, start + timedelta(days=1), "Leave"
        )
    async with rt.db.session(world.branch_a.id) as session:
        head = await as_member(rt, session, world.head_a, world.branch_a)
        with pytest.raises(NotFound):
            await availability.record_absence(session, head, them.staff_id, start, start + timedelta(days=1), "Leave")
        with pytest.raises(NotFound):
            await availability.cancel_absence(session, head, theirs.id)
        assert await availability.stand_ins(session, world.branch_a.id, [them.staff_id], start) == {}
