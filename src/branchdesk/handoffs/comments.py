"""Comments on handoffs, clients and tickets, with @mentions.

A comment is written and read by whoever may see its subject: a handoff (or a ticket, which is a
handoff) the caller sees, a client in the caller's data scope. ``@E0101002`` in the body, or a staff id
given alongside, notifies that member of the branch, once per comment.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import service as crm
from branchdesk.handoffs import errors, kinds, repository
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.models import Comment
from branchdesk.handoffs.permissions import COMMENT_WRITE, HANDOFF_RAISE
from branchdesk.handoffs.rules import LABELS, SubjectType
from branchdesk.notifications import service as notifications
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants

MENTION = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9]{1,31})\b")
MAX_MENTIONS = 20


async def _check_subject(session: AsyncSession, by: Principal, subject: SubjectType, subject_id: uuid.UUID) -> None:
    """The subject must be one the caller sees; another branch's, or one out of reach, is not found."""
    if subject is SubjectType.CLIENT:
        found = bool(await crm.clients_by_id(session, by, [subject_id]))
    else:
        found = bool(await handoffs.handoffs_by_id(session, by, [subject_id]))
    if not found:
        en, zh = LABELS[SubjectType][subject.value]
        raise NotFound(en, zh, field="subjectId")


async def add_comment(
    session: AsyncSession,
    by: Principal,
    subject: SubjectType,
    subject_id: uuid.UUID,
    body: str,
    mention_ids: Sequence[uuid.UUID] = (),
) -> Comment:
    """Comment on a subject the caller sees; each member mentioned (by ``@number`` or id) is notified once."""
    by.require(COMMENT_WRITE)
    text = body.strip()
    if not 1 <= len(text) <= 4000:
        raise DomainError(errors.COMMENT_LENGTH, field="body")
    await _check_subject(session, by, subject, subject_id)
    now = utcnow()
    numbers = list(dict.fromkeys(m.upper() for m in MENTION.findall(text)))[:MAX_MENTIONS]
    by_number = await repository.members_by_number(session, by.branch_id, numbers, now)
    named = []
    for staff_id in mention_ids:
        if await tenants.membership(session, by.branch_id, staff_id) is None:
            raise NotFound("Staff member", "员工", field="mentionIds")
        named.append(staff_id)
    mentioned = [m for m in dict.fromkeys([*by_number.values(), *named]) if not by.owns(m)]
    comment = Comment(
        id=new_id(),
        tenant_id=by.branch_id,
        subject_type=subject.value,
        subject_id=subject_id,
        author_id=by.staff_id,
        body=text,
        mentions=[str(m) for m in mentioned],
        created_at=now,
    )
    session.add(comment)
    await session.flush()
    details = {"subject": subject.value, "subject_id": str(subject_id), "mentions": len(mentioned)}
    await audit.record(session, by.branch_id, by.author, "comment.added", "comment", comment.id, details)
    if mentioned:
        author = by.card.display_name if by.card else by.author.label
        await notifications.notify(
            session,
            by.branch_id,
            mentioned,
            kind=kinds.MENTIONED,
            key=f"comment.mentioned:{comment.id}",
            title=f"{author} @您 · mentioned you",
            body=text[:500],
            subject=(subject.value, subject_id),
        )
    return comment


async def list_comments(
    session: AsyncSession, by: Principal, subject: SubjectType, subject_id: uuid.UUID, page: PageRequest
) -> Page[Comment]:
    """A subject's comments, oldest first unless ``page`` says otherwise."""
    by.require(HANDOFF_RAISE if subject is not SubjectType.CLIENT else COMMENT_WRITE)
    await _check_subject(session, by, subject, subject_id)
    stmt = repository.comments_query(by.branch_id, subject.value, subject_id)
    return await keyset(session, stmt, (Comment.created_at, Comment.id), page, lambda row: row)


async def count_comments(session: AsyncSession, by: Principal, subject: SubjectType, subject_id: uuid.UUID) -> int:
    await _check_subject(session, by, subject, subject_id)
    return await count(session, repository.comments_query(by.branch_id, subject.value, subject_id))


async def comments_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Comment]:
    """Comments by id for ``node``: only those whose subject the caller sees; never an error."""
    if not by.can(COMMENT_WRITE) and not by.can(HANDOFF_RAISE):
        return []
    found = await repository.comments_by_id(session, by.branch_id, ids)
    on_clients = list({c.subject_id for c in found if c.subject_type == SubjectType.CLIENT})
    on_work = list({c.subject_id for c in found if c.subject_type != SubjectType.CLIENT})
    seen = {c.id for c in await crm.clients_by_id(session, by, on_clients)} if on_clients else set()
    seen |= {h.id for h in await handoffs.handoffs_by_id(session, by, on_work)} if on_work else set()
    return [c for c in found if c.subject_id in seen]
