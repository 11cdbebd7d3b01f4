"""The one unit of work: authenticate, bind the transaction to one branch once, then run.

A request, a job and a CLI command start the same way. :meth:`Gate.enter` binds the caller's
transaction to the branch it names and checks, in one more statement, that the caller may act there;
a job or command acts as the system in the branch it was given (:func:`system_work`). The only way to
write into another branch than the bound one is :func:`across`, for head office and the system.

An unknown branch and a branch the caller is not a member of give the same answer.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access import errors, repository
from branchdesk.access.identity import Identity
from branchdesk.access.policy import BranchPolicy, PolicyCache, service_subject, staff_subject
from branchdesk.access.principal import BranchRef, Principal, StaffCard
from branchdesk.platform.audit import Author
from branchdesk.platform.database import Database, bind_branch, bound_branch
from branchdesk.platform.errors import DomainError, Forbidden, Unauthenticated


class BranchDirectory:
    """Branch code → id and level, kept by the process. A code names one branch for good (codes are
    unique and branches are closed, never deleted), so entries never go stale; unknown codes are not kept."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._known: OrderedDict[str, repository.BranchKey] = OrderedDict()
        self.max_entries = max_entries

    async def find(self, session: AsyncSession, code: str) -> repository.BranchKey | None:
        key = self._known.get(code)
        if key is None:
            key = await repository.branch_key(session, code)
            if key is None:
                return None
            self._known[code] = key
            if len(self._known) > self.max_entries:
                self._known.popitem(last=False)
        return key


@dataclass
class Gate:
    """How a caller gets into a branch: the process's policies and branch directory."""

    policies: PolicyCache
    directory: BranchDirectory = field(default_factory=BranchDirectory)

    async def enter(self, session: AsyncSession, identity: Identity, branch_code: str | None) -> Principal:
        """Bind ``session``'s transaction to the branch named by ``branch_code`` (X-Branch) and return who
        acts there: one statement (the binding, then the caller's standing: ``enter_branch``), plus the
        branch's policy when this process has not loaded it yet."""
        service = identity.service_account_id is not None
        if service and branch_code is not None and branch_code != identity.service_branch:
            raise DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=branch_code)
        code = identity.service_branch if service else branch_code
        if not code:
            raise DomainError(errors.BRANCH_REQUIRED, field="X-Branch")
        key = await self.directory.find(session, code) if len(code) <= 16 else None
        if key is None:
            raise DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=code)
        subject_id = identity.service_account_id if service else identity.staff_id
        assert subject_id is not None
        found = await repository.enter(session, key.id, subject_id, service=service)
        try:
            admitted = self._admit(found, code)
        except DomainError:
            await bind_branch(session, None)  # refused: nothing else may run in that branch
            raise
        policy = await self.policies.for_branch(session, key.id)
        return self._principal(identity, admitted, BranchRef(key.id, code, key.head_office), policy)

    async def enter_each(
        self, session: AsyncSession, identities: Sequence[Identity], branch_code: str
    ) -> list[Principal | DomainError]:
        """:meth:`enter` for many staff members at once (the subscribers an event wakes): the same binding,
        one standing statement for all of them and the branch's policy; each gets who acts for them in the
        branch, or why they cannot. The session stays bound to the branch for reads the admitted make."""
        key = await self.directory.find(session, branch_code) if len(branch_code) <= 16 else None
        if key is None:
            return [DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=branch_code) for _ in identities]
        await bind_branch(session, key.id)
        subjects = [i.staff_id for i in identities if i.staff_id is not None]
        found = await repository.standings(session, key.id, subjects)
        branch = BranchRef(key.id, branch_code, key.head_office)
        policy = await self.policies.for_branch(session, key.id)
        answers: list[Principal | DomainError] = []
        for identity in identities:
            try:
                admitted = self._admit(found.get(identity.staff_id) if identity.staff_id else None, branch_code)
            except DomainError as exc:
                answers.append(exc)
                continue
            answers.append(self._principal(identity, admitted, branch, policy))
        return answers

    @staticmethod
    def _admit(found: repository.Standing | None, code: str) -> repository.Standing:
        """The standing of a subject who may act in the branch; refused when gone or disabled, not a member,
        or the branch is not active."""
        if found is None or not found.active:
            raise Unauthenticated()
        if not found.member:
            raise DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=code)
        if found.branch_status != "active":
            raise DomainError(
                errors.BRANCH_SUSPENDED,
                field="X-Branch",
                code=code,
                status=found.branch_status,
                status_zh=errors.STATUS_ZH.get(found.branch_status, found.branch_status),
            )
        return found

    @staticmethod
    def _principal(
        identity: Identity, found: repository.Standing, branch: BranchRef, policy: BranchPolicy
    ) -> Principal:
        if identity.service_account_id is not None:
            subject_id = identity.service_account_id
            return Principal(
                subject=service_subject(subject_id),
                author=Author("service", subject_id, found.name or ""),
                branch=branch,
                policy=policy,
                scope=identity.scope,
            )
        assert identity.staff_id is not None
        return Principal(
            subject=staff_subject(identity.staff_id),
            author=Author("staff", identity.staff_id, f"{found.number} {found.name}"),
            branch=branch,
            policy=policy,
            staff_id=identity.staff_id,
            card=StaffCard(found.number or "", found.name or ""),
        )


@asynccontextmanager
async def system_work(
    db: Database, label: str, branch_id: uuid.UUID | None = None
) -> AsyncIterator[tuple[AsyncSession, Principal]]:
    """A job's or command's unit of work: one transaction bound to ``branch_id`` (or to none: platform
    tables only), the system acting; commits on success."""
    async with db.session(branch_id) as session:
        yield session, Principal.system(label, BranchRef(branch_id) if branch_id else None)


@asynccontextmanager
async def across(session: AsyncSession, by: Principal, branch_id: uuid.UUID) -> AsyncIterator[Principal]:
    """Head office (or the system) writing into another branch, e.g. onboarding it: the transaction is
    bound to that branch inside the block, and back to the caller's after it. What is written there is
    audited in that branch's trail by the service that writes it."""
    if not (by.is_system or by.in_head_office):
        raise Forbidden("head office")
    previous = bound_branch(session)
    await bind_branch(session, branch_id)
    try:
        yield by.moved_to(BranchRef(branch_id))
    except DBAPIError:
        raise  # the transaction is aborted: no statement can run, and the error must not be hidden
    except BaseException:
        await bind_branch(session, previous)
        raise
    await bind_branch(session, previous)
