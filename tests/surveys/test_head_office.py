"""Head office defines a survey and publishes it to every branch; each branch answers its copy, and
head office reads the results across branches (a branch reads only its own)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.external

DEFINE = (
    """mutation($i: DefineSurveyInput!) { defineSurvey(input: $i) { survey { id origin } errors { code field } } }"""
)
PUBLISH = """mutation($i: PublishSurveyInput!) { publishSurvey(input: $i) {
  branches survey { id publishedAt } errors { code field } } }"""
LIST = """query($f: SurveyFilter) { surveys(first: 50, filter: $f) { edges { node { id titleZh origin } } } }"""
RECORD = """mutation($i: RecordSurveyResponseInput!) { recordSurveyResponse(input: $i) { errors { code field } } }"""
RESULTS = """query($id: ID!, $p: SurveyPeriod!, $g: SurveyResultGrouping!) {
  surveyResults(surveyId: $id, period: $p, groupBy: $g) {
  acrossBranches total { responses csat nps } groups { branch { code } month score { responses csat nps } }
  distributions { question { position } counts { value label answers } } } }"""
BY_STAFF = """query($id: ID!, $p: SurveyPeriod!) { surveyResults(surveyId: $id, period: $p, groupBy: STAFF) {
  groups { staffNumber staffName staff { employeeNumber } score { csat } } } }"""
STAFF = """query($q: String!) { staff(first: 5, search: $q) { edges { node { id employeeNumber } } } }"""
QUESTIONS = [
    {"kind": "SCALE", "promptZh": "满意度", "promptEn": "Satisfaction"},
    {"kind": "NPS", "promptZh": "推荐意愿", "promptEn": "Recommend?"},
]


async def _copy(api, token, branch, title):
    body = await api.post(LIST, {"f": {"origin": "HEAD_OFFICE"}}, token=token, branch=branch.code)
    return next(e["node"] for e in body["data"]["surveys"]["edges"] if e["node"]["titleZh"] == title)


async def _staff_id(api, token, branch, number):
    body = await api.post(STAFF, {"q": number}, token=token, branch=branch.code)
    return next(e["node"]["id"] for e in body["data"]["staff"]["edges"] if e["node"]["employeeNumber"] == number)


async def test_published_to_every_branch_and_read_across_them(api, world):
    admin = await api.token(world.ho_admin)
    office = world.head_office.code
    title = f"总行满意度 {date.today()} {id(api)}"
    body = await api.post(
        DEFINE,
        {"i": {"titleZh": title, "titleEn": "HO", "purpose": "SATISFACTION", "questions": QUESTIONS}},
        token=admin,
        branch=office,
    )
    survey = body["data"]["defineSurvey"]["survey"]
    assert survey["origin"] == "HEAD_OFFICE"
    # when head office publishes it, every active branch gets a copy; publishing again adds none
    published = (await api.post(PUBLISH, {"i": {"id": survey["id"]}}, token=admin, branch=office))["data"][
        "publishSurvey"
    ]
    assert published["errors"] == [] and published["branches"] >= 2 and published["survey"]["publishedAt"]
    again = (await api.post(PUBLISH, {"i": {"id": survey["id"]}}, token=admin, branch=office))["data"]["publishSurvey"]
    assert again["branches"] == 0
    # each branch answers its copy, rating its head: A gives 5 and 10, B 2 and 3
    for branch, head, scale, nps in ((world.branch_a, world.head_a, 5, 10), (world.branch_b, world.head_b, 2, 3)):
        token = await api.token(head)
        copy = await _copy(api, token, branch, title)
        answers = [{"question": 1, "value": scale}, {"question": 2, "value": nps}]
        rated = await _staff_id(api, token, branch, head)
        body = await api.post(
            RECORD,
            {"i": {"surveyId": copy["id"], "answers": answers, "ratedStaffId": rated}},
            token=token,
            branch=branch.code,
        )
        assert body["data"]["recordSurveyResponse"]["errors"] == []
    # then head office reads both branches' responses, per branch
    period = {"start": str(date.today() - timedelta(days=2)), "end": str(date.today() + timedelta(days=2))}
    body = await api.post(RESULTS, {"id": survey["id"], "p": period, "g": "BRANCH"}, token=admin, branch=office)
    found = body["data"]["surveyResults"]
    assert found["acrossBranches"] is True
    assert found["total"] == {"responses": 2, "csat": 50.0, "nps": 0.0}
    per_branch = {g["branch"]["code"]: g["score"] for g in found["groups"]}
    assert per_branch == {
        world.branch_a.code: {"responses": 1, "csat": 100.0, "nps": 100.0},
        world.branch_b.code: {"responses": 1, "csat": 0.0, "nps": -100.0},
    }
    assert found["distributions"][0]["counts"] == [
        {"value": 2, "label": None, "answers": 1},
        {"value": 5, "label": None, "answers": 1},
    ]
    # and per staff member rated: the heads of both branches, named though neither is a member of head office
    body = await api.post(BY_STAFF, {"id": survey["id"], "p": period}, token=admin, branch=office)
    per_staff = {g["staffNumber"]: g for g in body["data"]["surveyResults"]["groups"]}
    assert {n: (g["staff"], g["score"]["csat"]) for n, g in per_staff.items()} == {
        world.head_a: (None, 100.0),
        world.head_b: (None, 0.0),
    }
    assert all(g["staffName"] for g in per_staff.values())
    # and branch A, reading its copy, sees only its own
    token = await api.token(world.head_a)
    copy = await _copy(api, token, world.branch_a, title)
    body = await api.post(
        RESULTS, {"id": copy["id"], "p": period, "g": "MONTH"}, token=token, branch=world.branch_a.code
    )
    mine = body["data"]["surveyResults"]
    assert mine["acrossBranches"] is False and mine["total"] == {"responses": 1, "csat": 100.0, "nps": 100.0}
    assert [g["month"][-2:] for g in mine["groups"]] == ["01"]


async def test_a_branch_survey_is_not_published(api, world):
    token = await api.token(world.head_a)
    body = await api.post(
        DEFINE,
        {"i": {"titleZh": "本行问卷", "titleEn": "Ours", "purpose": "NEEDS_ANALYSIS", "questions": QUESTIONS}},
        token=token,
        branch=world.branch_a.code,
    )
    survey = body["data"]["defineSurvey"]["survey"]
    body = await api.post(PUBLISH, {"i": {"id": survey["id"]}}, token=token, branch=world.branch_a.code)
    assert [(e["code"], e["field"]) for e in body["data"]["publishSurvey"]["errors"]] == [
        ("SURVEY_NOT_PUBLISHABLE", "id")
    ]
