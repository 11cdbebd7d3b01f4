"""Tiers, scores and segments through the API: typed errors naming the rule's path, previews, members paged
both ways with their count, tier changes, the tier on the client, its list and the routing card, and the
statements a members page costs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from branchdesk.segments import service as segments
from tests.segments.conftest import NOW

pytestmark = pytest.mark.external

ERRORS = "errors { code field message }"
DEFINE = f"""mutation($i: DefineSegmentInput!) {{ defineSegment(input: $i) {{
  segment {{ id name memberCount rule fromTemplate }} {ERRORS} }} }}"""
UPDATE = f"""mutation($i: UpdateSegmentInput!) {{ updateSegment(input: $i) {{
  segment {{ id name memberCount }} {ERRORS} }} }}"""
PREVIEW = """query($r: SegmentRuleInput!, $first: Int) { previewSegment(rule: $r, first: $first) {
  count clients { edges { node { id name } } pageInfo { hasNextPage } } } }"""
MEMBERS = """query($s: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  segmentMembers(segmentId: $s, first: $first, after: $after, last: $last, before: $before) {
  totalCount edges { cursor node { id enteredAt client { id name tier { code name } } } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
TIERS = "{ tiers { code rank name nameZh minAumCny headOfficeMinAumCny overridden } scoringPolicy { dormantMonths } }"
OVERRIDE = f"""mutation($i: OverrideTiersInput!) {{ overrideTiers(input: $i) {{
  tiers {{ code minAumCny overridden }} {ERRORS} }} }}"""
DEFINE_TIERS = (
    f"""mutation($i: DefineTiersInput!) {{ defineTiers(input: $i) {{ tiers {{ code minAumCny }} {ERRORS} }} }}"""
)
CHANGES = """query($since: DateTime!, $to: String) { tierChanges(since: $since, to: $to, first: 5) {
  totalCount edges { node { fromCode toCode reason toTier { nameZh } client { id } } } } }"""


@pytest.fixture(scope="module")
async def scored(rt, scored_branch):
    async with rt.db.session(scored_branch.branch.id) as session:
        await segments.run_branch(session, scored_branch.system, "test", now=NOW)
    return scored_branch


@pytest.fixture
def as_member(api, scored):
    async def sign_in(employee_number: str, branch: str | None = None):
        token = await api.token(employee_number)
        return lambda query, variables=None: api.post(query, variables, token=token, branch=branch or scored.code)

    return sign_in


async def test_a_wrong_rule_is_refused_in_the_payload_naming_its_path(as_member, scored):
    head = await as_member(scored.head)
    rule = {"and": [{"tag": "VIP"}, {"not": {"aum": {"min": "-5"}}}]}
    body = await head(DEFINE, {"i": {"name": "坏规则", "rule": rule}})
    payload = body["data"]["defineSegment"]
    assert payload["segment"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("SEGMENT_RULE_RANGE", "rule.and[1].not.aum.min")]
    two = await head(DEFINE, {"i": {"name": " ", "rule": {"tag": "VIP", "tier": {"atLeast": "diamond"}}}})
    assert sorted((e["code"], e["field"]) for e in two["data"]["defineSegment"]["errors"]) == [
        ("SEGMENT_NAME", "name"),
        ("SEGMENT_RULE_ONE_CONDITION", "rule"),
    ]


async def test_preview_then_define_then_page_the_members_both_ways(as_member, scored):
    head = await as_member(scored.head)
    rule = {
        "tier": {"atLeast": "gold"},
    }
    preview = (await head(PREVIEW, {"r": rule, "first": 3}))["data"]["previewSegment"]
    assert (
        preview["count"] > 6 and len(preview["clients"]["edges"]) == 3 and preview["clients"]["pageInfo"]["hasNextPage"]
    )
    wrong = await head(PREVIEW, {"r": {"or": [{"tag": "VIP"}, {"age": {"min": 60, "max": 30}}]}})
    assert wrong["data"]["previewSegment"] is None
    assert (wrong["errors"][0]["extensions"]["code"], wrong["errors"][0]["extensions"]["field"]) == (
        "SEGMENT_RULE_RANGE",
        "rule.or[1].age.min",
    )
    made = (await head(DEFINE, {"i": {"name": "金卡以上", "rule": rule}}))["data"]["defineSegment"]
    assert made["errors"] == [] and made["segment"]["memberCount"] == preview["count"]
    assert made["segment"]["rule"] == {"tier": {"atLeast": "gold"}} and not made["segment"]["fromTemplate"]
    segment_id = made["segment"]["id"]
    first = (await head(MEMBERS, {"s": segment_id, "first": 4}))["data"]["segmentMembers"]
    assert first["totalCount"] == preview["count"] and first["pageInfo"]["hasNextPage"]
    assert all(e["node"]["client"]["tier"]["code"] in {"gold", "platinum", "private_banking"} for e in first["edges"])
    second = await head(MEMBERS, {"s": segment_id, "first": 4, "after": first["pageInfo"]["endCursor"]})
    back = await head(
        MEMBERS, {"s": segment_id, "last": 4, "before": second["data"]["segmentMembers"]["pageInfo"]["startCursor"]}
    )
    assert [e["node"]["id"] for e in back["data"]["segmentMembers"]["edges"]] == [
        e["node"]["id"] for e in first["edges"]
    ]
    # renaming keeps the members; a new rule changes them at once
    renamed = (await head(UPDATE, {"i": {"id": segment_id, "name": "金卡及以上"}}))["data"]["updateSegment"]
    assert renamed["segment"]["name"] == "金卡及以上" and renamed["segment"]["memberCount"] == preview["count"]
    narrowed = await head(UPDATE, {"i": {"id": segment_id, "rule": {"tier": {"in": ["private_banking"]}}}})
    assert narrowed["data"]["updateSegment"]["segment"]["memberCount"] < preview["count"]


async def test_a_customer_manager_sees_only_their_own_members_and_a_teller_no_segment(as_member, scored):
    head = await as_member(scored.head)
    made = (await head(DEFINE, {"i": {"name": "全部客户", "rule": {"aum": {"min": 0}}}}))["data"]["defineSegment"]
    segment_id = made["segment"]["id"]
    manager = await as_member(scored.cm1)
    mine = (await manager(MEMBERS, {"s": segment_id, "first": 1}))["data"]["segmentMembers"]
    assert 0 < mine["totalCount"] < made["segment"]["memberCount"]
    teller = await as_member(scored.teller)
    refused = await teller(MEMBERS, {"s": segment_id, "first": 1})
    assert refused["data"]["segmentMembers"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_members_page_costs_a_pinned_number_of_statements(api, as_member, scored, sql_counter):
    head = await as_member(scored.head)
    made = (await head(DEFINE, {"i": {"name": "按页", "rule": {"aum": {"min": 0}}}}))["data"]["defineSegment"]
    token = await api.token(scored.head)
    sql_counter.count = 0
    with sql_counter:
        body = await api.post(MEMBERS, {"s": made["segment"]["id"], "first": 50}, token=token, branch=scored.code)
    assert len(body["data"]["segmentMembers"]["edges"]) == 50
    # entry (1), the segment, the page, the count, the clients, their scores, the ladder (tiers and the
    # branch's thresholds in one join)
    assert sql_counter.count == 7


async def test_tiers_and_the_branchs_own_thresholds(as_member, scored, world):
    head = await as_member(scored.head)
    ladder = (await head(TIERS))["data"]
    assert [t["nameZh"] for t in ladder["tiers"]] == ["普通", "金卡", "白金", "私人银行"]
    assert ladder["scoringPolicy"]["dormantMonths"] == 6
    bad = (await head(OVERRIDE, {"i": {"thresholds": [{"tier": "gold", "minAumCny": "900000"}]}}))["data"]
    assert [(e["code"], e["field"]) for e in bad["overrideTiers"]["errors"]] == [("TIER_THRESHOLDS", "thresholds")]
    unknown = (await head(OVERRIDE, {"i": {"thresholds": [{"tier": "diamond", "minAumCny": "1"}]}}))["data"]
    assert [e["code"] for e in unknown["overrideTiers"]["errors"]] == ["TIER_UNKNOWN"]
    good = (await head(OVERRIDE, {"i": {"thresholds": [{"tier": "gold", "minAumCny": "80000"}]}}))["data"]
    assert [t["code"] for t in good["overrideTiers"]["tiers"] if t["overridden"]] == ["gold"]
    back = (await head(OVERRIDE, {"i": {"thresholds": [{"tier": "gold", "minAumCny": None}]}}))["data"]
    assert not any(t["overridden"] for t in back["overrideTiers"]["tiers"])
    # head office's ladder is head office's: a branch head may not define it
    ladder_input = {"tiers": [{"code": "a", "nameZh": "甲", "nameEn": "A", "minAumCny": "0"}]}
    refused = await head(DEFINE_TIERS, {"i": ladder_input})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await as_member(world.ho_admin, world.head_office.code)
    short = (await admin(DEFINE_TIERS, {"i": ladder_input}))["data"]["defineTiers"]
    assert [(e["code"], e["field"]) for e in short["errors"]] == [("TIER_LADDER", "tiers")]


async def test_who_moved_up_to_platinum_and_the_tier_on_client_list_and_card(rt, as_member, scored):
    head = await as_member(scored.head)
    moved = await head(CHANGES, {"since": (NOW - timedelta(days=1)).isoformat(), "to": "platinum"})
    changes = moved["data"]["tierChanges"]
    async with rt.db.session(scored.branch.id) as session:
        platinum = await session.scalar(
            text("SELECT count(*) FROM client_scores WHERE tenant_id = :t AND tier = 'platinum'"),
            {"t": scored.branch.id},
        )
    assert changes["totalCount"] == platinum > 0
    assert {e["node"]["toTier"]["nameZh"] for e in changes["edges"]} == {"白金"}
    listed = await head(
        """query { clients(filter: { tier: "platinum" }, first: 100) { totalCount edges { node { id tier { code }
        valueScore { rfm monetary } } } } }"""
    )
    page = listed["data"]["clients"]
    assert page["totalCount"] == platinum
    assert {e["node"]["tier"]["code"] for e in page["edges"]} == {"platinum"}
    assert all(e["node"]["valueScore"]["monetary"] >= 3 for e in page["edges"])
    unknown = await head('query { clients(filter: { tier: "diamond" }) { totalCount } }')
    assert unknown["errors"][0]["extensions"]["code"] == "TIER_UNKNOWN"
    teller = await as_member(scored.teller)
    client_id = page["edges"][0]["node"]["id"]
    card = await teller(
        "query($c: ID!) { clientRoutingCard(clientId: $c) { maskedName tier { code name } } }", {"c": client_id}
    )
    assert card["data"]["clientRoutingCard"]["tier"]["code"] == "platinum"
