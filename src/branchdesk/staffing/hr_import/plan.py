"""The HR feed compared with the database: what each row asks for, and the plan of changes.

A row is a person's membership of one branch. The file is compared with the current state (read in a
few statements, whatever its length) into a plan of changes; a file with any bad row changes nothing
and every bad row is reported with its column. Otherwise, unless it is a dry run, the plan is written:

- a new employee number is a new identity (``staffing.service.create_staff``: activation follows);
- a row without a membership in its branch adds one; a start date after today makes it start then, an
  end date makes it end after that day (branch-local midnight, like a cover). A row with an end date is
  a *cover* when the person has a home elsewhere (another row of theirs without an end date, or an
  open-ended regular membership of a branch the file does not cover); otherwise it is a fixed-term
  regular membership (an intern, a contractor);
- other roles than the membership's are set; other dates end the membership and start it again with
  them (``window_changed``: the history shows both);
- a row whose end date has passed, or a membership in a covered branch that the person's rows no longer
  list (a move to another branch), ends the membership;
- someone with a membership in a covered branch who is absent from the file is a *leaver*: reported,
  and deactivated (``staffing.service.deactivate``) only with ``apply_leavers``; a leaver who is also
  placed in a branch the file does not cover is not leaving the bank, so only their memberships in the
  covered branches end.

The identity details (name, email, phone) of someone who exists already are not changed by the feed.
Every change is in the branch's audit trail, by the system principal named after the file. Running the
same file again changes nothing: every row is ``unchanged``.
"""

from __future__ import annotations

import enum
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.clock import utcnow
from branchdesk.rbac.permissions import BRANCH_HEAD, HEAD_OFFICE_ROLES
from branchdesk.staffing import service as staffing
from branchdesk.staffing.hr_import import repository
from branchdesk.staffing.hr_import.feed import Code, FeedRow, Issue
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import Branch, BranchLevel, MembershipKind, StaffStatus

# Opens a short cross-branch (platform scope) session, e.g. ``Database.platform_session``.
PlatformSessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class ChangeKind(enum.StrEnum):
    CREATED = "created"  # a new identity
    MEMBERSHIP_ADDED = "membership_added"
    ROLES_CHANGED = "roles_changed"
    WINDOW_CHANGED = "window_changed"
    ENDED = "ended"
    UNCHANGED = "unchanged"
    LEAVER = "leaver"  # absent from the file: reported only
    DEACTIVATED = "deactivated"  # a leaver, with apply_leavers


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    employee_number: str
    branch_code: str | None = None
    row: int | None = None
    roles: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    window: tenants.Window | None = None
    person: staffing.NewStaff | None = None  # CREATED: who


@dataclass(frozen=True)
class Held:
    """A membership that has not ended, as the database has it."""

    branch_id: uuid.UUID
    branch_code: str
    staff_id: uuid.UUID
    employee_number: str
    roles: tuple[str, ...]
    kind: MembershipKind
    starts_at: datetime
    ends_at: datetime | None


@dataclass(frozen=True)
class Known:
    """An identity that exists: the columns the import needs."""

    id: uuid.UUID
    status: StaffStatus


@dataclass
class State:
    now: datetime
    branches: dict[str, Branch]
    staff: dict[str, Known]  # by employee number
    held: dict[tuple[str, str], Held] = field(default_factory=dict)  # (employee number, branch code)
    covered: set[str] = field(default_factory=set)  # branch codes in the file


def _midnight(branch: Branch, day: date) -> datetime:
    return datetime.combine(day, time(0), zoneinfo.ZoneInfo(branch.timezone))


def _wanted_window(state: State, branch: Branch, row: FeedRow, home_elsewhere: bool) -> tenants.Window | None:
    """When the row's membership counts (starts None: from now); None when it has ended already."""
    today = state.now.astimezone(zoneinfo.ZoneInfo(branch.timezone)).date()
    starts = _midnight(branch, row.start_date) if row.start_date is not None and row.start_date > today else None
    ends = _midnight(branch, row.end_date + timedelta(days=1)) if row.end_date is not None else None
    if ends is not None and ends <= state.now:
        return None
    kind = MembershipKind.COVER if row.end_date is not None and home_elsewhere else MembershipKind.REGULAR
    return tenants.Window(kind, starts, ends)


