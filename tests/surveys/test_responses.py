"""Defining surveys and recording responses through the API: every answer checked against its question,
errors naming the answer's path, nothing half-written; a client outside the caller's scope and another
branch's survey are not found; the client shows its responses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from branchdesk.surveys.models import SurveyResponse
from tests.crm.conftest import create

pytestmark = pytest.mark.external

DEFINE = """mutation($i: DefineSurveyInput!) { defineSurvey(input: $i) {
  survey { id title purpose origin questions { position kind required options { number label } } }
  errors { code field } } }"""
RECORD = """mutation($i: RecordSurveyResponseInput!) { recordSurveyResponse(input: $i) {
  response { anonymous subjectType answers { question kind value choices text } survey { id } }
  client { id surveyResponses { respondedAt survey { id } answers { question value } } }
  errors { code field message } } }"""
SURVEY = "query($id: ID!) { survey(id: $id) { id title } }"
LIST = """query($first: Int, $last: Int, $after: String, $before: String, $o: SurveyOrder, $f: SurveyFilter) {
  surveys(first: $first, last: $last, after: $after, before: $before, orderBy: $o, filter: $f) {
  totalCount edges { cursor node { id titleZh } } pageInfo { hasNextPage hasPreviousPage } } }"""
QUESTIONS = [
    {
        "kind": "SINGLE_CHOICE",
        "promptZh": "您来办理什么业务?",
        "promptEn": "What did you come for?",
        "optionsZh": ["存款", "理财", "贷款"],
        "optionsEn": ["Deposits", "Wealth", "Loans"],
    },
    {
        "kind": "MULTIPLE_CHOICE",
        "promptZh": "您关注哪些产品?",
        "promptEn": "Which products interest you?",
        "optionsZh": ["基金", "保险"],
        "optionsEn": ["Funds", "Insurance"],
        "required": False,
    },
    {"kind": "SCALE", "promptZh": "满意度", "promptEn": "Satisfaction"},
    {"kind": "NPS", "promptZh": "推荐意愿", "promptEn": "Would you recommend us?"},
    {"kind": "TEXT", "promptZh": "建议", "promptEn": "Suggestions", "required": False},
]


async def defined(post, purpose="SATISFACTION", title="网点服务满意度"):
    body = await post(
        DEFINE, {"i": {"titleZh": title, "titleEn": "Service", "purpose": purpose, "questions": QUESTIONS}}
    )
    payload = body["data"]["defineSurvey"]
    assert payload["errors"] == [], payload
    return payload["survey"]


async def test_a_branch_defines_its_own_survey(as_staff, crm_branch):
    head = await as_staff(crm_branch.head)
    survey = await defined(head)
    assert (survey["purpose"], survey["origin"]) == ("SATISFACTION", "BRANCH")
    assert [q["kind"] for q in survey["questions"]] == ["SINGLE_CHOICE", "MULTIPLE_CHOICE", "SCALE", "NPS", "TEXT"]
    assert [o["number"] for o in survey["questions"][0]["options"]] == [1, 2, 3]


async def test_a_bad_definition_names_each_question(as_staff, crm_branch):
    head = await as_staff(crm_branch.head)
    questions = [
        {
            "kind": "SINGLE_CHOICE",
            "promptZh": "单选",
            "promptEn": "One",
            "optionsZh": ["只有一项"],
            "optionsEn": ["Only"],
        },
        {"kind": "TEXT", "promptZh": "", "promptEn": "Blank"},
    ]
    body = await head(
        DEFINE, {"i": {"titleZh": "坏问卷", "titleEn": "Bad", "purpose": "SATISFACTION", "questions": questions}}
    )
    payload = body["data"]["defineSurvey"]
    assert payload["survey"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("SURVEY_OPTIONS", "questions[0].optionsZh"),
        ("SURVEY_PROMPT_LENGTH", "questions[1].promptZh"),
        ("SURVEY_SATISFACTION_SCORE", "questions"),
    ]


async def test_every_answer_is_checked_and_named_by_its_path(rt, as_staff, crm_branch):
    head = await as_staff(crm_branch.head)
    survey = await defined(head)
    answers = [
        {"question": 1, "value": 4},  # only 3 options
        {"question": 2, "value": 1},  # a multiple choice takes `choices`
        {"question": 3, "value": 6},  # scale 1-5
        {"question": 9, "value": 1},  # no such question
        {"question": 5, "text": "很好"},
    ]  # question 4 (NPS, required) left out
    async with rt.db.session(crm_branch.branch.id) as session:
        before = await session.scalar(select(func.count()).select_from(SurveyResponse))
    body = await head(RECORD, {"i": {"surveyId": survey["id"], "answers": answers}})
    payload = body["data"]["recordSurveyResponse"]
    assert payload["response"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("SURVEY_ANSWER_RANGE", "answers[0].value"),
        ("SURVEY_ANSWER_KIND", "answers[1].choices"),
        ("SURVEY_ANSWER_RANGE", "answers[2].value"),
        ("SURVEY_UNKNOWN_QUESTION", "answers[3].question"),
        ("SURVEY_ANSWER_REQUIRED", "answers"),
    ]
    assert "4" in payload["errors"][-1]["message"]
    # and nothing was recorded
    async with rt.db.session(crm_branch.branch.id) as session:
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == before


async def test_a_clients_response_shows_on_the_client(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    survey = await defined(await as_staff(crm_branch.head), purpose="NEEDS_ANALYSIS", title="客户需求分析")
    mine = await create(cm1, name="钱多多")
    answers = [
        {"question": 1, "value": 2},
        {"question": 2, "choices": [2, 1]},
        {"question": 3, "value": 5},
        {"question": 4, "value": 9},
    ]
    body = await cm1(RECORD, {"i": {"surveyId": survey["id"], "clientId": mine["id"], "answers": answers}})
    payload = body["data"]["recordSurveyResponse"]
    assert payload["errors"] == [], payload
    assert not payload["response"]["anonymous"] and payload["response"]["survey"]["id"] == survey["id"]
    assert [a["choices"] for a in payload["response"]["answers"]] == [None, [1, 2], None, None]
    responses = payload["client"]["surveyResponses"]
    assert payload["client"]["id"] == mine["id"] and len(responses) == 1
    assert responses[0]["answers"] == [
        {"question": 1, "value": 2},
        {"question": 2, "value": None},
        {"question": 3, "value": 5},
        {"question": 4, "value": 9},
    ]


async def test_another_managers_client_is_not_found(as_staff, crm_branch):
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    survey = await defined(await as_staff(crm_branch.head))
    theirs = await create(cm2, name="孙悦")
    answers = [{"question": 1, "value": 1}, {"question": 3, "value": 4}, {"question": 4, "value": 10}]
    body = await cm1(RECORD, {"i": {"surveyId": survey["id"], "clientId": theirs["id"], "answers": answers}})
    payload = body["data"]["recordSurveyResponse"]
    assert payload["response"] is None and [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("NOT_FOUND", "clientId")
    ]
    # anonymous, the same answers are recorded
    body = await cm1(RECORD, {"i": {"surveyId": survey["id"], "answers": answers}})
    assert body["data"]["recordSurveyResponse"]["response"]["anonymous"] is True


async def test_another_branchs_survey_is_not_found(api, as_staff, crm_branch, world):
    head = await as_staff(crm_branch.head)
    survey = await defined(head)
    other = await api.token(world.head_a)
    body = await api.post(SURVEY, {"id": survey["id"]}, token=other, branch=world.branch_a.code)
    assert body["data"]["survey"] is None
    answers = [{"question": 1, "value": 1}, {"question": 3, "value": 4}, {"question": 4, "value": 10}]
    body = await api.post(
        RECORD, {"i": {"surveyId": survey["id"], "answers": answers}}, token=other, branch=world.branch_a.code
    )
    assert [(e["code"], e["field"]) for e in body["data"]["recordSurveyResponse"]["errors"]] == [
        ("NOT_FOUND", "surveyId")
    ]
    # in its own branch it is there
    assert (await head(SURVEY, {"id": survey["id"]}))["data"]["survey"]["id"] == survey["id"]


async def test_the_list_pages_both_ways_with_a_total(as_staff, crm_branch):
    head = await as_staff(crm_branch.head)
    made = [await defined(head, title=f"分页{n}") for n in range(3)]
    order = {"field": "CREATED_AT", "direction": "ASC"}
    first = (await head(LIST, {"first": 2, "o": order}))["data"]["surveys"]
    assert first["totalCount"] >= 3 and first["pageInfo"]["hasNextPage"]
    last = (await head(LIST, {"last": 2, "o": order}))["data"]["surveys"]
    assert [e["node"]["id"] for e in last["edges"]] == [m["id"] for m in made[1:]]
    back = (await head(LIST, {"last": 1, "before": last["edges"][0]["cursor"], "o": order}))["data"]["surveys"]
    assert back["edges"][0]["node"]["id"] == made[0]["id"]
    titled = (await head(LIST, {"first": 50, "o": {"field": "TITLE", "direction": "ASC"}}))["data"]["surveys"]
    ours = [e["node"]["id"] for e in titled["edges"] if e["node"]["titleZh"].startswith("分页")]
    assert ours[-3:] == [m["id"] for m in made] or ours[:3] == [m["id"] for m in made]
