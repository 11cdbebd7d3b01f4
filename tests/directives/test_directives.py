"""Head-office directives with read attestation: rates per branch and role, who is missing, a correction
that re-opens attestation, late attestation recorded (not refused), reminders and escalation once, a
branch's questions answered by head office, and another branch never seeing what was not sent to it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from strawberry import relay

from branchdesk.access.unit_of_work import system_work
from branchdesk.directives import kinds
from branchdesk.directives import service as directives
from branchdesk.directives.models import Directive
from branchdesk.notifications.models import Notification
from branchdesk.platform.clock import utcnow
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.notifications.test_notify import staff_id

pytestmark = pytest.mark.external

FIELDS = "id version title current attestedAt attestedLate supersedes { id } supersededBy { id } roles { name }"
PUBLISH = f"""mutation($i: PublishDirectiveInput!) {{ publishDirective(input: $i) {{
  directive {{ {FIELDS} }} errors {{ code field }} }} }}"""
SUPERSEDE = f"""mutation($i: SupersedeDirectiveInput!) {{ supersedeDirective(input: $i) {{
  directive {{ {FIELDS} }} errors {{ code field }} }} }}"""
ATTEST = f"""mutation($id: ID!) {{ attestDirective(input: {{id: $id}}) {{
  directive {{ {FIELDS} }} errors {{ code field message }} }} }}"""
ONE = f"query($id: ID!) {{ directive(id: $id) {{ {FIELDS} }} }}"
TO_ATTEST = "{ directives(toAttest: true, first: 50) { totalCount edges { node { id version } } } }"
RATES = """query($id: ID!, $b: String) { directiveAttestation(id: $id, branchCode: $b) {
  required attested rate directive { id }
  rates { branchCode role { name } required attested late rate }
  missing { branchCode employeeNumber roles { name } } } }"""
ASK = """mutation($d: ID!, $q: String!) { askAboutDirective(input: {directiveId: $d, question: $q}) {
  question { id branchCode question answer } directive { id questions { question } } errors { code field } } }"""
ANSWER = """mutation($q: ID!, $a: String!) { answerDirectiveQuestion(input: {questionId: $q, answer: $a}) {
  question { id branchCode question answer answeredAt } directive { id } errors { code field } } }"""
QUESTIONS = "query($id: ID!) { directive(id: $id) { questions { branchCode question answer } } }"


async def _directive_uuid(directive: dict) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(directive["id"]).node_id)


def content(branches: list[str], roles: list[str], **changes) -> dict:
    deadline = utcnow() + timedelta(days=3)
    return {
        "titleZh": "关于加强反洗钱客户身份识别的通知",
        "titleEn": "On strengthening AML customer due diligence",
        "bodyZh": "各网点须于期限前组织学习。",
        "bodyEn": "Every branch studies it before the deadline.",
        "category": "COMPLIANCE",
        "effectiveOn": date.today().isoformat(),
        "deadline": deadline.isoformat(),
        "roles": roles,
        "target": "LIST",
        "branches": branches,
        "attachments": ["doc://aml/2026-11"],
        **changes,
    }


@pytest.fixture
async def scene(api, rt, world):
    """Two fresh branches (A: two tellers and a lobby manager; B: a teller) and head office's token."""
    head_a, head_b = unique_employee_number("DA"), unique_employee_number("DB")
    a = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_a)
    b = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head_b)
    a.head, b.head = head_a, head_b
    a.tellers = [await add_member(rt, a, ["teller"]), await add_member(rt, a, ["teller"])]
    a.lobby = await add_member(rt, a, ["lobby_manager"])
    b.teller = await add_member(rt, b, ["teller"])
    ho = await api.token(world.ho_admin)
    return a, b, ho, world.head_office.code


async def publish(api, ho, office, body: dict) -> dict:
    answer = await api.post(PUBLISH, {"i": {"content": body}}, token=ho, branch=office)
    payload = answer["data"]["publishDirective"]
    assert payload["errors"] == [], payload
    return payload["directive"]


async def test_attestation_rates_per_branch_and_role_and_who_is_missing(api, rt, scene):
    a, _, ho, office = scene
    # given a directive to branch A for tellers and lobby managers, one teller of which attests
    directive = await publish(api, ho, office, content([a.code], ["teller", "lobby_manager"]))
    teller = await api.token(a.tellers[0])
    attested = await api.post(ATTEST, {"id": directive["id"]}, token=teller, branch=a.code)
    again = await api.post(ATTEST, {"id": directive["id"]}, token=teller, branch=a.code)

    # when head office reads its attestation
    body = await api.post(RATES, {"id": directive["id"]}, token=ho, branch=office)

    # then the rate is per role, the missing are named, and a repeat changed nothing
    first = attested["data"]["attestDirective"]["directive"]
    assert first["attestedAt"] and first["attestedLate"] is False
    assert again["data"]["attestDirective"]["directive"]["attestedAt"] == first["attestedAt"]
    report = body["data"]["directiveAttestation"]
    assert [(r["branchCode"], r["role"]["name"], r["required"], r["attested"]) for r in report["rates"]] == [
        (a.code, "lobby_manager", 1, 0),
        (a.code, "teller", 2, 1),
    ]
    assert report["required"] == 3 and report["attested"] == 1 and report["rate"] == pytest.approx(1 / 3)
    assert sorted(m["employeeNumber"] for m in report["missing"]) == sorted([a.tellers[1], a.lobby])
    assert all(m["branchCode"] == a.code for m in report["missing"])