def _same_window(held: Held, wanted: tenants.Window, now: datetime) -> bool:
    started = held.starts_at <= now if wanted.starts_at is None else held.starts_at == wanted.starts_at
    return started and held.kind is wanted.kind and held.ends_at == wanted.ends_at


async def load_state(session: AsyncSession, platform: PlatformSessions, numbers: set[str], codes: set[str]) -> State:
    now = utcnow()
    branches = {b.code: b for b in await repository.branches_by_codes(session, sorted(codes))} if codes else {}
    found = await repository.staff_by_numbers(session, sorted(numbers)) if numbers else []
    staff = {s.employee_number: Known(s.id, s.status) for s in found}
    state = State(now, branches, staff, covered={c for c in codes if c in branches})
    covered_ids = [branches[c].id for c in state.covered]
    if covered_ids or staff:
        async with platform() as platform_session:
            placed = await repository.placements(platform_session, covered_ids, [s.id for s in staff.values()], now)
        for p in placed:
            held = Held(
                p.tenant_id,
                p.code,
                p.staff_id,
                p.employee_number,
                tuple(sorted(p.roles)),
                p.kind,
                p.starts_at,
                p.ends_at,
            )
            state.held[(p.employee_number, p.code)] = held
            state.staff.setdefault(p.employee_number, Known(p.staff_id, p.status))
    return state


def check_against_state(
    state: State, rows: list[FeedRow], feed_codes: dict[int, str], numbers: dict[int, str]
) -> tuple[list[FeedRow], list[Issue]]:
    issues = []
    for row, code in sorted(feed_codes.items()):
        if code not in state.branches:
            issues.append(Issue(row, "branch_code", Code.BRANCH_UNKNOWN, f"No branch has the code {code}."))
    for row, number in sorted(numbers.items()):
        known = state.staff.get(number)
        if known is not None and known.status is not StaffStatus.ACTIVE:
            message = f"{number} has left the bank: reactivate them first (branchdesk staff reactivate {number})."
            issues.append(Issue(row, "employee_number", Code.STAFF_DEACTIVATED, message))
    kept = []
    for feed_row in rows:
        branch = state.branches.get(feed_row.branch_code)
        if branch is None:
            continue
        outside = sorted(set(feed_row.roles) & HEAD_OFFICE_ROLES) if branch.level is not BranchLevel.HEAD_OFFICE else []
        if outside:
            message = f"{', '.join(outside)} is held in the head office only, not in {branch.code}."
            issues.append(Issue(feed_row.row, "roles", Code.HEAD_OFFICE_ROLE, message))
            continue
        known = state.staff.get(feed_row.employee_number)
        if known is None or known.status is StaffStatus.ACTIVE:
            kept.append(feed_row)
    return kept, issues


def _row_change(state: State, feed_row: FeedRow, held: Held | None, wanted: tenants.Window | None) -> Change:
    """What one row asks of the membership it names."""
    where = (feed_row.employee_number, feed_row.branch_code, feed_row.row)
    if wanted is None:  # it ended already
        return (
            Change(ChangeKind.UNCHANGED, *where)
            if held is None
            else Change(ChangeKind.ENDED, *where, before=held.roles)
        )
    if held is None:
        return Change(ChangeKind.MEMBERSHIP_ADDED, *where, roles=feed_row.roles, window=wanted)
    if not _same_window(held, wanted, state.now):
        return Change(ChangeKind.WINDOW_CHANGED, *where, roles=feed_row.roles, before=held.roles, window=wanted)
    if held.roles != feed_row.roles:
        return Change(ChangeKind.ROLES_CHANGED, *where, roles=feed_row.roles, before=held.roles)
    return Change(ChangeKind.UNCHANGED, *where, roles=held.roles)


