"""A client's lunar birthday (农历生日) through the API: set, shown with its Chinese label, kept by other
changes, cleared with null; bad parts refused naming the part, checked against the year of birth only
where the solar birthday tells it; nothing written when refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from branchdesk.crm.models import Client
from tests.crm.conftest import client_input

pytestmark = pytest.mark.external

CREATE = """mutation($i: CreateClientInput!) { createClient(input: $i) {
  client { id birthday lunarBirthday { month day isLeapMonth label } } errors { code field message } } }"""
UPDATE = """mutation($i: UpdateClientInput!) { updateClient(input: $i) {
  client { occupation lunarBirthday { month day isLeapMonth label } } errors { code field } } }"""


async def _count(rt, branch_id) -> int:
    async with rt.db.session(branch_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Client).where(Client.tenant_id == branch_id)))


async def test_a_lunar_birthday_is_set_kept_and_cleared(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    # given a client recorded as born on 闰四月初八 (no solar birthday: any month may be a leap month)
    body = await cm1(CREATE, {"i": client_input(lunarBirthday={"month": 4, "day": 8, "isLeapMonth": True})})
    created = body["data"]["createClient"]["client"]
    assert created["lunarBirthday"] == {"month": 4, "day": 8, "isLeapMonth": True, "label": "闰四月初八"}
    # when another field changes, it stays; when it is changed, it changes (leap month by default off)
    kept = await cm1(UPDATE, {"i": {"id": created["id"], "occupation": "教师"}})
    assert kept["data"]["updateClient"]["client"]["lunarBirthday"]["label"] == "闰四月初八"
    changed = await cm1(UPDATE, {"i": {"id": created["id"], "lunarBirthday": {"month": 8, "day": 15}}})
    assert changed["data"]["updateClient"]["client"]["lunarBirthday"] == {
        "month": 8,
        "day": 15,
        "isLeapMonth": False,
        "label": "八月十五",
    }
    # and null clears it
    cleared = await cm1(UPDATE, {"i": {"id": created["id"], "lunarBirthday": None}})
    assert cleared["data"]["updateClient"]["errors"] == []
    assert cleared["data"]["updateClient"]["client"]["lunarBirthday"] is None


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"lunarBirthday": {"month": 13, "day": 1}}, [("CLIENT_LUNAR_MONTH", "lunarBirthday.month")]),
        (
            {"lunarBirthday": {"month": 0, "day": 31}},
            [("CLIENT_LUNAR_MONTH", "lunarBirthday.month"), ("CLIENT_LUNAR_DAY", "lunarBirthday.day")],
        ),
        # born 1 August 1990 (lunar 1990): its first lunar month had 29 days, its leap month was the fifth
        (
            {"birthday": "1990-08-01", "lunarBirthday": {"month": 1, "day": 30}},
            [("CLIENT_LUNAR_NO_THIRTIETH", "lunarBirthday.day")],
        ),
        (
            {"birthday": "1990-08-01", "lunarBirthday": {"month": 6, "day": 11, "isLeapMonth": True}},
            [("CLIENT_LUNAR_NO_LEAP_MONTH", "lunarBirthday.isLeapMonth")],
        ),
    ],
)
async def test_a_bad_lunar_birthday_is_refused_naming_the_part_and_nothing_is_written(
    as_staff, crm_branch, rt, fields, errors
):
    cm1 = await as_staff(crm_branch.cm1)
    before = await _count(rt, crm_branch.branch.id)
    body = await cm1(CREATE, {"i": client_input(**fields)})
    payload = body["data"]["createClient"]
    assert payload["client"] is None
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == sorted(errors)
    assert await _count(rt, crm_branch.branch.id) == before


async def test_what_the_year_of_birth_had_is_accepted(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    # born 1 August 1990: the second lunar month had a 30th, and the fifth month a leap month
    for lunar in ({"month": 2, "day": 30}, {"month": 5, "day": 3, "isLeapMonth": True}):
        body = await cm1(CREATE, {"i": client_input(birthday="1990-08-01", lunarBirthday=lunar)})
        assert body["data"]["createClient"]["errors"] == [], body


async def test_changing_the_solar_birthday_checks_the_lunar_one_against_the_new_year(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    body = await cm1(CREATE, {"i": client_input(lunarBirthday={"month": 1, "day": 30})})
    client_id = body["data"]["createClient"]["client"]["id"]
    refused = await cm1(UPDATE, {"i": {"id": client_id, "birthday": "1990-08-01"}})
    assert [(e["code"], e["field"]) for e in refused["data"]["updateClient"]["errors"]] == [
        ("CLIENT_LUNAR_NO_THIRTIETH", "lunarBirthday.day")
    ]