async def test_another_branch_neither_sees_nor_attests_what_was_not_sent_to_it(api, rt, scene):
    a, b, ho, office = scene
    # given a directive to branch A only
    directive = await publish(api, ho, office, content([a.code], ["teller"]))
    theirs = await api.token(b.teller)

    # when B's teller asks for it, attests it, asks about it
    seen = await api.post(ONE, {"id": directive["id"]}, token=theirs, branch=b.code)
    attested = await api.post(ATTEST, {"id": directive["id"]}, token=theirs, branch=b.code)
    asked = await api.post(ASK, {"d": directive["id"], "q": "?"}, token=theirs, branch=b.code)
    listed = await api.post(TO_ATTEST, token=theirs, branch=b.code)

    # then it is not found, as if it did not exist, and A's teller has it to attest
    assert seen["data"]["directive"] is None
    assert attested["data"]["attestDirective"]["errors"][0]["code"] == "NOT_FOUND"
    assert asked["data"]["askAboutDirective"]["errors"] == [{"code": "NOT_FOUND", "field": "directiveId"}]
    assert directive["id"] not in [e["node"]["id"] for e in listed["data"]["directives"]["edges"]]
    mine = await api.post(TO_ATTEST, token=await api.token(a.tellers[0]), branch=a.code)
    assert directive["id"] in [e["node"]["id"] for e in mine["data"]["directives"]["edges"]]


async def test_a_role_not_named_cannot_attest(api, scene):
    a, _, ho, office = scene
    directive = await publish(api, ho, office, content([a.code], ["teller"]))
    body = await api.post(ATTEST, {"id": directive["id"]}, token=await api.token(a.lobby), branch=a.code)
    assert body["data"]["attestDirective"]["errors"][0]["code"] == "DIRECTIVE_NOT_REQUIRED"


async def test_a_superseding_version_reopens_attestation(api, scene):
    a, _, ho, office = scene
    # given a directive a teller attested
    first = await publish(api, ho, office, content([a.code], ["teller"]))
    teller = await api.token(a.tellers[0])
    await api.post(ATTEST, {"id": first["id"]}, token=teller, branch=a.code)

    # when head office corrects it
    fixed = content([a.code], ["teller"], bodyEn="Corrected: study it with the checklist.")
    body = await api.post(SUPERSEDE, {"i": {"id": first["id"], "content": fixed}}, token=ho, branch=office)
    twice = await api.post(SUPERSEDE, {"i": {"id": first["id"], "content": fixed}}, token=ho, branch=office)

    # then the new version must be attested again; the old one is kept, superseded, and cannot be attested
    second = body["data"]["supersedeDirective"]["directive"]
    assert second["version"] == 2 and second["supersedes"] == {"id": first["id"]} and second["attestedAt"] is None
    assert twice["data"]["supersedeDirective"]["errors"] == [{"code": "DIRECTIVE_SUPERSEDED", "field": "id"}]
    old = (await api.post(ONE, {"id": first["id"]}, token=teller, branch=a.code))["data"]["directive"]
    assert old["current"] is False and old["supersededBy"] == {"id": second["id"]} and old["attestedAt"]
    to_attest = await api.post(TO_ATTEST, token=teller, branch=a.code)
    ids = [e["node"]["id"] for e in to_attest["data"]["directives"]["edges"]]
    assert second["id"] in ids and first["id"] not in ids
    refused = await api.post(ATTEST, {"id": first["id"]}, token=teller, branch=a.code)
    assert refused["data"]["attestDirective"]["errors"][0]["code"] == "DIRECTIVE_SUPERSEDED"
    report = (await api.post(RATES, {"id": second["id"]}, token=ho, branch=office))["data"]["directiveAttestation"]
    assert (report["required"], report["attested"]) == (2, 0)


async def test_an_attestation_after_the_deadline_is_recorded_as_late(api, rt, scene):
    a, _, ho, office = scene
    # given a directive whose deadline has passed
    directive = await publish(api, ho, office, content([a.code], ["teller"]))
    async with rt.db.platform_session() as session:
        passed = update(Directive).where(Directive.id == await _directive_uuid(directive))
        await session.execute(passed.values(deadline=utcnow() - timedelta(hours=1)))

    # when a teller attests it
    body = await api.post(ATTEST, {"id": directive["id"]}, token=await api.token(a.tellers[0]), branch=a.code)

    # then it is accepted and recorded as late, and head office counts it late
    assert body["data"]["attestDirective"]["errors"] == []
    assert body["data"]["attestDirective"]["directive"]["attestedLate"] is True
    report = (await api.post(RATES, {"id": directive["id"]}, token=ho, branch=office))["data"]["directiveAttestation"]
    assert [(r["attested"], r["late"]) for r in report["rates"]] == [(1, 1)]