def plan_changes(state: State, rows: list[FeedRow], apply_leavers: bool) -> list[Change]:
    created: list[Change] = []
    changes: list[Change] = []
    by_person: dict[str, list[FeedRow]] = defaultdict(list)
    for feed_row in rows:
        by_person[feed_row.employee_number].append(feed_row)
    held_by_person: dict[str, list[Held]] = defaultdict(list)
    for held in state.held.values():
        held_by_person[held.employee_number].append(held)
    for number, person_rows in by_person.items():
        placed = held_by_person[number]
        outside_home = any(
            h.kind is MembershipKind.REGULAR and h.ends_at is None and h.branch_code not in state.covered
            for h in placed
        )
        person_changes = []
        for feed_row in person_rows:
            home_elsewhere = outside_home or any(
                r.end_date is None for r in person_rows if r.branch_code != feed_row.branch_code
            )
            wanted = _wanted_window(state, state.branches[feed_row.branch_code], feed_row, home_elsewhere)
            current = state.held.get((number, feed_row.branch_code))
            person_changes.append(_row_change(state, feed_row, current, wanted))
        if number not in state.staff and any(c.kind is ChangeKind.MEMBERSHIP_ADDED for c in person_changes):
            first = person_rows[0]
            person = staffing.NewStaff(number, first.name, first.email, first.phone)
            created.append(Change(ChangeKind.CREATED, number, row=first.row, person=person))
        listed = {r.branch_code for r in person_rows}
        changes += person_changes
        changes += [
            Change(ChangeKind.ENDED, number, h.branch_code, before=h.roles)
            for h in placed
            if h.branch_code in state.covered and h.branch_code not in listed
        ]
    for number, placed in sorted(held_by_person.items()):
        if number in by_person or not any(h.branch_code in state.covered for h in placed):
            continue
        covered = sorted(h.branch_code for h in placed if h.branch_code in state.covered)
        elsewhere = any(h.branch_code not in state.covered for h in placed)
        if not apply_leavers:
            changes.append(Change(ChangeKind.LEAVER, number, ",".join(covered)))
        elif elsewhere:  # still placed in a branch the file does not cover: not leaving the bank
            changes += [
                Change(ChangeKind.ENDED, number, code, before=state.held[(number, code)].roles) for code in covered
            ]
        else:
            changes.append(Change(ChangeKind.DEACTIVATED, number, ",".join(covered)))
    return created + changes


def _current(window: tenants.Window | None, now: datetime) -> bool:
    return window is None or (
        (window.starts_at is None or window.starts_at <= now) and (window.ends_at is None or now < window.ends_at)
    )


def check_branch_heads(state: State, changes: list[Change]) -> list[Issue]:
    """A branch keeps a current branch head (the staffing rule): a plan leaving a covered branch without
    one is refused, naming the rows that take the last one away."""
    heads: dict[str, dict[str, bool]] = defaultdict(dict)  # branch code → employee number → head now
    for held in state.held.values():
        if held.branch_code in state.covered:
            now_current = held.starts_at <= state.now and (held.ends_at is None or state.now < held.ends_at)
            heads[held.branch_code][held.employee_number] = BRANCH_HEAD in held.roles and now_current
    before = {code: any(h.values()) for code, h in heads.items()}
    causes: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        for code in (change.branch_code or "").split(","):
            if code not in heads and code not in state.covered:
                continue
            if change.kind in {ChangeKind.ENDED, ChangeKind.DEACTIVATED}:
                heads[code][change.employee_number] = False
            elif change.kind in {ChangeKind.MEMBERSHIP_ADDED, ChangeKind.ROLES_CHANGED, ChangeKind.WINDOW_CHANGED}:
                heads[code][change.employee_number] = BRANCH_HEAD in change.roles and _current(change.window, state.now)
            else:
                continue
            was = state.held.get((change.employee_number, code))
            if was is not None and BRANCH_HEAD in was.roles:
                causes[code].append(change)
    issues = []
    for code, after in sorted(heads.items()):
        branch = state.branches[code]
        if branch.level is BranchLevel.HEAD_OFFICE or not before.get(code) or any(after.values()):
            continue
        for change in causes[code]:
            keep = change.employee_number
            message = f"{code} would have no branch head: list a successor with branch_head, or keep {keep}."
            issues.append(Issue(change.row or 0, "roles", Code.LAST_BRANCH_HEAD, message))
    return issues
