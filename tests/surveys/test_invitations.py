"""The satisfaction survey a resolved complaint sends: enqueued by the resolution (outbox, same
transaction), one invitation per complaint however often the job is delivered, sent only to a client
who consents to a channel and is not do-not-contact (else recorded as not sent, with the reason), and
answered once through its token."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from branchdesk.crm.rules import ContactChannel
from branchdesk.jobs import tasks
from branchdesk.platform import outbox
from branchdesk.platform.outbox import OutboxMessage
from branchdesk.surveys.invitations import Invitation
from branchdesk.surveys.models import SurveyInvitation
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.surveys.conftest import define, new_client, resolved_complaint

pytestmark = pytest.mark.external

DELIVERED: list[Invitation] = []
RECORD = """mutation($i: RecordSurveyResponseInput!) { recordSurveyResponse(input: $i) {
  response { subjectType subjectId throughInvitation ratedStaff { employeeNumber } answers { question value } }
  client { id } errors { code field } } }"""


def remember(invitation: Invitation) -> None:
    """A delivery for the tests: keeps what it was given (the token among it)."""
    DELIVERED.append(invitation)


@pytest.fixture
async def branch(rt, world):
    head = unique_employee_number("H")
    made = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    return made, head, await add_member(rt, made, ["customer_manager"])


def _ctx(rt) -> dict[str, Any]:
    settings = rt.settings.model_copy(update={"survey_notifier": "tests.surveys.test_invitations:remember"})
    return {"runtime": SimpleNamespace(db=rt.db, settings=settings)}


async def _jobs(rt, branch_id: uuid.UUID, feedback_id: uuid.UUID) -> list[OutboxMessage]:
    async with rt.db.session(branch_id) as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.tenant_id == branch_id,
                OutboxMessage.job == "send_complaint_survey",
                OutboxMessage.payload["feedback_id"].astext == str(feedback_id),
            )
        )
        return list(rows)


async def _invitations(rt, branch_id: uuid.UUID, feedback_id: uuid.UUID) -> list[SurveyInvitation]:
    async with rt.db.session(branch_id) as session:
        rows = await session.scalars(
            select(SurveyInvitation).where(
                SurveyInvitation.tenant_id == branch_id, SurveyInvitation.subject_id == feedback_id
            )
        )
        return list(rows)


async def _run(rt, branch_id: uuid.UUID, message: OutboxMessage) -> str:
    return await tasks.send_complaint_survey(_ctx(rt), str(branch_id), str(message.id), message.payload["feedback_id"])


async def test_a_resolved_complaint_invites_its_client_once(rt, branch):
    made, head, cm = branch
    await define(rt, made, head)
    client = await new_client(rt, made, head, [ContactChannel.PHONE, ContactChannel.SMS])
    # given a complaint resolved for a client who agreed to SMS
    complaint = await resolved_complaint(rt, made, head, client.id, assignee=cm)
    # then the resolution handed the survey to the outbox, once
    [job] = await _jobs(rt, made.id, complaint.id)
    DELIVERED.clear()
    # when the job is delivered, then delivered again, and handed over a second time (a second resolution)
    assert await _run(rt, made.id, job) == "sent"
    assert await _run(rt, made.id, job) == "already done"
    async with rt.db.session(made.id) as session:
        again = await outbox.enqueue(session, made.id, "send_complaint_survey", feedback_id=str(complaint.id))
    assert await _run(rt, made.id, again) == "invited before"
    # then there is one invitation, sent by SMS, rating the complaint's assignee, and one delivery
    [invitation] = await _invitations(rt, made.id, complaint.id)
    async with rt.db.session(None) as session:
        cm_id = (await tenants.staff_by_employee_number(session, cm)).id
    assert (invitation.status, invitation.channel, invitation.rated_staff_id) == ("sent", "sms", cm_id)
    assert [d.invitation_id for d in DELIVERED] == [invitation.id]
    assert invitation.token_hash is not None and DELIVERED[0].token.encode() not in invitation.token_hash


@pytest.mark.parametrize(
    ("consents", "do_not_contact", "reason"),
    [
        ([], True, "do_not_contact"),
        ([ContactChannel.PHONE, ContactChannel.VISIT], False, "no_consent"),
        ([], False, "no_consent"),
    ],
)
async def test_consent_is_honoured(rt, branch, consents, do_not_contact, reason):
    made, head, _ = branch
    await define(rt, made, head)
    client = await new_client(rt, made, head, consents, do_not_contact=do_not_contact)
    complaint = await resolved_complaint(rt, made, head, client.id)
    [job] = await _jobs(rt, made.id, complaint.id)
    DELIVERED.clear()
    assert await _run(rt, made.id, job) == f"not sent: {reason}"
    [invitation] = await _invitations(rt, made.id, complaint.id)
    assert (invitation.status, invitation.reason, invitation.token_hash) == ("not_sent", reason, None)
    assert DELIVERED == []


async def test_an_anonymous_complaint_or_a_branch_without_a_survey(rt, branch):
    made, head, _ = branch
    client = await new_client(rt, made, head, [ContactChannel.EMAIL])
    anonymous = await resolved_complaint(rt, made, head, None)
    named = await resolved_complaint(rt, made, head, client.id)
    for complaint, reason in ((anonymous, "anonymous"), (named, "no_survey")):
        [job] = await _jobs(rt, made.id, complaint.id)
        assert await _run(rt, made.id, job) == f"not sent: {reason}"


async def test_the_client_answers_once_through_the_token(rt, api, branch):
    made, head, cm = branch
    survey = await define(rt, made, head)
    client = await new_client(rt, made, head, [ContactChannel.WECHAT])
    complaint = await resolved_complaint(rt, made, head, client.id, assignee=cm)
    [job] = await _jobs(rt, made.id, complaint.id)
    DELIVERED.clear()
    await _run(rt, made.id, job)
    token = DELIVERED[0].token
    # the lobby manager's tablet records what the client answered through the link
    lobby = await api.token(await add_member(rt, made, ["lobby_manager"]))
    answers = [{"question": 1, "value": 5}, {"question": 2, "value": 9}]
    body = await api.post(RECORD, {"i": {"invitationToken": token, "answers": answers}}, token=lobby, branch=made.code)
    payload = body["data"]["recordSurveyResponse"]
    assert payload["errors"] == [], payload
    response = payload["response"]
    assert response["throughInvitation"] and response["subjectType"] == "COMPLAINT"
    assert response["ratedStaff"]["employeeNumber"] == cm
    [invitation] = await _invitations(rt, made.id, complaint.id)
    assert invitation.status == "answered" and invitation.survey_id == survey.id
    # a second answer through the same token is refused, and nothing more is recorded
    again = await api.post(RECORD, {"i": {"invitationToken": token, "answers": answers}}, token=lobby, branch=made.code)
    assert [(e["code"], e["field"]) for e in again["data"]["recordSurveyResponse"]["errors"]] == [
        ("SURVEY_INVITATION_USED", "invitationToken")
    ]
    unknown = await api.post(
        RECORD, {"i": {"invitationToken": "nope", "answers": answers}}, token=lobby, branch=made.code
    )
    assert [e["code"] for e in unknown["data"]["recordSurveyResponse"]["errors"]] == ["NOT_FOUND"]
