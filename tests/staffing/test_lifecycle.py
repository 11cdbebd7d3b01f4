"""Joiners, movers and leavers through the API: create, add a membership or a cover, transfer, remove,
deactivate, reactivate, and the membership history that answers "who was a member, on D"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError
from branchdesk.platform.outbox import OutboxMessage
from branchdesk.staffing import service
from branchdesk.tenants import signin
from branchdesk.tenants.models import BranchLevel, Membership, Staff
from tests.conftest import PASSWORD, SYSTEM, add_member, onboard, unique_code, unique_employee_number
from tests.credentials.support import activate

pytestmark = pytest.mark.external

CREATE = """mutation($i: CreateStaffInput!) { createStaff(input: $i) {
  staff { employeeNumber displayName active } activationCode { code expiresAt } errors { code field } } }"""
ADD = """mutation($i: AddMembershipInput!) { addMembership(input: $i) {
  membership { branchCode kind startsAt endsAt roles { name } staff { employeeNumber } } errors { code field } } }"""
TRANSFER = """mutation($i: TransferStaffInput!) { transferStaff(input: $i) {
  membership { branchCode kind roles { name } } errors { code field } } }"""
REMOVE = """mutation($i: RemoveMembershipInput!) { removeMembership(input: $i) { branchCode errors { code field } } }"""
DEACTIVATE = """mutation($i: StaffStatusInput!) { deactivateStaff(input: $i) {
  staff { employeeNumber active } endedMemberships serviceAccountsToReassign { branchCode clientId name }
  errors { code field } } }"""
REACTIVATE = """mutation($i: StaffStatusInput!) { reactivateStaff(input: $i) {
  staff { active } errors { code field } } }"""
HISTORY = """query($n: String, $at: DateTime) { membershipHistory(employeeNumber: $n, at: $at) {
  staff { employeeNumber } kind startsAt endsAt roles { name } startedBy startReason endedBy endReason } }"""
WHO_CAN = """query($p: String!, $at: DateTime) { whoCan(permission: $p, at: $at) {
  via staff { employeeNumber } } }"""
ME = "{ me { branchMemberships { branch { code } kind startsAt endsAt roles { name } } } }"
STAFF = "{ staff(first: 100) { edges { node { employeeNumber membership { kind endsAt } } } } }"
# The same through fragments: a list reads memberships' windows whenever the response may show them.
STAFF_BY_FRAGMENTS = (
    "{ staff(first: 100) { ...Page } } fragment Page on StaffMemberConnection { edges { node { ...Member } } } "
    "fragment Member on StaffMember { employeeNumber ... on StaffMember { membership { kind endsAt } } }"
)


def errors_of(body: dict[str, Any], field: str) -> list[tuple[str, str | None]]:
    assert "errors" not in body, body
    return [(e["code"], e["field"]) for e in body["data"][field]["errors"]]


@dataclass
class Scene:
    office: Any
    admin: str  # head-office administrator
    token: str  # the administrator's
    branch: Any
    head: str


@pytest.fixture
async def scene(rt, api, world) -> Scene:
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    return Scene(world.head_office, world.ho_admin, await api.token(world.ho_admin), branch, head)


async def as_admin(api, scene: Scene, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return await api.post(document, variables, token=scene.token, branch=scene.office.code)


async def new_staff(rt, number: str | None = None) -> str:
    """A staff identity made through the service, with a password so that it can sign in."""
    number = number or unique_employee_number("S")
    async with rt.db.session(None) as session:
        await service.create_staff(session, SYSTEM, service.NewStaff(number, f"Staff {number}"))
        await signin.set_password(session, number, PASSWORD)
    return number


async def membership_row(rt, branch: Any, number: str) -> Membership | None:
    async with rt.db.session(branch.id) as session:
        staff = await session.scalar(select(Staff).where(Staff.employee_number == number))
        return await session.scalar(
            select(Membership).where(Membership.tenant_id == branch.id, Membership.staff_id == staff.id)
        )


# --- joiners -------------------------------------------------------------------------------------


async def test_head_office_creates_a_staff_identity_once_per_employee_number(rt, api, scene):
    number = unique_employee_number("N")
    wanted = {"employeeNumber": number, "displayName": "Li Na", "email": "li.na@bank.test", "phone": "13812345678"}

    created = await as_admin(api, scene, CREATE, {"i": wanted})
    assert errors_of(created, "createStaff") == []
    assert created["data"]["createStaff"]["staff"] == {"employeeNumber": number, "displayName": "Li Na", "active": True}
    code = created["data"]["createStaff"]["activationCode"]["code"]

    again = await as_admin(api, scene, CREATE, {"i": wanted | {"displayName": "Someone else"}})
    assert errors_of(again, "createStaff") == [("EMPLOYEE_NUMBER_TAKEN", "employeeNumber")]

    async with rt.db.session(scene.office.id) as session:
        staff = await session.scalar(select(Staff).where(Staff.employee_number == number))
        assert staff.display_name == "Li Na" and staff.password_hash is None  # activation comes next
        told = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.job == "staff_created", OutboxMessage.payload["staff_id"].astext == str(staff.id)
            )
        )
        record = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "staff.created", AuditEvent.target_id == str(staff.id))
        )
    assert told is not None
    assert record.details["phone"] == "138****5678"  # personal data stays out of the trail
    # The code shown once to the administrator lets the person set their own password, once.
    assert (await activate(api, number, code))["activated"] is True
    assert (await activate(api, number, code, "Another-long-passphrase-9"))["activated"] is False


async def test_bad_identity_input_names_each_field_and_writes_nothing(rt, api, scene):
    number = unique_employee_number("N")
    body = await as_admin(
        api, scene, CREATE, {"i": {"employeeNumber": number, "displayName": " ", "email": "nope", "phone": "call me"}}
    )
    assert errors_of(body, "createStaff") == [
        ("INVALID_NAME", "displayName"),
        ("INVALID_EMAIL", "email"),
        ("INVALID_PHONE", "phone"),
    ]
    async with rt.db.session(None) as session:
        assert await session.scalar(select(Staff).where(Staff.employee_number == number)) is None


async def test_a_branch_head_adds_a_member_to_their_own_branch(rt, api, scene):
    number = await new_staff(rt)
    token = await api.token(scene.head)
    body = await api.post(
        ADD, {"i": {"employeeNumber": number, "roles": ["teller"]}}, token=token, branch=scene.branch.code
    )
    assert errors_of(body, "addMembership") == []
    added = body["data"]["addMembership"]["membership"]
    assert added["branchCode"] == scene.branch.code and added["kind"] == "REGULAR" and added["endsAt"] is None

    again = await api.post(
        ADD, {"i": {"employeeNumber": number, "roles": ["teller"]}}, token=token, branch=scene.branch.code
    )
    assert errors_of(again, "addMembership") == [("ALREADY_A_MEMBER", "employeeNumber")]
    none = await api.post(ADD, {"i": {"employeeNumber": number, "roles": []}}, token=token, branch=scene.branch.code)
    assert errors_of(none, "addMembership") == [("MEMBERSHIP_ROLES_REQUIRED", "roles")]

    # the new member can act there with the role's permissions
    member = await api.token(number)
    listed = await api.post(STAFF, token=member, branch=scene.branch.code)
    assert number in [e["node"]["employeeNumber"] for e in listed["data"]["staff"]["edges"]]


# --- cover ---------------------------------------------------------------------------------------


def test_a_cover_runs_from_midnight_to_midnight_in_the_branchs_time_zone():
    @dataclass
    class Where:
        timezone: str

    shanghai = Where("Asia/Shanghai")
    # 01:00 on 2 March in Shanghai is still 1 March in UTC: "today" is the branch's day
    now = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    window = service.cover_window(shanghai, service.Cover(date(2026, 3, 2), date(2026, 3, 3)), now)  # type: ignore[arg-type]
    assert window.starts_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert window.ends_at == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    with pytest.raises(DomainError) as past:
        service.cover_window(shanghai, service.Cover(date(2026, 3, 1), date(2026, 3, 3)), now)  # type: ignore[arg-type]
    assert (past.value.code, past.value.field) == ("COVER_IN_PAST", "cover.startsOn")
    with pytest.raises(DomainError) as backwards:
        service.cover_window(shanghai, service.Cover(date(2026, 3, 3), date(2026, 3, 2)), now)  # type: ignore[arg-type]
    assert (backwards.value.code, backwards.value.field) == ("COVER_ENDS_BEFORE_START", "cover.endsOn")
    # New York across the change to summer time: the cover still ends at local midnight
    new_york = Where("America/New_York")
    spring = service.cover_window(new_york, service.Cover(date(2026, 3, 7), date(2026, 3, 8)), now)  # type: ignore[arg-type]
    assert spring.starts_at == datetime(2026, 3, 7, 5, 0, tzinfo=UTC)  # EST, UTC-5
    assert spring.ends_at == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # EDT, UTC-4


async def test_a_cover_starts_and_ends_by_itself_on_its_dates_in_the_branchs_time_zone(rt, api, scene, world):
    # given a branch far from UTC, and a customer manager of branch A sent to cover it for today only
    zone = "Pacific/Auckland"
    covered = await onboard(
        rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("H"), timezone=zone
    )
    number = await add_member(rt, world.branch_a, ["customer_manager"])
    today = utcnow().astimezone(ZoneInfo(zone)).date()
    cover = {"startsOn": today.isoformat(), "endsOn": today.isoformat()}
    body = await as_admin(
        api,
        scene,
        ADD,
        {"i": {"employeeNumber": number, "roles": ["customer_manager"], "branchCode": covered.code, "cover": cover}},
    )
    assert errors_of(body, "addMembership") == []
    added = body["data"]["addMembership"]["membership"]
    midnight = datetime.combine(today, datetime.min.time(), ZoneInfo(zone))
    assert added["kind"] == "COVER"
    # a cover set up during its first day counts from then (the history says when it really began)
    assert midnight <= datetime.fromisoformat(added["startsAt"]) <= utcnow()
    assert datetime.fromisoformat(added["endsAt"]) == midnight + timedelta(days=1)

    # then it is visible as cover, with its end, in `me` and in the branch's staff list
    token = await api.token(number)
    mine = await api.post(ME, token=token, branch=covered.code)
    there = [m for m in mine["data"]["me"]["branchMemberships"] if m["branch"]["code"] == covered.code]
    assert there[0]["kind"] == "COVER" and datetime.fromisoformat(there[0]["endsAt"]) == midnight + timedelta(days=1)
    home = [m for m in mine["data"]["me"]["branchMemberships"] if m["branch"]["code"] == world.branch_a.code]
    assert home[0]["kind"] == "REGULAR" and home[0]["endsAt"] is None
    listed = await api.post(STAFF, token=token, branch=covered.code)
    mine_there = [e["node"] for e in listed["data"]["staff"]["edges"] if e["node"]["employeeNumber"] == number]
    assert mine_there[0]["membership"]["kind"] == "COVER"
    by_fragments = await api.post(STAFF_BY_FRAGMENTS, token=token, branch=covered.code)
    assert "errors" not in by_fragments, by_fragments
    assert [e["node"] for e in by_fragments["data"]["staff"]["edges"]] == [
        e["node"] for e in listed["data"]["staff"]["edges"]
    ]

    # when the clock reaches one minute before the end, the cover still counts …
    await shift_window(rt, covered, number, ends_at=utcnow() + timedelta(minutes=1))
    assert "errors" not in await api.post(STAFF, token=token, branch=covered.code)
    # … and one minute after the end, a request there is refused, while home still works
    await shift_window(rt, covered, number, ends_at=utcnow() - timedelta(minutes=1))
    refused = await api.post(STAFF, token=token, branch=covered.code)
    assert refused["errors"][0]["extensions"]["code"] == "BRANCH_ACCESS_DENIED"
    assert "errors" not in await api.post(STAFF, token=token, branch=world.branch_a.code)
    # and the ended cover is gone from `me`
    mine = await api.post(ME, token=token, branch=world.branch_a.code)
    assert covered.code not in [m["branch"]["code"] for m in mine["data"]["me"]["branchMemberships"]]


async def shift_window(rt, branch: Any, number: str, *, ends_at: datetime) -> None:
    """Move a cover in time as the clock would have moved past it: same length, ending at ``ends_at``."""
    row = await membership_row(rt, branch, number)
    assert row is not None and row.ends_at is not None
    delta = row.ends_at - ends_at
    async with rt.db.session(branch.id) as session:
        await session.execute(
            update(Membership)
            .where(Membership.tenant_id == branch.id, Membership.staff_id == row.staff_id)
            .values(starts_at=Membership.starts_at - delta, ends_at=Membership.ends_at - delta)
        )


async def test_a_cover_that_starts_tomorrow_does_not_count_today(rt, api, scene, world):
    number = await add_member(rt, world.branch_a, ["teller"])
    tomorrow = utcnow().astimezone(ZoneInfo(scene.branch.timezone)).date() + timedelta(days=1)
    cover = {"startsOn": tomorrow.isoformat(), "endsOn": (tomorrow + timedelta(days=13)).isoformat()}
    body = await as_admin(
        api,
        scene,
        ADD,
        {"i": {"employeeNumber": number, "roles": ["teller"], "branchCode": scene.branch.code, "cover": cover}},
    )
    assert errors_of(body, "addMembership") == []
    token = await api.token(number)
    refused = await api.post(STAFF, token=token, branch=scene.branch.code)
    assert refused["errors"][0]["extensions"]["code"] == "BRANCH_ACCESS_DENIED"

    # the branch's policy leaves the cover out, and knows that it goes stale when the cover starts
    from branchdesk.rbac import service as rbac

    async with rt.db.session(scene.branch.id) as session:
        rules = await rbac.branch_rules(session, scene.branch.id, {})
        staff = await session.scalar(select(Staff).where(Staff.employee_number == number))
    assert staff.id not in [staff_id for staff_id, _ in rules.assignments]
    assert rules.valid_until == datetime.combine(tomorrow, datetime.min.time(), ZoneInfo(scene.branch.timezone))


async def test_a_cover_period_must_be_today_or_later_and_end_after_it_starts(rt, api, scene):
    number = await new_staff(rt)
    today = utcnow().astimezone(ZoneInfo(scene.branch.timezone)).date()

    async def add(starts: date, ends: date) -> list[tuple[str, str | None]]:
        cover = {"startsOn": starts.isoformat(), "endsOn": ends.isoformat()}
        variables = {
            "i": {"employeeNumber": number, "roles": ["teller"], "branchCode": scene.branch.code, "cover": cover}
        }
        return errors_of(await as_admin(api, scene, ADD, variables), "addMembership")

    assert await add(today - timedelta(days=1), today) == [("COVER_IN_PAST", "cover.startsOn")]
    assert await add(today + timedelta(days=2), today + timedelta(days=1)) == [
        ("COVER_ENDS_BEFORE_START", "cover.endsOn")
    ]
    assert await membership_row(rt, scene.branch, number) is None


# --- movers --------------------------------------------------------------------------------------


async def test_a_transfer_keeps_history_and_who_can_answers_before_and_after(rt, api, scene, world):
    # given a customer manager of branch X, and compliance officers in X and in Y who audit
    x, y = (
        scene.branch,
        await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("H")),
    )
    number = await new_staff(rt)
    assert (
        errors_of(
            await as_admin(
                api, scene, ADD, {"i": {"employeeNumber": number, "roles": ["customer_manager"], "branchCode": x.code}}
            ),
            "addMembership",
        )
        == []
    )
    auditor_x, auditor_y = (
        await add_member(rt, x, ["compliance_officer"]),
        await add_member(rt, y, ["compliance_officer"]),
    )
    before = utcnow()

    # when head office transfers them to Y
    moved = await as_admin(
        api,
        scene,
        TRANSFER,
        {"i": {"employeeNumber": number, "fromBranchCode": x.code, "toBranchCode": y.code, "reason": "new post"}},
    )
    assert errors_of(moved, "transferStaff") == []
    assert moved["data"]["transferStaff"]["membership"] == {
        "branchCode": y.code,
        "kind": "REGULAR",
        "roles": [{"name": "customer_manager"}],
    }
    after = utcnow()

    # then X's history keeps the ended period, Y's holds the new one
    token_x, token_y = await api.token(auditor_x), await api.token(auditor_y)
    in_x = (await api.post(HISTORY, {"n": number}, token=token_x, branch=x.code))["data"]["membershipHistory"]
    assert [(p["roles"], p["endReason"]) for p in in_x] == [([{"name": "customer_manager"}], "new post")]
    assert in_x[0]["endsAt"] is not None and in_x[0]["endedBy"].startswith(scene.admin)
    in_y = (await api.post(HISTORY, {"n": number}, token=token_y, branch=y.code))["data"]["membershipHistory"]
    assert len(in_y) == 1 and in_y[0]["endsAt"] is None

    # and whoCan(at:) answers for before and after, in each branch
    async def could(token: str, branch: Any, at: datetime) -> int:
        body = await api.post(WHO_CAN, {"p": "client:write", "at": at.isoformat()}, token=token, branch=branch.code)
        assert "errors" not in body, body
        return len([h for h in body["data"]["whoCan"] if h["via"] == ["customer_manager"]])

    assert await could(token_x, x, before) == 1 and await could(token_x, x, after) == 0
    assert await could(token_y, y, before) == 0 and await could(token_y, y, after) == 1
    # who was a member of X at a moment, with which roles
    then = (await api.post(HISTORY, {"at": before.isoformat()}, token=token_x, branch=x.code))["data"][
        "membershipHistory"
    ]
    assert number in [p["staff"]["employeeNumber"] for p in then]
    now = (await api.post(HISTORY, {"at": after.isoformat()}, token=token_x, branch=x.code))["data"][
        "membershipHistory"
    ]
    assert number not in [p["staff"]["employeeNumber"] for p in now]


async def test_a_transfer_goes_to_another_branch(rt, api, scene):
    number = await add_member(rt, scene.branch, ["teller"])
    same = {"employeeNumber": number, "fromBranchCode": scene.branch.code, "toBranchCode": scene.branch.code}
    assert errors_of(await as_admin(api, scene, TRANSFER, {"i": same}), "transferStaff") == [
        ("SAME_BRANCH_TRANSFER", "toBranchCode")
    ]


async def test_a_transfer_into_a_branch_they_already_belong_to_is_refused_and_undone(rt, api, scene, world):
    number = await add_member(rt, scene.branch, ["teller"])
    await add_member(rt, world.branch_b, ["teller"], employee_number=number)
    moved = {"employeeNumber": number, "fromBranchCode": scene.branch.code, "toBranchCode": world.branch_b.code}
    assert errors_of(await as_admin(api, scene, TRANSFER, {"i": moved}), "transferStaff") == [
        ("ALREADY_A_MEMBER", "employeeNumber")
    ]
    assert await membership_row(rt, scene.branch, number) is not None  # nothing half-done


async def test_the_last_branch_head_cannot_leave_without_a_successor(rt, api, scene):
    only = {"employeeNumber": scene.head, "branchCode": scene.branch.code}
    assert errors_of(await as_admin(api, scene, REMOVE, {"i": only}), "removeMembership") == [
        ("LAST_BRANCH_HEAD", "employeeNumber")
    ]
    assert errors_of(
        await as_admin(api, scene, DEACTIVATE, {"i": {"employeeNumber": scene.head}}), "deactivateStaff"
    ) == [("LAST_BRANCH_HEAD", "employeeNumber")]
    # given a successor, the head may go
    await add_member(rt, scene.branch, ["branch_head"])
    removed = await as_admin(api, scene, REMOVE, {"i": only | {"reason": "retired"}})
    assert errors_of(removed, "removeMembership") == []
    assert await membership_row(rt, scene.branch, scene.head) is None


# --- leavers -------------------------------------------------------------------------------------


async def test_deactivation_ends_every_session_and_lists_service_accounts_for_reassignment(rt, api, scene):
    # given a branch head with two signed-in sessions who created a service account, and a successor
    number = await add_member(rt, scene.branch, ["branch_head"])
    first, second = await api.sign_in(number), await api.sign_in(number)
    token = first["accessToken"]
    created = await api.post(
        """mutation { createServiceAccount(input: {name: "Core feed", slug: "core-feed", permissions: ["staff:read"]})
           { errors { code } } }""",
        token=token,
        branch=scene.branch.code,
    )
    assert created["data"]["createServiceAccount"]["errors"] == []

    # when head office deactivates them
    body = await as_admin(api, scene, DEACTIVATE, {"i": {"employeeNumber": number, "reason": "left the bank"}})
    assert errors_of(body, "deactivateStaff") == []
    done = body["data"]["deactivateStaff"]
    assert done["staff"] == {"employeeNumber": number, "active": False}
    assert done["endedMemberships"] == [scene.branch.code]
    assert done["serviceAccountsToReassign"] == [
        {"branchCode": scene.branch.code, "clientId": f"{scene.branch.code}.core-feed", "name": "Core feed"}
    ]

    # then every session ends at once: the access token is refused, no refresh token works
    refused = await api.post(STAFF, token=token, branch=scene.branch.code)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for session in (first, second):
        again = await api.post(
            "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { errors { code } } }",
            {"t": session["refreshToken"]},
        )
        assert again["data"]["refreshSession"]["errors"] == [{"code": "REFRESH_TOKEN_INVALID"}]
    # the membership ended (history kept) and the branch was told through the outbox
    assert await membership_row(rt, scene.branch, number) is None
    async with rt.db.session(scene.branch.id) as session:
        staff = await session.scalar(select(Staff).where(Staff.employee_number == number))
        told = list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.job == "staff_deactivated", OutboxMessage.payload["staff_id"].astext == str(staff.id)
                )
            )
        )
    assert [m.tenant_id for m in told] == [scene.branch.id]
    head_token = await api.token(scene.head)
    history = await api.post(HISTORY, {"n": number}, token=head_token, branch=scene.branch.code)
    assert [p["endReason"] for p in history["data"]["membershipHistory"]] == ["left the bank"]

    # and they cannot be given a membership until reactivated
    add = {"i": {"employeeNumber": number, "roles": ["teller"], "branchCode": scene.branch.code}}
    assert errors_of(await as_admin(api, scene, ADD, add), "addMembership") == [("STAFF_DEACTIVATED", "employeeNumber")]
    back = await as_admin(api, scene, REACTIVATE, {"i": {"employeeNumber": number}})
    assert back["data"]["reactivateStaff"] == {"staff": {"active": True}, "errors": []}
    assert errors_of(await as_admin(api, scene, ADD, add), "addMembership") == []


# --- isolation -----------------------------------------------------------------------------------


async def test_a_branch_head_acts_on_their_own_branch_only(rt, api, world):
    # given a teller of B, and the head of A
    theirs = await add_member(rt, world.branch_b, ["teller"])
    token = await api.token(world.head_a)

    async def post(document: str, variables: dict[str, Any], field: str) -> list[tuple[str, str | None]]:
        return errors_of(await api.post(document, variables, token=token, branch=world.branch_a.code), field)

    not_found = [("NOT_FOUND", "branchCode")]
    assert (
        await post(
            ADD,
            {"i": {"employeeNumber": theirs, "roles": ["teller"], "branchCode": world.branch_b.code}},
            "addMembership",
        )
        == not_found
    )
    assert (
        await post(REMOVE, {"i": {"employeeNumber": theirs, "branchCode": world.branch_b.code}}, "removeMembership")
        == not_found
    )
    assert await post(REMOVE, {"i": {"employeeNumber": theirs}}, "removeMembership") == [
        ("NOT_FOUND", "employeeNumber")
    ]
    assert await post(DEACTIVATE, {"i": {"employeeNumber": theirs}}, "deactivateStaff") == [
        ("NOT_FOUND", "employeeNumber")
    ]
    assert await post(REACTIVATE, {"i": {"employeeNumber": theirs}}, "reactivateStaff") == [
        ("NOT_FOUND", "employeeNumber")
    ]
    moved = {"employeeNumber": theirs, "fromBranchCode": world.branch_b.code, "toBranchCode": world.branch_a.code}
    assert await post(TRANSFER, {"i": moved}, "transferStaff") == [("NOT_FOUND", "fromBranchCode")]
    history = await api.post(HISTORY, {"n": theirs}, token=token, branch=world.branch_a.code)
    assert history["data"]["membershipHistory"] == []

    # and B's member is untouched
    row = await membership_row(rt, world.branch_b, theirs)
    assert row is not None and row.roles == ["teller"]


async def test_history_needs_a_member_or_a_moment(api, world):
    token = await api.token(world.head_a)
    body = await api.post("{ membershipHistory { kind } }", token=token, branch=world.branch_a.code)
    assert body["errors"][0]["extensions"]["code"] == "HISTORY_FILTER_REQUIRED"


async def test_a_change_of_roles_starts_a_new_period_of_the_history(rt, api, scene):
    from branchdesk.access.principal import BranchRef, Principal
    from branchdesk.rbac import service as rbac

    number = await add_member(rt, scene.branch, ["teller"])
    async with rt.db.session(scene.branch.id) as session:
        staff = await session.scalar(select(Staff).where(Staff.employee_number == number))
        there = Principal.system("tests", BranchRef(scene.branch.id))
        await rbac.assign_role(session, there, staff.id, "lobby_manager", True, "more duties")

    token = await api.token(scene.head)
    periods = (await api.post(HISTORY, {"n": number}, token=token, branch=scene.branch.code))["data"][
        "membershipHistory"
    ]
    assert [([r["name"] for r in p["roles"]], p["endReason"]) for p in periods] == [
        (["teller"], "more duties"),
        (["lobby_manager", "teller"], None),
    ]
    assert periods[0]["endsAt"] == periods[1]["startsAt"] and periods[1]["startReason"] == "more duties"


async def test_a_branch_head_leaves_deactivating_someone_placed_elsewhere_to_head_office(rt, api, scene, world):
    # given a teller of the scene's branch who also covers branch B
    number = await add_member(rt, scene.branch, ["teller"])
    await add_member(rt, world.branch_b, ["teller"], employee_number=number)
    token = await api.token(scene.head)
    body = await api.post(DEACTIVATE, {"i": {"employeeNumber": number}}, token=token, branch=scene.branch.code)
    assert errors_of(body, "deactivateStaff") == [("FORBIDDEN", None)]
    assert await membership_row(rt, scene.branch, number) is not None
    assert await membership_row(rt, world.branch_b, number) is not None
