"""The segment compiler against a straightforward Python evaluation on the demo's book, materialised
membership (entered and left, set-based), and isolation: a segment never reaches another branch's clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.crm.rules import month_days_within
from branchdesk.demo import PRODUCTS
from branchdesk.platform.pagination import PageRequest
from branchdesk.segments import repository, rules
from branchdesk.segments import service as segments
from branchdesk.segments.scoring import service as scoring
from tests.conftest import enter
from tests.segments.conftest import NOW

pytestmark = pytest.mark.external

TODAY = NOW.date()
TIERS = ("standard", "gold", "platinum", "private_banking")


def age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def evaluate(rule: rules.Rule, c, tiers=TIERS) -> bool:
    """What a person reading the rule would say of one client."""
    match rule:
        case rules.AllOf(parts):
            return all(evaluate(p, c) for p in parts)
        case rules.AnyOf(parts):
            return any(evaluate(p, c) for p in parts)
        case rules.Not(inner):
            return not evaluate(inner, c)
        case rules.TierIn(codes):
            return c.tier in codes
        case rules.TierAtLeast(lowest):
            return c.tier in tiers[tiers.index(lowest) :]
        case rules.AumRange(low, high):
            return (low is None or c.aum_cny >= low) and (high is None or c.aum_cny <= high)
        case rules.AgeRange(low, high):
            if c.birthday is None:
                return False
            years = age(c.birthday, TODAY)
            return (low is None or years >= low) and (high is None or years <= high)
        case rules.BirthdayWithin(days):
            return c.birthday is not None and c.birthday.month * 100 + c.birthday.day in month_days_within(TODAY, days)
        case rules.LastContactOlderThan(days):
            return c.last_contact_at is None or c.last_contact_at < NOW - timedelta(days=days)
        case rules.LifecycleIn(stages):
            return c.lifecycle in stages
        case rules.HasTag(tag):
            return tag in c.tags
        case rules.RiskGradeIn(grades):
            return c.risk_grade in grades
        case rules.Consents(channel):
            return not c.do_not_contact and channel in c.consents
        case rules.ProductHeld(product, held):
            return any(h.product_code == product for h in c.holdings) == held
        case rules.MaturityWithin(days, product):
            return any(
                h.matures_on is not None
                and TODAY <= h.matures_on <= TODAY + timedelta(days=days)
                and (product is None or h.product_code == product)
                for h in c.holdings
            )
    raise AssertionError(rule)


RULES = [
    {"tier": {"in": ["gold", "platinum"]}},
    {"tier": {"atLeast": "platinum"}},
    {"aum": {"min": 50_000}},
    {"aum": {"max": 50_000}},
    {"aum": {"min": 10_000, "max": 1_000_000}},
    {"age": {"min": 60}},
    {"age": {"max": 40}},
    {"age": {"min": 30, "max": 50}},
    {"birthdayWithinDays": 7},
    {"birthdayWithinDays": 3},
    {"lastContactOlderThanDays": 90},
    {"lifecycle": ["dormant", "lost"]},
    {"tag": "代发工资"},
    {"riskGrade": ["C4", "C5"]},
    {"consent": "sms"},
    {"not": {"birthdayWithinDays": 7}},
    {"not": {"riskGrade": ["C1"]}},
    {"not": {"tier": {"in": ["standard"]}}},
    {"and": [{"tier": {"atLeast": "gold"}}, {"not": {"lifecycle": ["dormant", "lost"]}}]},
    {"or": [{"birthdayWithinDays": 7}, {"and": [{"age": {"min": 60}}, {"consent": "phone"}]}]},
    {"and": [{"or": [{"tag": "代发工资"}, {"riskGrade": ["C5"]}]}, {"not": {"aum": {"max": 10_000}}}]},
    {"productHeld": {"product": "TD3M"}},
    {"productHeld": {"product": "FUND-CSI300", "held": False}},
    {"maturityWithinDays": {"days": 10}},
    {"maturityWithinDays": {"days": 366, "product": "TD1Y"}},
    {"and": [{"maturityWithinDays": {"days": 10}}, {"not": {"productHeld": {"product": "WM-R2-180"}}}]},
]


@dataclass
class Facts:
    id: Any
    aum_cny: Any
    birthday: Any
    last_contact_at: Any
    lifecycle: Any
    tags: Any
    risk_grade: Any
    consents: Any
    do_not_contact: Any
    tier: Any
    holdings: list


async def clients_with_tiers(session, branch_id):
    rows = (
        await session.execute(
            text(
                "SELECT c.id, c.aum_cny, c.birthday, c.last_contact_at, c.lifecycle, c.tags, c.risk_grade, "
                "c.consents, c.do_not_contact, s.tier FROM clients c "
                "LEFT JOIN client_scores s ON s.tenant_id = c.tenant_id AND s.id = c.id WHERE c.tenant_id = :t"
            ),
            {"t": branch_id},
        )
    ).all()
    held = (
        await session.execute(
            text("SELECT client_id, product_code, matures_on FROM holdings WHERE tenant_id = :t AND status = 'active'"),
            {"t": branch_id},
        )
    ).all()
    return [Facts(*row, holdings=[h for h in held if h.client_id == row.id]) for row in rows]


@pytest.fixture(scope="module")
async def scored(rt, scored_branch):
    async with rt.db.session(scored_branch.branch.id) as session:
        await scoring.rescore(session, scored_branch.system, "test", now=NOW)
    return scored_branch


@pytest.mark.parametrize("given", RULES, ids=[str(r) for r in RULES])
async def test_the_compiled_rule_matches_what_a_reader_of_the_rule_would_say(rt, scored, given):
    branch_id = scored.branch.id
    words = rules.Vocabulary(TIERS, frozenset(p[0] for p in PRODUCTS))
    checked = rules.check_rule(given, words)
    async with rt.db.session(branch_id) as session:
        book = await clients_with_tiers(session, branch_id)
        stmt = repository.matching(branch_id, checked, repository.Moment(TODAY, NOW), words)
        found = set(await session.scalars(stmt))
    expected = {c.id for c in book if evaluate(checked, c)}
    assert found == expected
    assert 0 < len(expected) < len(book), "a rule that matches nothing or everything proves little"


async def test_membership_is_materialised_entering_and_leaving_without_duplicates(rt, scored):
    branch_id, system = scored.branch.id, scored.system
    async with rt.db.session(branch_id) as session:
        head = await enter(rt, session, (await _staff(session, scored.head)), scored.code)
        segment = await segments.define_segment(session, head, "白金以上", None, {"tier": {"atLeast": "platinum"}})
        first = segment.member_count
    assert first > 0
    # when the branch's run repeats with nothing changed: nobody enters or leaves again
    async with rt.db.session(branch_id) as session:
        run = await segments.run_branch(session, system, "again", now=NOW)
    assert (run.entered, run.left) == (0, 0)
    # when one member's AUM falls below 白金 and the branch is rescored
    async with rt.db.session(branch_id) as session:
        leaving = await session.scalar(
            text(
                "SELECT client_id FROM segment_members WHERE tenant_id = :t AND segment_id = :s AND left_at IS NULL "
                "ORDER BY client_id LIMIT 1"
            ),
            {"t": branch_id, "s": segment.id},
        )
        await session.execute(
            text("UPDATE clients SET aum_cny = 100 WHERE tenant_id = :t AND id = :i"), {"t": branch_id, "i": leaving}
        )
    async with rt.db.session(branch_id) as session:
        run = await segments.run_branch(session, system, "holdings feed", now=NOW + timedelta(hours=1))
    # then they left the segment that day, and the count follows
    assert run.left >= 1
    async with rt.db.session(branch_id) as session:
        stays = (
            await session.execute(
                text(
                    "SELECT entered_at, left_at FROM segment_members WHERE tenant_id = :t AND segment_id = :s "
                    "AND client_id = :c"
                ),
                {"t": branch_id, "s": segment.id, "c": leaving},
            )
        ).all()
        assert len(stays) == 1 and stays[0].left_at == NOW + timedelta(hours=1)
        found = (await segments.segments_by_id(session, system, [segment.id]))[0]
        assert found.member_count == first - run.left + run.entered
        page = await segments.list_members(session, system, segment.id, PageRequest(first=500))
        assert leaving not in {m.client_id for _, m in page.items}
        assert await segments.count_members(session, system, segment.id) == found.member_count


async def test_templates_reach_every_branch_at_its_next_run(rt, scored, world):
    # given head office publishes a template
    name = f"沉睡客户-{scored.code}"
    async with rt.db.session(None) as session:
        admin = await enter(rt, session, await _staff(session, world.ho_admin), world.head_office.code)
        await segments.publish_template(session, admin, name, "无互动客户", {"lifecycle": ["dormant"]})
    # when the branch runs, twice
    for _ in range(2):
        async with rt.db.session(scored.branch.id) as session:
            await segments.run_branch(session, scored.system, "nightly", now=NOW)
    # then it has the segment once, with its members
    async with rt.db.session(scored.branch.id) as session:
        rows = (
            await session.execute(
                text("SELECT member_count, template_id FROM segments WHERE tenant_id = :t AND name = :n"),
                {"t": scored.branch.id, "n": name},
            )
        ).all()
        dormant = await session.scalar(
            text("SELECT count(*) FROM clients WHERE tenant_id = :t AND lifecycle = 'dormant'"),
            {"t": scored.branch.id},
        )
    assert len(rows) == 1 and rows[0].template_id is not None and rows[0].member_count == dormant > 0


async def test_a_segment_never_reaches_another_branchs_clients(rt, scored, world):
    # given a client of branch A tagged like a segment of the scored branch
    tag = f"iso-{scored.code}"
    async with rt.db.session(world.branch_a.id) as session:
        system_a = Principal.system("tests", BranchRef(world.branch_a.id, world.branch_a.code))
        owner = await _staff(session, world.head_a)
        await records.create_client(
            session, system_a, crm.ClientDraft(client_number=tag, name="隔离", tags=[tag], owner_id=owner)
        )
    words = rules.Vocabulary(TIERS)
    checked = rules.check_rule({"tag": tag}, words)
    at = repository.Moment(TODAY, NOW)
    # when the scored branch's segment is compiled and materialised
    async with rt.db.session(scored.branch.id) as session:
        head = await enter(rt, session, await _staff(session, scored.head), scored.code)
        segment = await segments.define_segment(session, head, tag, None, {"tag": tag})
        # then it is empty: the statement filters by the branch
        assert segment.member_count == 0
    # and even without row-level security (as the owner, which bypasses it) the explicit filter holds
    async with rt.db.platform_session() as session:
        stmt = repository.matching(scored.branch.id, checked, at, words)
        assert list(await session.scalars(stmt)) == []
        assert len(list(await session.scalars(repository.matching(world.branch_a.id, checked, at, words)))) == 1


async def test_members_respect_the_readers_data_scope(rt, scored):
    async with rt.db.session(scored.branch.id) as session:
        head = await enter(rt, session, await _staff(session, scored.head), scored.code)
        segment = await segments.define_segment(session, head, "全部", None, {"aum": {"min": 0}})
        manager = await enter(rt, session, await _staff(session, scored.cm1), scored.code)
        mine = await segments.list_members(session, manager, segment.id, PageRequest(first=1000))
        owned = await session.scalar(
            text(
                "SELECT count(*) FROM clients WHERE tenant_id = :t AND (owner_id = :o OR id IN "
                "(SELECT client_id FROM client_co_owners WHERE tenant_id = :t AND staff_id = :o))"
            ),
            {"t": scored.branch.id, "o": manager.staff_id},
        )
        assert len(mine.items) == owned == await segments.count_members(session, manager, segment.id)
        assert owned < segment.member_count
        teller = await enter(rt, session, await _staff(session, scored.teller), scored.code)
        assert await segments.segments_by_id(session, teller, [segment.id]) == []


async def test_thresholds_of_a_branch_move_its_clients(rt, scored):
    async with rt.db.session(scored.branch.id) as session:
        head = await enter(rt, session, await _staff(session, scored.head), scored.code)
        before = await session.scalar(
            text("SELECT count(*) FROM client_scores WHERE tenant_id = :t AND tier = 'gold'"), {"t": scored.branch.id}
        )
        ladder = await scoring.override_tiers(session, head, {"gold": Decimal(200_000)})
        assert [t.code for t in ladder if t.overridden] == ["gold"]
    async with rt.db.session(scored.branch.id) as session:
        await scoring.rescore(session, scored.system, "thresholds", now=NOW)
        after = await session.scalar(
            text("SELECT count(*) FROM client_scores WHERE tenant_id = :t AND tier = 'gold'"), {"t": scored.branch.id}
        )
        head = await enter(rt, session, await _staff(session, scored.head), scored.code)
        await scoring.override_tiers(session, head, {"gold": None})
    assert after < before


async def _staff(session, number):
    from branchdesk.tenants import repository as tenants

    return (await tenants.staff_by_employee_number(session, number)).id