async def _notices(rt, branch, kind: str, subject) -> list[tuple]:
    async with rt.db.session(branch.id) as session:
        rows = await session.execute(
            select(Notification.recipient_id, Notification.kind).where(
                Notification.kind == kind, Notification.subject_id == subject
            )
        )
        return sorted(rows.all())


async def test_delivery_reminder_and_escalation_each_happen_once_however_often_the_watch_runs(api, rt, scene):
    a, _, ho, office = scene
    directive = await publish(api, ho, office, content([a.code], ["teller"]))
    async with rt.db.platform_session() as session:
        found = await session.get(Directive, await _directive_uuid(directive))
    deadline = found.deadline
    await api.post(ATTEST, {"id": directive["id"]}, token=await api.token(a.tellers[0]), branch=a.code)
    missing = await staff_id(rt, a.tellers[1])

    async def run_watch(at) -> None:
        async with system_work(rt.db, "test watch", a.id) as (session, system):
            await directives.watch(session, system, at)

    # when the watch runs twice now, twice a few hours before the deadline, twice after it
    for at in (utcnow(), utcnow(), deadline - timedelta(hours=2), deadline - timedelta(hours=1)):
        await run_watch(at)
    for at in (deadline + timedelta(minutes=5), deadline + timedelta(minutes=20)):
        await run_watch(at)

    # then the tellers were told once, the one still missing reminded once, the head told once
    tellers = sorted([await staff_id(rt, a.tellers[0]), missing])
    assert [r for r, _ in await _notices(rt, a, kinds.PUBLISHED, found.id)] == [t for t in tellers if t == missing]
    assert await _notices(rt, a, kinds.REMINDER, found.id) == [(missing, kinds.REMINDER)]
    assert await _notices(rt, a, kinds.ESCALATED, found.id) == [(await staff_id(rt, a.head), kinds.ESCALATED)]


async def test_a_branch_asks_and_head_office_answers_in_a_thread_it_sees(api, rt, scene):
    a, b, ho, office = scene
    directive = await publish(api, ho, office, content([a.code, b.code], ["teller"]))
    teller = await api.token(a.tellers[0])

    asked = await api.post(
        ASK, {"d": directive["id"], "q": "Does it cover walk-in clients?"}, token=teller, branch=a.code
    )
    question = asked["data"]["askAboutDirective"]["question"]
    seen_by_b = await api.post(QUESTIONS, {"id": directive["id"]}, token=await api.token(b.teller), branch=b.code)
    seen_by_ho = await api.post(QUESTIONS, {"id": directive["id"]}, token=ho, branch=office)
    answered = await api.post(ANSWER, {"q": question["id"], "a": "Yes, every walk-in."}, token=ho, branch=office)
    twice = await api.post(ANSWER, {"q": question["id"], "a": "Again"}, token=ho, branch=office)

    assert asked["data"]["askAboutDirective"]["directive"]["questions"] == [
        {"question": "Does it cover walk-in clients?"}
    ]
    assert seen_by_b["data"]["directive"]["questions"] == []
    assert seen_by_ho["data"]["directive"]["questions"] == [
        {"branchCode": a.code, "question": "Does it cover walk-in clients?", "answer": None}
    ]
    reply = answered["data"]["answerDirectiveQuestion"]
    assert reply["errors"] == [] and reply["question"]["answer"] == "Yes, every walk-in."
    assert reply["question"]["branchCode"] == a.code
    assert twice["data"]["answerDirectiveQuestion"]["errors"] == [{"code": "DIRECTIVE_ANSWERED", "field": "questionId"}]
    asker = await staff_id(rt, a.tellers[0])
    assert await _notices(rt, a, kinds.ANSWERED, await _directive_uuid(directive)) == [(asker, kinds.ANSWERED)]


async def test_bad_input_is_a_typed_error_naming_the_field_and_nothing_is_published(api, scene):
    a, _, ho, office = scene
    cases = [
        (content([a.code], []), "DIRECTIVE_ROLES", "roles"),
        (content([a.code], ["head_office_admin"]), "DIRECTIVE_ROLES", "roles"),
        (content(["NOPE"], ["teller"]), "DIRECTIVE_TARGET", "branches"),
        (
            content([a.code], ["teller"], deadline=(utcnow() - timedelta(days=1)).isoformat()),
            "DIRECTIVE_DEADLINE",
            "deadline",
        ),
        (content([a.code], ["teller"], titleEn="  "), "DIRECTIVE_TEXT", "titleEn"),
        (content([], ["teller"], target="LEVEL", level="HEAD_OFFICE"), "DIRECTIVE_TARGET", "level"),
    ]
    for body, code, field in cases:
        answer = await api.post(PUBLISH, {"i": {"content": body}}, token=ho, branch=office)
        assert answer["data"]["publishDirective"] == {"directive": None, "errors": [{"code": code, "field": field}]}
    refused = await api.post(
        PUBLISH, {"i": {"content": content([a.code], ["teller"])}}, token=await api.token(a.head), branch=a.code
    )
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
