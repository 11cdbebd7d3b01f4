"""The HR feed: make the branches a file covers look like the file says, in one transaction.

The file is read and checked (``feed``), compared with the current state into a plan (``plan``, which
says what each row means), and, unless it is a dry run or has a bad row, the plan is written here:
identities through ``staffing.service.create_staff``, memberships through ``rbac`` (periods, policy
history, caches), leavers through ``staffing.service.deactivate``, every change in the branch's audit
trail by the system principal named after the file.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.access.unit_of_work import across
from branchdesk.platform import audit
from branchdesk.platform.errors import NotFound
from branchdesk.rbac import service as rbac
from branchdesk.staffing import service as staffing
from branchdesk.staffing.hr_import.feed import COLUMNS, Issue, read_feed
from branchdesk.staffing.hr_import.plan import (
    Change,
    ChangeKind,
    PlatformSessions,
    State,
    check_against_state,
    check_branch_heads,
    load_state,
    plan_changes,
)
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import Branch, Membership

__all__ = ["Change", "ChangeKind", "ImportResult", "PlatformSessions", "import_feed", "importer", "plan_import"]

# (phase, done, total): the CLI draws a progress bar from it; the domain knows no terminal.
Progress = Callable[[str, int, int], None]
CHECKING, WRITING = "checking", "writing"


@dataclass
class ImportResult:
    file_name: str
    total_rows: int
    issues: list[Issue]
    changes: list[Change]
    dry_run: bool
    apply_leavers: bool
    applied: bool = False

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.changes if change.kind is kind)

    @property
    def counts(self) -> dict[ChangeKind, int]:
        return {kind: self.count(kind) for kind in ChangeKind}

    @property
    def leavers(self) -> list[Change]:
        return [c for c in self.changes if c.kind in {ChangeKind.LEAVER, ChangeKind.DEACTIVATED}]


def importer(file_name: str, office: Branch) -> Principal:
    """The system principal an import acts as: the audit trail names it and the file. Placed in the head
    office, whose trail records the new identities, so that ``create_staff`` finds it without a query."""
    return Principal.system(f"hr-import {file_name}"[:120], BranchRef(office.id, office.code, head_office=True))


async def _prepare(
    session: AsyncSession,
    platform: PlatformSessions,
    data: bytes,
    file_name: str,
    apply_leavers: bool,
    dry_run: bool,
) -> tuple[ImportResult, State]:
    feed = read_feed(data)
    numbers, codes = set(feed.employee_numbers.values()), set(feed.branch_codes.values())
    state = await load_state(session, platform, numbers, codes)
    rows, issues = check_against_state(state, feed.rows, feed.branch_codes, feed.employee_numbers)
    changes = plan_changes(state, rows, apply_leavers)
    issues = feed.issues + issues + check_branch_heads(state, changes)
    issues.sort(key=lambda i: (i.row, COLUMNS.index(i.column) if i.column in COLUMNS else -1))
    return ImportResult(file_name, feed.total_rows, issues, changes, dry_run, apply_leavers), state


async def plan_import(
    session: AsyncSession,
    platform: PlatformSessions,
    data: bytes,
    file_name: str,
    *,
    apply_leavers: bool = False,
) -> ImportResult:
    """Read and check the file and compare it with the database: the changes it would make, writing nothing."""
    result, _ = await _prepare(session, platform, data, file_name, apply_leavers, dry_run=True)
    return result


def _details(result: ImportResult, change: Change, membership: Membership | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {
        "employee_number": change.employee_number,
        "source": "hr-import",
        "file": result.file_name,
        "row": change.row,
    }
    if membership is not None:
        details |= {
            "kind": membership.kind.value,
            "roles": sorted(membership.roles),
            "starts_at": membership.starts_at.isoformat(),
            "ends_at": membership.ends_at.isoformat() if membership.ends_at else None,
        }
    return details


async def _write(
    session: AsyncSession,
    there: Principal,
    result: ImportResult,
    branch: Branch,
    change: Change,
    staff_id: uuid.UUID,
    reason: str,
) -> None:
    """One membership change in ``branch`` (the transaction bound to it), through ``rbac`` so that the
    policy history, the membership periods and the policy caches follow, and in the branch's trail."""
    author = there.author
    if change.kind is ChangeKind.ROLES_CHANGED:
        await rbac.set_roles(session, there, staff_id, list(change.roles), reason)  # recorded by rbac
        return
    if change.kind in {ChangeKind.ENDED, ChangeKind.WINDOW_CHANGED}:
        await rbac.remove_roles(session, there, staff_id, reason)
    if change.kind is ChangeKind.ENDED:
        details = _details(result, change)
        await audit.record(session, branch.id, author, "staff.membership_removed", "staff", staff_id, details)
        return
    membership = await rbac.set_roles(session, there, staff_id, list(change.roles), reason, change.window)
    action = "staff.membership_added" if change.kind is ChangeKind.MEMBERSHIP_ADDED else "staff.membership_changed"
    await audit.record(session, branch.id, author, action, "staff", staff_id, _details(result, change, membership))


