"""Self-service: a person sees their active sessions, ends one or all others, and keeps their own email
and phone up to date (audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from branchdesk.platform.audit import AuditEvent
from branchdesk.tenants import repository
from tests.conftest import PASSWORD, add_member
from tests.credentials.support import CONTACT, END, END_OTHERS, SESSIONS, codes, refresh, sign_in_from

pytestmark = pytest.mark.external


async def sessions_of(api, token: str) -> list[dict]:
    body = await api.post(SESSIONS, token=token)
    assert "errors" not in body, body
    return body["data"]["me"]["sessions"]


async def test_me_shows_active_sessions_and_marks_the_current_one(api, rt, own, world):
    # given a person signed in on two devices, one of which refreshed from another browser version
    number = await add_member(rt, own.branch_a, ["teller"])
    desk = await sign_in_from(api, number, PASSWORD, "Desk browser 1")
    phone = await sign_in_from(api, number, PASSWORD, "Phone app")
    desk = await refresh(api, desk["refreshToken"], user_agent="Desk browser 2")

    # when they look at their sessions from the desk
    sessions = await sessions_of(api, desk["accessToken"])

    # then both are there, the desk's (refreshed last, with its new user agent) first and current
    assert [(s["userAgent"], s["current"]) for s in sessions] == [("Desk browser 2", True), ("Phone app", False)]
    assert all(s["address"] for s in sessions)
    assert sessions[0]["lastUsedAt"] > sessions[0]["createdAt"]
    assert sessions[1]["lastUsedAt"] == sessions[1]["createdAt"]
    assert phone["refreshToken"]


async def test_end_session_ends_that_one_only(api, rt, own, world):
    number = await add_member(rt, own.branch_a, ["teller"])
    desk = await sign_in_from(api, number, PASSWORD, "Desk")
    phone = await sign_in_from(api, number, PASSWORD, "Phone")
    phone_session = next(s["id"] for s in await sessions_of(api, desk["accessToken"]) if not s["current"])

    body = await api.post(END, {"i": {"id": phone_session}}, token=desk["accessToken"])

    assert body["data"]["endSession"] == {"sessionsEnded": 1, "errors": []}
    assert codes(await refresh(api, phone["refreshToken"])) == ["REFRESH_TOKEN_INVALID"]
    assert (await refresh(api, desk["refreshToken"]))["errors"] == []
    again = await api.post(END, {"i": {"id": phone_session}}, token=desk["accessToken"])
    assert codes(again["data"]["endSession"]) == ["NOT_FOUND"]


async def test_someone_elses_session_is_not_found(api, rt, own, world):
    mine = await sign_in_from(api, await add_member(rt, own.branch_a, ["teller"]), PASSWORD, "Mine")
    theirs = await sign_in_from(api, await add_member(rt, own.branch_a, ["teller"]), PASSWORD, "Theirs")
    [their_session] = await sessions_of(api, theirs["accessToken"])

    body = await api.post(END, {"i": {"id": their_session["id"]}}, token=mine["accessToken"])
    nothing = await api.post(END, {"i": {"id": "not-a-session"}}, token=mine["accessToken"])

    assert body["data"]["endSession"] == nothing["data"]["endSession"]
    assert codes(body["data"]["endSession"]) == ["NOT_FOUND"]
    assert (await refresh(api, theirs["refreshToken"]))["errors"] == []


async def test_end_other_sessions_keeps_the_current_one(api, rt, own, world):
    number = await add_member(rt, own.branch_a, ["teller"])
    others = [await sign_in_from(api, number, PASSWORD, f"Device {i}") for i in range(2)]
    here = await sign_in_from(api, number, PASSWORD, "Here")

    body = await api.post(END_OTHERS, token=here["accessToken"])

    assert body["data"]["endOtherSessions"] == {"sessionsEnded": 2, "errors": []}
    for other in others:
        assert codes(await refresh(api, other["refreshToken"])) == ["REFRESH_TOKEN_INVALID"]
    [left] = await sessions_of(api, here["accessToken"])
    assert left["current"] and left["userAgent"] == "Here"


async def test_update_my_contact_is_validated_by_field_and_audited(api, rt, own, world):
    # given a member of staff signed in
    number = await add_member(rt, own.branch_a, ["teller"])
    token = await api.token(number)

    # when they give a bad email and phone, then good ones
    bad = await api.post(CONTACT, {"i": {"email": "not-an-email", "phone": "12345"}}, token=token)
    good = await api.post(CONTACT, {"i": {"email": "me@bank.example", "phone": "138 1234 5678"}}, token=token)

    # then the bad ones are refused field by field with nothing written, the good ones kept and audited
    assert [(e["code"], e["field"]) for e in bad["data"]["updateMyContact"]["errors"]] == [
        ("INVALID_EMAIL", "email"),
        ("INVALID_PHONE", "phone"),
    ]
    assert good["data"]["updateMyContact"] == {"email": "me@bank.example", "phone": "13812345678", "errors": []}
    async with rt.db.session(None) as session:
        staff = await repository.staff_by_employee_number(session, number)
    async with rt.db.platform_session() as session:
        [event] = await session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "staff.contact_updated", AuditEvent.target_id == str(staff.id)
            )
        )
    assert event.tenant_id == world.head_office.id and event.actor_id == staff.id
    assert event.details == {"fields": ["email", "phone"]}  # which fields, never the values


@pytest.mark.parametrize(
    ("phone", "stored"),
    [("+85291234567", "+85291234567"), ("139-0000-1111", "13900001111"), ("", None)],
)
async def test_phone_numbers_mainland_or_e164_and_empty_removes(api, rt, own, world, phone, stored):
    token = await api.token(await add_member(rt, own.branch_a, ["teller"]))

    body = await api.post(CONTACT, {"i": {"phone": phone}}, token=token)

    assert body["data"]["updateMyContact"]["errors"] == [] and body["data"]["updateMyContact"]["phone"] == stored


async def test_sessions_need_a_sign_in(api):
    body = await api.post(SESSIONS)
    assert body["data"] == {"me": None} and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
