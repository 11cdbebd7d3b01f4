"""The satisfaction survey a resolved complaint sends: one invitation per complaint (a unique key, so a
re-delivered job sends nothing twice), with a token the client answers through, delivered like
activation notices are (a pluggable delivery named by the ``survey_notifier`` setting). A client who is
anonymous, asked not to be contacted or consents to no channel a link can go on gets no survey: the
invitation is recorded as not sent, with the reason."""

from __future__ import annotations

import importlib
import inspect
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import service as crm
from branchdesk.feedback import service as feedback
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.ids import new_id
from branchdesk.surveys import repository
from branchdesk.surveys.rules import INVITATION_CHANNELS, InvitationStatus, NotSentReason, SubjectType
from branchdesk.surveys.service import token_hash

JOB = "send_complaint_survey"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Invitation:
    """What a delivery needs: who, on which channel, which survey, and the token (never stored)."""

    invitation_id: uuid.UUID
    branch_id: uuid.UUID
    client_id: uuid.UUID
    channel: str
    survey_title_zh: str
    survey_title_en: str
    token: str


@dataclass(frozen=True)
class Outcome:
    invitation_id: uuid.UUID | None  # None: the complaint had an invitation already
    status: InvitationStatus | None
    reason: NotSentReason | None
    delivery: Invitation | None


def log_invitation(invitation: Invitation) -> None:
    """The default delivery: one log line, without the token or any personal data."""
    log.info("survey invitation issued", invitation_id=str(invitation.invitation_id), channel=invitation.channel)


@cache
def notifier(path: str) -> Callable[[Invitation], Any]:
    module, _, name = path.partition(":")
    found = getattr(importlib.import_module(module), name)
    if not callable(found):
        raise TypeError(f"survey_notifier {path!r} is not callable")
    return found  # type: ignore[no-any-return]


async def deliver(path: str, invitation: Invitation) -> None:
    result = notifier(path)(invitation)
    if inspect.isawaitable(result):
        await result


def _channel(consents: list[str]) -> str | None:
    return next((c for c in INVITATION_CHANNELS if c in consents), None)


async def invite_after_complaint(session: AsyncSession, by: Principal, complaint_id: uuid.UUID) -> Outcome | None:
    """Create the complaint's invitation (once), sent or not with the reason. None when the complaint is
    not (or no longer) there. The caller delivers ``Outcome.delivery`` in the same transaction."""
    found = await feedback.feedback_by_id(session, by, [complaint_id])
    if not found or found[0].state is None:
        return None
    complaint = found[0]
    subject = SubjectType.COMPLAINT.value
    if await repository.invitation_of(session, by.branch_id, subject, complaint.id) is not None:
        return Outcome(None, None, None, None)
    survey = await repository.latest_satisfaction_survey(session, by.branch_id)
    client = (await crm.clients_by_id(session, by, [complaint.client_id]))[0] if complaint.client_id else None
    reason: NotSentReason | None = None
    channel = None
    if client is None:
        reason = NotSentReason.ANONYMOUS
    elif client.do_not_contact:
        reason = NotSentReason.DO_NOT_CONTACT
    elif (channel := _channel(client.consents)) is None:
        reason = NotSentReason.NO_CONSENT
    elif survey is None:
        reason = NotSentReason.NO_SURVEY
    now = utcnow()
    token = secrets.token_urlsafe(24) if reason is None else None
    status = InvitationStatus.SENT if reason is None else InvitationStatus.NOT_SENT
    row = {
        "tenant_id": by.branch_id,
        "id": new_id(),
        "survey_id": survey.id if survey is not None else None,
        "client_id": complaint.client_id,
        "subject_type": subject,
        "subject_id": complaint.id,
        "rated_staff_id": complaint.assignee_id,
        "status": status.value,
        "reason": reason.value if reason else None,
        "channel": channel if reason is None else None,
        "token_hash": token_hash(token) if token else None,
        "sent_at": now if reason is None else None,
        "created_at": now,
    }
    invitation_id = await repository.record_invitation(session, row)
    if invitation_id is None:
        return Outcome(None, None, None, None)
    details = {"complaint_id": str(complaint.id), "status": status.value, "reason": reason.value if reason else None}
    await audit.record(session, by.branch_id, by.author, "survey.invited", "survey_invitation", invitation_id, details)
    delivery = None
    if token is not None and survey is not None and client is not None and channel is not None:
        delivery = Invitation(invitation_id, by.branch_id, client.id, channel, survey.title_zh, survey.title_en, token)
    return Outcome(invitation_id, status, reason, delivery)