_ORDER = {
    ChangeKind.MEMBERSHIP_ADDED: 0,
    ChangeKind.ROLES_CHANGED: 1,
    ChangeKind.WINDOW_CHANGED: 2,
    ChangeKind.ENDED: 3,
}


async def import_feed(
    session: AsyncSession,
    platform: PlatformSessions,
    data: bytes,
    file_name: str,
    *,
    dry_run: bool = False,
    apply_leavers: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Plan the file and, unless it is a dry run or has a bad row, write the plan in the caller's
    transaction (all of it or, on any error, none: the caller's transaction rolls back). Reads the
    memberships across branches in short sessions from ``platform``: a cross-branch session left open
    while a long import writes would pass the server's idle-in-transaction timeout."""
    tick = progress or (lambda phase, done, total: None)
    tick(CHECKING, 0, 1)
    result, state = await _prepare(session, platform, data, file_name, apply_leavers, dry_run)
    tick(CHECKING, 1, 1)
    if dry_run or result.issues:
        return result
    work = [c for c in result.changes if c.kind not in {ChangeKind.UNCHANGED, ChangeKind.LEAVER}]
    if work:
        office = await tenants.head_office(session)
        if office is None:  # no bank yet: nothing to import into
            raise NotFound("Branch", "网点", field="branchCode")
        by = importer(file_name, office)
        async with across(session, by, office.id):
            await _apply(session, platform, by, result, state, work, tick)
    result.applied = True
    return result


async def _apply(
    session: AsyncSession,
    platform: PlatformSessions,
    by: Principal,
    result: ImportResult,
    state: State,
    work: list[Change],
    tick: Progress,
) -> None:
    """Write the plan: identities first, then each branch's memberships (bound to it once), then leavers."""
    reason = f"HR import {result.file_name}"[:500]
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if done % 50 == 0 or done == len(work):
            tick(WRITING, done, len(work))

    tick(WRITING, 0, len(work))
    ids = {number: known.id for number, known in state.staff.items()}
    for change in (c for c in work if c.kind is ChangeKind.CREATED):
        assert change.person is not None
        ids[change.employee_number] = (await staffing.create_staff(session, by, change.person)).id
        step()
    per_branch: dict[str, list[Change]] = defaultdict(list)
    for change in work:
        if change.kind in _ORDER and change.branch_code is not None:
            per_branch[change.branch_code].append(change)
    for code, branch_changes in sorted(per_branch.items()):
        branch = state.branches[code]
        async with across(session, by, branch.id) as there:
            for change in sorted(branch_changes, key=lambda c: _ORDER[c.kind]):
                await _write(session, there, result, branch, change, ids[change.employee_number], reason)
                step()
    for change in (c for c in work if c.kind is ChangeKind.DEACTIVATED):
        async with platform() as platform_session:
            await staffing.deactivate(session, by, platform_session, change.employee_number, reason)
        step()
